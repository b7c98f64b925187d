'use client';

import { memo, useEffect, useMemo, useState } from 'react';
import type { Conversation, Presence } from '@/lib/types';
import { conversationTitle, displayName, firstName, listTime, otherMember, sortConversations } from '@/lib/util';
import { openConversation } from '@/lib/nav';
import { useChat, useClient } from './ChatContext';
import { IconChat, IconCompose, IconLogout, IconPaperclip, IconSearch, IconX } from './icons';
import { Avatar, cx, IconButton, Spinner } from './ui';

export default function Sidebar({ onNew, onLogout }: { onNew: () => void; onLogout: () => void }) {
  const client = useClient();
  const conversations = useChat((s) => s.conversations);
  const listLoaded = useChat((s) => s.listLoaded);
  const listError = useChat((s) => s.listError);
  const hasMore = useChat((s) => s.listCursor !== null);
  const loadingMore = useChat((s) => s.listLoadingMore);
  const activeId = useChat((s) => s.activeId);
  const presence = useChat((s) => s.presence);
  const typing = useChat((s) => s.typing);
  const me = useChat((s) => s.me);
  const connection = useChat((s) => s.connection);
  const [filter, setFilter] = useState('');

  const list = useMemo(() => {
    const all = sortConversations(Object.values(conversations));
    const f = filter.trim().toLowerCase();
    if (!f) return all;
    return all.filter(
      (c) =>
        conversationTitle(c, me.id).toLowerCase().includes(f) ||
        c.members.some((m) => m.username.toLowerCase().includes(f)),
    );
  }, [conversations, filter, me.id]);

  const totalUnread = useMemo(
    () => Object.values(conversations).reduce((n, c) => n + (c.unreadCount > 0 ? 1 : 0), 0),
    [conversations],
  );

  useEffect(() => {
    document.title = totalUnread > 0 ? `(${totalUnread}) Parley` : 'Parley';
  }, [totalUnread]);

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <header className="flex items-center justify-between gap-2 px-4 pb-2 pt-4">
        <div className="flex items-center gap-2">
          <span className="flex h-7 w-7 items-center justify-center rounded-lg bg-accent text-accent-fg">
            <IconChat size={16} />
          </span>
          <span className="text-[17px] font-semibold tracking-tight">Parley</span>
        </div>
        <IconButton
          label="New conversation"
          data-testid="new-conversation"
          onClick={onNew}
          className="border border-border bg-bg text-fg shadow-sm hover:bg-surface-2"
        >
          <IconCompose size={17} />
        </IconButton>
      </header>

      <div className="px-3 pb-2 pt-1">
        <label className="relative block">
          <span className="pointer-events-none absolute left-2.5 top-1/2 -translate-y-1/2 text-subtle">
            <IconSearch size={15} />
          </span>
          <input
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="Filter conversations"
            aria-label="Filter conversations"
            data-testid="conversation-filter"
            className="h-9 w-full rounded-lg border border-transparent bg-surface-2 pl-8 pr-8 text-sm text-fg placeholder:text-subtle focus:border-accent focus:bg-bg focus:outline-none"
          />
          {filter && (
            <button
              aria-label="Clear filter"
              onClick={() => setFilter('')}
              className="absolute right-2 top-1/2 -translate-y-1/2 text-subtle hover:text-fg"
            >
              <IconX size={14} />
            </button>
          )}
        </label>
      </div>

      <nav
        aria-label="Conversations"
        data-testid="conversation-list"
        className="scroll-thin min-h-0 flex-1 overflow-y-auto px-2 pb-2"
        onScroll={(e) => {
          const el = e.currentTarget;
          if (hasMore && el.scrollTop + el.clientHeight > el.scrollHeight - 200) void client.loadMoreConversations();
        }}
      >
        {!listLoaded && !listError && (
          <div className="space-y-1 px-1 pt-1">
            {[0, 1, 2, 3].map((i) => (
              <div key={i} className="flex items-center gap-3 rounded-xl p-2.5">
                <div className="h-10 w-10 animate-pulse rounded-full bg-surface-3" />
                <div className="flex-1 space-y-2">
                  <div className="h-3 w-1/2 animate-pulse rounded bg-surface-3" />
                  <div className="h-3 w-3/4 animate-pulse rounded bg-surface-2" />
                </div>
              </div>
            ))}
          </div>
        )}
        {listError && !listLoaded && (
          <div className="px-3 py-6 text-center text-sm text-muted">
            {listError}
            <button className="mt-2 block w-full font-medium text-accent" onClick={() => void client.loadConversations()}>
              Try again
            </button>
          </div>
        )}
        {listLoaded && list.length === 0 && (
          <div className="px-4 py-10 text-center text-sm text-muted">
            {filter ? 'No conversation matches.' : 'No conversations yet.'}
            {!filter && (
              <button className="mt-2 block w-full font-medium text-accent hover:underline" onClick={onNew}>
                Start one
              </button>
            )}
          </div>
        )}
        <ul className="space-y-0.5">
          {list.map((c) => (
            <li key={c.id}>
              <ConversationItem
                c={c}
                meId={me.id}
                active={c.id === activeId}
                presence={c.type === 'direct' ? presence[otherMember(c, me.id)?.id ?? ''] : undefined}
                typers={typing[c.id]}
              />
            </li>
          ))}
        </ul>
        {loadingMore && (
          <div className="flex justify-center py-3 text-muted">
            <Spinner />
          </div>
        )}
      </nav>

      <footer className="flex items-center gap-3 border-t border-border px-3 py-3">
        <Avatar id={me.id} name={displayName(me)} size={34} online={connection === 'connected'} />
        <div className="min-w-0 flex-1 leading-tight">
          <div className="truncate text-sm font-semibold" data-testid="me-name">
            {displayName(me)}
          </div>
          <div className="truncate text-xs text-muted">@{me.username}</div>
        </div>
        <IconButton label="Log out" data-testid="logout" onClick={onLogout}>
          <IconLogout size={17} />
        </IconButton>
      </footer>
    </div>
  );
}

const ConversationItem = memo(function ConversationItem({
  c,
  meId,
  active,
  presence,
  typers,
}: {
  c: Conversation;
  meId: string;
  active: boolean;
  presence?: Presence;
  typers?: Record<string, number>;
}) {
  const title = conversationTitle(c, meId);
  const other = otherMember(c, meId);
  const unread = c.unreadCount > 0 && !active;
  const lm = c.lastMessage;
  const typingNames = typers
    ? Object.keys(typers)
        .map((id) => c.members.find((m) => m.id === id))
        .filter(Boolean)
    : [];

  let preview: React.ReactNode;
  if (typingNames.length > 0)
    preview = (
      <span className="text-accent">
        {c.type === 'group' ? `${firstName(typingNames[0])} is typing…` : 'typing…'}
      </span>
    );
  else if (!lm) preview = <span className="italic text-subtle">No messages yet</span>;
  else {
    const sender = lm.senderId === meId ? 'You' : c.type === 'group' ? firstName(c.members.find((m) => m.id === lm.senderId)) : null;
    preview = (
      <>
        {sender && <span className={unread ? 'text-fg' : 'text-muted'}>{sender}: </span>}
        {lm.deletedAt ? (
          <span className="italic">Message deleted</span>
        ) : lm.body.trim() || !lm.attachments?.length ? (
          lm.body.replace(/\s+/g, ' ')
        ) : (
          attachmentSummary(lm.attachments)
        )}
      </>
    );
  }

  return (
    <a
      href={`#/c/${encodeURIComponent(c.id)}`}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey) return;
        e.preventDefault();
        openConversation(c.id);
      }}
      data-testid="conversation-item"
      data-conversation-id={c.id}
      data-unread={c.unreadCount}
      aria-current={active ? 'page' : undefined}
      className={cx(
        'group flex items-center gap-3 rounded-xl px-2.5 py-2.5 transition-colors',
        active ? 'bg-accent-soft' : 'hover:bg-surface-2',
      )}
    >
      <Avatar
        id={c.type === 'direct' && other ? other.id : c.id}
        name={title}
        size={42}
        group={c.type === 'group'}
        online={c.type === 'direct' ? !!presence?.online : undefined}
      />
      <div className="min-w-0 flex-1">
        <div className="flex items-baseline justify-between gap-2">
          <span
            data-testid="conversation-title"
            className={cx('truncate text-[15px]', unread ? 'font-semibold text-fg' : 'font-medium text-fg')}
          >
            {title}
          </span>
          <span className={cx('shrink-0 text-xs tabular-nums', unread ? 'font-medium text-accent' : 'text-subtle')}>
            {listTime(lm?.createdAt ?? c.createdAt)}
          </span>
        </div>
        <div className="mt-0.5 flex items-center justify-between gap-2">
          <span
            data-testid="conversation-preview"
            className={cx('truncate text-[13px]', unread ? 'text-fg' : 'text-muted')}
          >
            {preview}
          </span>
          {unread && (
            <span
              data-testid="unread-badge"
              aria-label={`${c.unreadCount} unread`}
              className="inline-flex h-5 min-w-[20px] shrink-0 items-center justify-center rounded-full bg-accent px-1.5 text-[11px] font-semibold tabular-nums text-accent-fg"
            >
              {c.unreadCount > 99 ? '99+' : c.unreadCount}
            </span>
          )}
        </div>
      </div>
    </a>
  );
});

/** "photo.jpg", or "3 files", for a message that is attachments only. */
function attachmentSummary(list: { name: string; contentType: string }[]) {
  const images = list.every((a) => a.contentType.startsWith('image/'));
  return (
    <>
      <IconPaperclip size={13} className="mr-1 inline-block align-[-2px]" />
      {list.length === 1 ? list[0].name : `${list.length} ${images ? 'images' : 'files'}`}
    </>
  );
}
