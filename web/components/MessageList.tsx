'use client';

import { Fragment, memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { QUICK_EMOJI } from '@/lib/chat';
import type { Attachment, Conversation, ConvMessages, Member, Message, PendingMessage, Reaction, ReplyRef, User } from '@/lib/types';
import {
  clockTime,
  conversationTitle,
  dayKey,
  dayLabel,
  displayName,
  firstName,
  joinNames,
  mentionRanges,
  otherMember,
} from '@/lib/util';
import { Lightbox, MessageAttachments } from './Attachments';
import { useChat, useClient } from './ChatContext';
import { IconAlert, IconArrowDown, IconCheck, IconCheckDouble, IconClock, IconPencil, IconReply, IconSmile, IconTrash } from './icons';
import { Avatar, ConfirmDialog, cx, Spinner } from './ui';

const GROUP_GAP_MS = 5 * 60 * 1000;

type Row =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'unread'; key: string }
  | { kind: 'msg'; key: string; m: Message; own: boolean; first: boolean; last: boolean; sender?: User }
  | { kind: 'pending'; key: string; p: PendingMessage; first: boolean; last: boolean };

function rowTime(r: Row): string {
  return r.kind === 'msg' ? r.m.createdAt : r.kind === 'pending' ? r.p.createdAt : '';
}
function rowSender(r: Row, meId: string): string {
  return r.kind === 'msg' ? r.m.senderId : r.kind === 'pending' ? meId : '';
}

export default function MessageList({
  conv,
  cm,
  me,
  users,
  unreadFrom,
}: {
  conv: Conversation;
  cm: ConvMessages;
  me: User;
  users: Record<string, User>;
  unreadFrom: number | null;
}) {
  const client = useClient();
  const ref = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const prev = useRef({ height: 0, firstSeq: -1, lastKey: '' });
  const [newBelow, setNewBelow] = useState(0);
  const [confirm, setConfirm] = useState<Message | null>(null);
  const [lightbox, setLightbox] = useState<Attachment | null>(null);
  const onOpenImage = useCallback((a: Attachment) => setLightbox(a), []);
  const closeLightbox = useCallback(() => setLightbox(null), []);
  const isGroup = conv.type === 'group';
  const highlight = useChat((s) => s.highlight);
  const [flash, setFlash] = useState<number | null>(null);

  const memberById = useMemo(() => {
    const map: Record<string, Member | User> = { ...users };
    for (const m of conv.members) map[m.id] = m;
    return map;
  }, [conv.members, users]);
  const usernames = useMemo(() => conv.members.map((m) => m.username), [conv.members]);
  // A reply's parent as we hold it now (edited or deleted since the reply was read).
  const bySeq = useMemo(() => new Map(cm.items.map((m) => [m.seq, m])), [cm.items]);

  const rows = useMemo(() => {
    const out: Row[] = [];
    let lastDay = '';
    let unreadPlaced = false;
    const entries: (Message | PendingMessage)[] = [...cm.items, ...cm.pending];
    let prevEntry: Row | null = null;
    for (const e of entries) {
      const pending = !('seq' in e);
      const created = e.createdAt;
      const dk = dayKey(created);
      if (dk !== lastDay) {
        out.push({ kind: 'day', key: `day-${dk}`, label: dayLabel(created) });
        lastDay = dk;
        prevEntry = null;
      }
      if (
        !pending &&
        !unreadPlaced &&
        unreadFrom !== null &&
        (e as Message).seq > unreadFrom &&
        (e as Message).senderId !== me.id
      ) {
        out.push({ kind: 'unread', key: 'unread' });
        unreadPlaced = true;
        prevEntry = null;
      }
      const sender = pending ? me.id : (e as Message).senderId;
      const first: boolean =
        !prevEntry ||
        rowSender(prevEntry, me.id) !== sender ||
        Date.parse(created) - Date.parse(rowTime(prevEntry)) > GROUP_GAP_MS;
      if (!first && prevEntry && (prevEntry.kind === 'msg' || prevEntry.kind === 'pending')) prevEntry.last = false;
      const row: Row = pending
        ? { kind: 'pending', key: `p-${(e as PendingMessage).clientMsgId}`, p: e as PendingMessage, first, last: true }
        : {
            kind: 'msg',
            key: `m-${(e as Message).seq}`,
            m: e as Message,
            own: sender === me.id,
            first,
            last: true,
            sender: memberById[sender] as User | undefined,
          };
      out.push(row);
      prevEntry = row;
    }
    return out;
  }, [cm.items, cm.pending, unreadFrom, me.id, memberById]);

  // "Seen by": who has read up to my latest message (from the members' read watermarks).
  const seen = useMemo(() => {
    let mine: Message | undefined;
    for (let i = cm.items.length - 1; i >= 0; i--) {
      const m = cm.items[i];
      if (m.senderId === me.id && !m.deletedAt) {
        mine = m;
        break;
      }
    }
    if (!mine) return null;
    const others = conv.members.filter((m) => m.id !== me.id);
    const readers = others.filter((m) => m.lastReadSeq >= mine!.seq);
    return { seq: mine.seq, readers, all: others.length > 0 && readers.length === others.length };
  }, [cm.items, conv.members, me.id]);

  const lastKey = rows.length ? rows[rows.length - 1].key : '';
  const lastRow = rows[rows.length - 1];

  // Keep the view where the reader expects it: anchored when older pages arrive on top,
  // following new messages when at the bottom (always for our own), otherwise a "new messages" pill.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const firstSeq = cm.items[0]?.seq ?? -1;
    const p = prev.current;
    if (p.firstSeq !== -1 && firstSeq !== -1 && firstSeq < p.firstSeq && p.height) {
      el.scrollTop += el.scrollHeight - p.height;
    } else if (lastKey !== p.lastKey) {
      const mine = lastRow && (lastRow.kind === 'pending' || (lastRow.kind === 'msg' && lastRow.own));
      if (!p.lastKey || atBottom.current || mine) {
        el.scrollTop = el.scrollHeight;
        atBottom.current = true;
        setNewBelow(0);
      } else if (lastRow?.kind === 'msg') setNewBelow((n) => n + 1);
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
    prev.current = { height: el.scrollHeight, firstSeq, lastKey };
  });

  // Fill the screen: fetch older pages while the list does not overflow yet.
  useEffect(() => {
    const el = ref.current;
    if (el && cm.loaded && cm.hasOlder && !cm.loadingOlder && el.scrollHeight <= el.clientHeight + 40)
      void client.loadOlder(conv.id);
  }, [cm.loaded, cm.hasOlder, cm.loadingOlder, cm.items.length, client, conv.id]);

  // Stay at the bottom when the viewport shrinks (mobile keyboard, window resize).
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const onScroll = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    if (atBottom.current) setNewBelow(0);
    if (el.scrollTop < 400) void client.loadOlder(conv.id);
  }, [client, conv.id]);

  // A jump (a reply's parent, a search hit): scroll the message to the middle and flash it.
  useEffect(() => {
    if (!highlight || highlight.conversationId !== conv.id) return;
    const el = ref.current?.querySelector<HTMLElement>(`[data-testid="message"][data-seq="${highlight.seq}"]`);
    if (!el) return;
    el.scrollIntoView({ block: 'center' });
    // Not following the bottom any more (the scroll event would say so, but a render may come first).
    const list = ref.current!;
    atBottom.current = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    setFlash(highlight.seq);
    const t = setTimeout(() => setFlash(null), 2200);
    return () => clearTimeout(t);
  }, [highlight, conv.id]);

  const onDelete = useCallback((m: Message) => setConfirm(m), []);
  const onReply = useCallback((m: Message) => client.setReplyTo(conv.id, m), [client, conv.id]);
  const onEdit = useCallback((m: Message) => client.setEditing(conv.id, m), [client, conv.id]);
  const onReact = useCallback((m: Message, emoji: string) => void client.toggleReaction(m, emoji), [client]);
  const onJump = useCallback((seq: number) => void client.jumpTo(conv.id, seq), [client, conv.id]);
  const onRetry = useCallback((p: PendingMessage) => client.retry(p), [client]);
  const onDiscard = useCallback((p: PendingMessage) => client.discard(p), [client]);

  const other = otherMember(conv, me.id);
  const title = conversationTitle(conv, me.id);

  return (
    <div className="relative flex min-h-0 flex-1 flex-col">
      <div
        ref={ref}
        onScroll={onScroll}
        data-testid="message-list"
        className="scroll-thin min-h-0 flex-1 overflow-y-auto overscroll-contain pb-2 pt-4 [overflow-anchor:none]"
      >
        {cm.hasOlder ? (
          <div className="flex h-10 items-center justify-center text-muted" data-testid="loading-older">
            {cm.loadingOlder && <Spinner />}
          </div>
        ) : (
          <div className="px-4 pb-4 pt-6 md:px-6" data-testid="conversation-start">
            <Avatar
              id={conv.type === 'direct' && other ? other.id : conv.id}
              name={title}
              size={56}
              group={isGroup}
            />
            <h3 className="mt-3 text-lg font-semibold">{title}</h3>
            <p className="mt-0.5 text-sm text-muted">
              {isGroup ? (
                <>This is the very beginning of the group. {conv.members.length} members.</>
              ) : other ? (
                <>
                  This is the beginning of your conversation with <strong className="text-fg">{displayName(other)}</strong>{' '}
                  (@{other.username}).
                </>
              ) : (
                'This is the beginning of the conversation.'
              )}
            </p>
          </div>
        )}

        {rows.map((r) => {
          if (r.kind === 'day')
            return (
              <div key={r.key} className="sticky top-0 z-10 flex justify-center py-2" role="separator">
                <span className="rounded-full border border-border bg-bg/95 px-3 py-0.5 text-[11px] font-medium text-muted shadow-sm backdrop-blur">
                  {r.label}
                </span>
              </div>
            );
          if (r.kind === 'unread')
            return (
              <div key={r.key} className="my-2 flex items-center gap-3 px-4 md:px-6" data-testid="unread-divider">
                <div className="h-px flex-1 bg-danger/40" />
                <span className="text-[11px] font-semibold uppercase tracking-wide text-danger">New messages</span>
                <div className="h-px flex-1 bg-danger/40" />
              </div>
            );
          if (r.kind === 'pending')
            return (
              <MessageRow
                key={r.key}
                own
                first={r.first}
                last={r.last}
                isGroup={isGroup}
                pending={r.p}
                meId={me.id}
                people={memberById}
                usernames={usernames}
                onJump={onJump}
                onRetry={onRetry}
                onDiscard={onDiscard}
                onOpenImage={onOpenImage}
              />
            );
          return (
            <Fragment key={r.key}>
              <MessageRow
                m={r.m}
                own={r.own}
                first={r.first}
                last={r.last}
                isGroup={isGroup}
                sender={r.sender}
                meId={me.id}
                people={memberById}
                usernames={usernames}
                flash={flash === r.m.seq}
                parent={r.m.replyTo ? bySeq.get(Number(r.m.replyTo.seq)) : undefined}
                onDelete={r.own ? onDelete : undefined}
                onEdit={r.own ? onEdit : undefined}
                onReply={onReply}
                onReact={onReact}
                onJump={onJump}
                onOpenImage={onOpenImage}
              />
              {seen && seen.seq === r.m.seq && seen.readers.length > 0 && (
                <SeenBy readers={seen.readers} all={seen.all} direct={!isGroup} />
              )}
            </Fragment>
          );
        })}
      </div>

      {newBelow > 0 && (
        <button
          data-testid="new-below"
          onClick={() => {
            const el = ref.current;
            if (el) el.scrollTo({ top: el.scrollHeight, behavior: 'smooth' });
            setNewBelow(0);
          }}
          className="absolute bottom-3 left-1/2 flex -translate-x-1/2 items-center gap-1.5 rounded-full bg-accent px-3.5 py-1.5 text-xs font-semibold text-accent-fg shadow-pop animate-slide-up"
        >
          <IconArrowDown size={14} /> {newBelow === 1 ? 'New message' : `${newBelow} new messages`}
        </button>
      )}

      {lightbox && <Lightbox a={lightbox} onClose={closeLightbox} />}

      {confirm && (
        <ConfirmDialog
          title="Delete message?"
          body="It will be removed for everyone in the conversation. This cannot be undone."
          confirmLabel="Delete"
          testId="confirm-delete"
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            const m = confirm;
            setConfirm(null);
            void client.deleteMessage(m);
          }}
        />
      )}
    </div>
  );
}

function SeenBy({ readers, all, direct }: { readers: Member[]; all: boolean; direct: boolean }) {
  const text = direct ? 'Seen' : all && readers.length > 1 ? 'Seen by everyone' : `Seen by ${joinNames(readers.map(firstName))}`;
  return (
    <div className="mt-1 flex items-center justify-end gap-1.5 px-4 text-[11px] text-muted md:px-6" data-testid="seen-by">
      {!direct && (
        <span className="flex -space-x-1.5">
          {readers.slice(0, 5).map((r) => (
            <Avatar key={r.id} id={r.id} name={displayName(r)} size={18} className="rounded-full ring-2 ring-bg" />
          ))}
        </span>
      )}
      <IconCheckDouble size={13} className="text-accent" />
      <span>{text}</span>
    </div>
  );
}

const URL_RE = /(https?:\/\/[^\s<>"']+[^\s<>"'.,:;!?)\]])/g;

/** Text with http(s) links made clickable. Everything stays React text nodes: no HTML is interpreted. */
function RichText({ text, own, usernames }: { text: string; own: boolean; usernames?: string[] }) {
  const parts = text.split(URL_RE);
  const out: ReactNode[] = [];
  parts.forEach((part, i) => {
    if (i % 2 === 1)
      out.push(
        <a
          key={i}
          href={part}
          target="_blank"
          rel="noopener noreferrer nofollow"
          className={cx('underline underline-offset-2 break-all', own ? 'text-accent-fg' : 'text-accent')}
        >
          {part}
        </a>,
      );
    else if (part) {
      // @username of a member: bold (the server resolves mentions; this only shows them).
      let at = 0;
      for (const [a, b] of mentionRanges(part, usernames ?? [])) {
        if (a > at) out.push(part.slice(at, a));
        out.push(
          <span key={`${i}-${a}`} data-testid="mention" className={cx('font-semibold', own ? 'text-accent-fg' : 'text-accent')}>
            {part.slice(a, b)}
          </span>,
        );
        at = b;
      }
      if (at < part.length) out.push(at === 0 ? part : part.slice(at));
    }
  });
  return <>{out}</>;
}

const MessageRow = memo(function MessageRow({
  m,
  pending,
  own,
  first,
  last,
  isGroup,
  sender,
  meId,
  people,
  usernames,
  flash,
  parent,
  onDelete,
  onEdit,
  onReply,
  onReact,
  onJump,
  onRetry,
  onDiscard,
  onOpenImage,
}: {
  m?: Message;
  pending?: PendingMessage;
  own: boolean;
  first: boolean;
  last: boolean;
  isGroup: boolean;
  sender?: User;
  meId: string;
  people: Record<string, Member | User>;
  usernames: string[];
  flash?: boolean;
  parent?: Message;
  onDelete?: (m: Message) => void;
  onEdit?: (m: Message) => void;
  onReply?: (m: Message) => void;
  onReact?: (m: Message, emoji: string) => void;
  onJump?: (seq: number) => void;
  onRetry?: (p: PendingMessage) => void;
  onDiscard?: (p: PendingMessage) => void;
  onOpenImage?: (a: Attachment) => void;
}) {
  const [selected, setSelected] = useState(false);
  const [picker, setPicker] = useState(false);
  const pickerRef = useRef<HTMLDivElement>(null);
  const body = m ? m.body : pending!.body;
  const created = m ? m.createdAt : pending!.createdAt;
  const deleted = !!m?.deletedAt;
  const attachments = (m ? m.attachments : pending!.attachments) ?? [];
  const status = pending ? pending.status : 'sent';
  const name = own ? 'You' : sender ? displayName(sender) : 'Former member';
  const live = !!m && !deleted;
  const canDelete = live && own && !!onDelete;
  const canEdit = live && own && !!onEdit;
  const mentioned = live && !own && !!m!.mentions?.includes(meId);
  const quoted = m ? m.replyTo : pending?.replyTo;
  const replyTo: ReplyRef | null | undefined =
    quoted && parent && parent.id === quoted.id && (parent.changeSeq ?? 0) >= 0
      ? { ...quoted, body: parent.deletedAt ? '' : parent.body.length > 200 ? `${parent.body.slice(0, 200)}…` : parent.body, deleted: !!parent.deletedAt || quoted.deleted }
      : quoted;
  const reactions = (live && m!.reactions) || [];

  // The picker closes on a click anywhere else or Escape.
  useEffect(() => {
    if (!picker) return;
    const down = (e: MouseEvent) => {
      if (!pickerRef.current?.contains(e.target as Node)) setPicker(false);
    };
    const key = (e: KeyboardEvent) => e.key === 'Escape' && setPicker(false);
    document.addEventListener('mousedown', down);
    document.addEventListener('keydown', key);
    return () => {
      document.removeEventListener('mousedown', down);
      document.removeEventListener('keydown', key);
    };
  }, [picker]);

  const radius = own
    ? cx('rounded-2xl', !first && 'rounded-tr-md', !last && 'rounded-br-md')
    : cx('rounded-2xl', !first && 'rounded-tl-md', !last && 'rounded-bl-md');
  const actionCls = (extra?: string) =>
    cx(
      'flex h-8 w-8 shrink-0 items-center justify-center rounded-full text-subtle transition-colors hover:bg-surface-2 hover:text-fg focus:opacity-100',
      extra,
    );

  return (
    <div
      data-testid="message"
      data-seq={m?.seq}
      data-own={own ? 'true' : 'false'}
      data-status={status}
      data-deleted={deleted ? 'true' : undefined}
      data-mentioned={mentioned ? 'true' : undefined}
      data-highlighted={flash ? 'true' : undefined}
      data-client-msg-id={m?.clientMsgId ?? pending?.clientMsgId}
      className={cx(
        'group/msg flex items-start gap-2 px-3 transition-colors duration-700 md:px-5',
        own ? 'justify-end' : 'justify-start',
        first ? 'mt-3' : 'mt-[3px]',
        flash && 'bg-accent-soft',
      )}
    >
      {!own && (
        <div className="w-8 shrink-0">
          {first && <Avatar id={sender?.id ?? m?.senderId ?? 'x'} name={sender ? displayName(sender) : '?'} size={32} />}
        </div>
      )}
      <div className={cx('flex min-w-0 max-w-[82%] flex-col md:max-w-[68%]', own ? 'items-end' : 'items-start')}>
        {first && !own && isGroup && <div className="mb-1 ml-3 text-xs font-semibold text-muted">{name}</div>}
        {replyTo && !deleted && <ReplyQuote r={replyTo} own={own} people={people} meId={meId} onJump={onJump} />}
        <div className={cx('relative flex max-w-full items-center gap-1', own && 'flex-row-reverse')}>
          {deleted ? (
            <div
              data-testid="message-deleted"
              className={cx('border border-dashed border-border px-3.5 py-2 text-sm italic text-subtle', radius)}
            >
              Message deleted
            </div>
          ) : (
            <div
              className={cx('flex min-w-0 flex-col gap-1', own ? 'items-end' : 'items-start', status === 'sending' && 'opacity-70')}
              onClick={() => live && setSelected((s) => !s)}
            >
              {attachments.length > 0 && (
                <MessageAttachments attachments={attachments} own={own} onOpen={onOpenImage} />
              )}
              {(body || attachments.length === 0) && (
                <div
                  data-testid="message-bubble"
                  title={new Date(created).toLocaleString()}
                  className={cx(
                    'min-w-0 px-3.5 py-2 text-[15px] leading-[1.4]',
                    radius,
                    own ? 'bg-accent text-accent-fg' : mentioned ? 'bg-warn-soft text-fg ring-1 ring-warn/60' : 'bg-surface-2 text-fg',
                    status === 'failed' && 'bg-danger/80',
                  )}
                >
                  <p data-testid="message-body" className="whitespace-pre-wrap break-words [overflow-wrap:anywhere]">
                    <RichText text={body} own={own} usernames={usernames} />
                    {m?.editedAt && (
                      <span
                        data-testid="edited-label"
                        title={`Edited ${new Date(m.editedAt).toLocaleString()}`}
                        className={cx('ml-1.5 select-none text-[11px]', own ? 'text-accent-fg/75' : 'text-subtle')}
                      >
                        (edited)
                      </span>
                    )}
                  </p>
                </div>
              )}
            </div>
          )}
          {live && (
            <div
              data-testid="message-actions"
              className={cx(
                'flex shrink-0 items-center transition-opacity',
                own && 'flex-row-reverse',
                selected || picker ? 'opacity-100' : 'opacity-0 focus-within:opacity-100 group-hover/msg:opacity-100',
              )}
            >
              {onReact && (
                <button
                  type="button"
                  data-testid="react-button"
                  aria-label="Add a reaction"
                  title="Add a reaction"
                  onClick={() => setPicker((p) => !p)}
                  className={actionCls()}
                >
                  <IconSmile size={16} />
                </button>
              )}
              {onReply && (
                <button
                  type="button"
                  data-testid="reply-button"
                  aria-label="Reply"
                  title="Reply"
                  onClick={() => {
                    setSelected(false);
                    onReply(m!);
                  }}
                  className={actionCls()}
                >
                  <IconReply size={16} />
                </button>
              )}
              {canEdit && (
                <button
                  type="button"
                  data-testid="edit-button"
                  aria-label="Edit message"
                  title="Edit (↑ in an empty composer)"
                  onClick={() => {
                    setSelected(false);
                    onEdit!(m!);
                  }}
                  className={actionCls()}
                >
                  <IconPencil size={15} />
                </button>
              )}
              {canDelete && (
                <button
                  type="button"
                  data-testid="delete-message"
                  aria-label="Delete message"
                  title="Delete message"
                  onClick={() => {
                    setSelected(false);
                    onDelete!(m!);
                  }}
                  className={actionCls('hover:bg-danger-soft hover:text-danger')}
                >
                  <IconTrash size={15} />
                </button>
              )}
            </div>
          )}
          {picker && live && onReact && (
            <div
              ref={pickerRef}
              data-testid="reaction-picker"
              role="menu"
              className={cx(
                'absolute bottom-full z-20 mb-1 flex gap-0.5 rounded-full border border-border bg-bg p-1 shadow-pop animate-fade-in',
                own ? 'right-0' : 'left-0',
              )}
            >
              {QUICK_EMOJI.map((e) => (
                <button
                  key={e}
                  type="button"
                  role="menuitem"
                  data-testid="reaction-option"
                  data-emoji={e}
                  aria-label={`React with ${e}`}
                  onClick={() => {
                    setPicker(false);
                    setSelected(false);
                    onReact(m!, e);
                  }}
                  className="flex h-9 w-9 items-center justify-center rounded-full text-xl transition-transform hover:scale-125 hover:bg-surface-2"
                >
                  {e}
                </button>
              ))}
            </div>
          )}
        </div>
        {reactions.length > 0 && (
          <Reactions list={reactions} meId={meId} people={people} own={own} onToggle={(e) => onReact?.(m!, e)} />
        )}
        {(last || status !== 'sent') && (
          <div
            className={cx('mt-1 flex items-center gap-1 px-1 text-[11px] text-subtle', own ? 'justify-end' : 'justify-start')}
          >
            {status === 'sending' && (
              <span className="inline-flex items-center gap-1" data-testid="message-pending">
                <IconClock size={12} /> Sending…
              </span>
            )}
            {status === 'failed' && pending && (
              <span className="inline-flex items-center gap-1.5 text-danger" data-testid="message-failed">
                <IconAlert size={12} /> {pending.error || 'Not sent'} ·
                <button className="font-semibold hover:underline" onClick={() => onRetry?.(pending)}>
                  Retry
                </button>
                ·
                <button className="font-semibold hover:underline" onClick={() => onDiscard?.(pending)}>
                  Discard
                </button>
              </span>
            )}
            {status === 'sent' && (
              <>
                <span className="tabular-nums">{clockTime(created)}</span>
                {own && !deleted && <IconCheck size={12} className="text-subtle" />}
              </>
            )}
          </div>
        )}
      </div>
    </div>
  );
});

/** The parent of a reply: its sender and (the start of) its text; a click jumps to it. */
function ReplyQuote({
  r,
  own,
  people,
  meId,
  onJump,
}: {
  r: ReplyRef;
  own: boolean;
  people: Record<string, Member | User>;
  meId: string;
  onJump?: (seq: number) => void;
}) {
  const who = r.senderId === meId ? 'You' : displayName(people[r.senderId]);
  return (
    <button
      type="button"
      data-testid="reply-quote"
      data-reply-seq={r.seq}
      data-deleted={r.deleted ? 'true' : undefined}
      onClick={() => onJump?.(r.seq)}
      title="Show the message this replies to"
      className={cx(
        'mb-0.5 flex max-w-full flex-col rounded-xl border-l-[3px] border-accent bg-surface-2/70 px-3 py-1 text-left text-xs transition-colors hover:bg-surface-3',
        own ? 'mr-1' : 'ml-1',
      )}
    >
      <span className="font-semibold text-accent">{r.deleted ? 'Reply' : who}</span>
      <span className={cx('line-clamp-2 break-words text-muted [overflow-wrap:anywhere]', r.deleted && 'italic')}>
        {r.deleted ? 'Deleted message' : r.body || 'Attachment'}
      </span>
    </button>
  );
}

/** Reaction chips: the emoji and its count, mine highlighted, who reacted in the tooltip; a click toggles mine. */
function Reactions({
  list,
  meId,
  people,
  own,
  onToggle,
}: {
  list: Reaction[];
  meId: string;
  people: Record<string, Member | User>;
  own: boolean;
  onToggle: (emoji: string) => void;
}) {
  return (
    <div className={cx('mt-1 flex flex-wrap gap-1', own ? 'justify-end' : 'justify-start')} data-testid="reactions">
      {list.map((r) => {
        const mine = r.userIds.includes(meId);
        const names = r.userIds.map((id) => (id === meId ? 'You' : displayName(people[id])));
        return (
          <button
            key={r.emoji}
            type="button"
            data-testid="reaction-chip"
            data-emoji={r.emoji}
            data-mine={mine ? 'true' : 'false'}
            data-count={r.count}
            title={`${joinNames(names)} reacted with ${r.emoji}`}
            aria-label={`${r.emoji} ${r.count}${mine ? ', including you' : ''}`}
            aria-pressed={mine}
            onClick={() => onToggle(r.emoji)}
            className={cx(
              'inline-flex h-7 items-center gap-1 rounded-full border px-2 text-sm transition-colors',
              mine ? 'border-accent bg-accent-soft text-accent' : 'border-border bg-bg text-muted hover:bg-surface-2',
            )}
          >
            <span>{r.emoji}</span>
            <span className="text-xs font-semibold tabular-nums">{r.count}</span>
          </button>
        );
      })}
    </div>
  );
}
