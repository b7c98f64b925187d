'use client';

import { Fragment, memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Attachment, Conversation, ConvMessages, Member, Message, PendingMessage, User } from '@/lib/types';
import {
  clockTime,
  conversationTitle,
  dayKey,
  dayLabel,
  displayName,
  firstName,
  joinNames,
  otherMember,
} from '@/lib/util';
import { Lightbox, MessageAttachments } from './Attachments';
import { useClient } from './ChatContext';
import { IconAlert, IconArrowDown, IconCheck, IconCheckDouble, IconClock, IconTrash } from './icons';
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

  const memberById = useMemo(() => {
    const map: Record<string, Member | User> = { ...users };
    for (const m of conv.members) map[m.id] = m;
    return map;
  }, [conv.members, users]);

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

  const onDelete = useCallback((m: Message) => setConfirm(m), []);
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
                onDelete={r.own ? onDelete : undefined}
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
function RichText({ text, own }: { text: string; own: boolean }) {
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
    else if (part) out.push(part);
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
  onDelete,
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
  onDelete?: (m: Message) => void;
  onRetry?: (p: PendingMessage) => void;
  onDiscard?: (p: PendingMessage) => void;
  onOpenImage?: (a: Attachment) => void;
}) {
  const [selected, setSelected] = useState(false);
  const body = m ? m.body : pending!.body;
  const created = m ? m.createdAt : pending!.createdAt;
  const deleted = !!m?.deletedAt;
  const attachments = (m ? m.attachments : pending!.attachments) ?? [];
  const status = pending ? pending.status : 'sent';
  const name = own ? 'You' : sender ? displayName(sender) : 'Former member';
  const canDelete = !!m && own && !deleted && !!onDelete;

  const radius = own
    ? cx('rounded-2xl', !first && 'rounded-tr-md', !last && 'rounded-br-md')
    : cx('rounded-2xl', !first && 'rounded-tl-md', !last && 'rounded-bl-md');

  return (
    <div
      data-testid="message"
      data-seq={m?.seq}
      data-own={own ? 'true' : 'false'}
      data-status={status}
      data-deleted={deleted ? 'true' : undefined}
      data-client-msg-id={m?.clientMsgId ?? pending?.clientMsgId}
      className={cx('group/msg flex items-start gap-2 px-3 md:px-5', own ? 'justify-end' : 'justify-start', first ? 'mt-3' : 'mt-[3px]')}
    >
      {!own && (
        <div className="w-8 shrink-0">
          {first && <Avatar id={sender?.id ?? m?.senderId ?? 'x'} name={sender ? displayName(sender) : '?'} size={32} />}
        </div>
      )}
      <div className={cx('flex min-w-0 max-w-[82%] flex-col md:max-w-[68%]', own ? 'items-end' : 'items-start')}>
        {first && !own && isGroup && <div className="mb-1 ml-3 text-xs font-semibold text-muted">{name}</div>}
        <div className={cx('flex max-w-full items-center gap-1', own && 'flex-row-reverse')}>
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
              onClick={() => canDelete && setSelected((s) => !s)}
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
                    own ? 'bg-accent text-accent-fg' : 'bg-surface-2 text-fg',
                    status === 'failed' && 'bg-danger/80',
                  )}
                >
                  <p data-testid="message-body" className="whitespace-pre-wrap break-words [overflow-wrap:anywhere]">
                    <RichText text={body} own={own} />
                  </p>
                </div>
              )}
            </div>
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
              className={cx(
                'flex h-8 w-8 shrink-0 items-center justify-center rounded-full text-subtle transition-opacity hover:bg-danger-soft hover:text-danger focus:opacity-100',
                selected ? 'opacity-100' : 'opacity-0 group-hover/msg:opacity-100',
              )}
            >
              <IconTrash size={15} />
            </button>
          )}
        </div>
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
