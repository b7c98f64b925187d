'use client';

import { memo, useEffect, useMemo, useState } from 'react';
import type { Conversation, Presence, SearchResult } from '@/lib/types';
import { conversationTitle, displayName, firstName, listTime, otherMember, snippetParts, sortConversations } from '@/lib/util';
import { openConversation } from '@/lib/nav';
import { useChat, useClient } from './ChatContext';
import { IconBell, IconBellOff, IconChat, IconCompose, IconLogout, IconPaperclip, IconSearch, IconX } from './icons';
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
  const notifyPermission = useChat((s) => s.notifyPermission);
  const search = useMessageSearch(filter);

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

  // The tab title counts unread messages, muted conversations aside.
  const totalUnread = useMemo(
    () => Object.values(conversations).reduce((n, c) => n + (c.muted ? 0 : Math.max(0, c.unreadCount)), 0),
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
        <div className="flex items-center gap-1.5">
        {notifyPermission === 'default' && (
          <IconButton
            label="Turn on notifications"
            data-testid="enable-notifications"
            onClick={() => void client.enableNotifications()}
            className="text-muted hover:bg-surface-2"
          >
            <IconBell size={17} />
          </IconButton>
        )}
        {notifyPermission === 'denied' && (
          <span title="Notifications are blocked in this browser's site settings" className="px-1 text-subtle">
            <IconBellOff size={16} />
          </span>
        )}
        <IconButton
          label="New conversation"
          data-testid="new-conversation"
          onClick={onNew}
          className="border border-border bg-bg text-fg shadow-sm hover:bg-surface-2"
        >
          <IconCompose size={17} />
        </IconButton>
        </div>
      </header>

      <div className="px-3 pb-2 pt-1">
        <label className="relative block">
          <span className="pointer-events-none absolute left-2.5 top-1/2 -translate-y-1/2 text-subtle">
            <IconSearch size={15} />
          </span>
          <input
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="Search"
            aria-label="Search conversations and messages"
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
        {listLoaded && list.length === 0 && !search.active && (
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
        {search.active && <SearchResults state={search} meId={me.id} conversations={conversations} onDone={() => setFilter('')} />}
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
      data-mentions={c.mentionCount ?? 0}
      data-muted={c.muted ? 'true' : undefined}
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
          {c.muted && (
            <span className="-ml-1 mr-auto shrink-0 text-subtle" title="Muted" data-testid="muted-icon">
              <IconBellOff size={13} />
            </span>
          )}
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
          {unread && (c.mentionCount ?? 0) > 0 && (
            <span
              data-testid="mention-badge"
              aria-label={`${c.mentionCount} mentions`}
              title={`${c.mentionCount} unread ${c.mentionCount === 1 ? 'mention' : 'mentions'}`}
              className="inline-flex h-5 min-w-[20px] shrink-0 items-center justify-center rounded-full bg-warn-soft px-1.5 text-[11px] font-bold tabular-nums text-warn ring-1 ring-warn/40"
            >
              @{(c.mentionCount ?? 0) > 1 ? c.mentionCount : ''}
            </span>
          )}
          {unread && c.muted && (
            <span
              data-testid="unread-badge"
              data-muted="true"
              aria-label={`${c.unreadCount} unread (muted)`}
              className="h-2.5 w-2.5 shrink-0 rounded-full bg-subtle"
            />
          )}
          {unread && !c.muted && (
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

interface SearchState {
  active: boolean;
  q: string;
  loading: boolean;
  error: string | null;
  results: SearchResult[];
}

/** Message search as you type (debounced); the server matches the last word as a prefix. */
function useMessageSearch(text: string): SearchState {
  const client = useClient();
  const q = text.trim();
  const active = q.length >= 2;
  const [st, setSt] = useState<Omit<SearchState, 'active' | 'q'> & { for: string }>({
    for: '',
    loading: false,
    error: null,
    results: [],
  });
  useEffect(() => {
    if (!active) return;
    let live = true;
    setSt((s) => ({ ...s, loading: true, error: null }));
    const t = setTimeout(() => {
      client
        .search(q)
        .then((r) => live && setSt({ for: q, loading: false, error: null, results: r.results ?? [] }))
        .catch(
          (e: unknown) =>
            live &&
            setSt({
              for: q,
              loading: false,
              error:
                e && typeof e === 'object' && 'code' in e && (e as { code: string }).code === 'search_disabled'
                  ? 'Message search is turned off on this server'
                  : e instanceof Error
                    ? e.message
                    : 'Search failed',
              results: [],
            }),
        );
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [q, active, client]);
  return { active, q, loading: st.loading, error: st.error, results: st.for === q ? st.results : st.loading ? [] : st.results };
}

function SearchResults({
  state,
  meId,
  conversations,
  onDone,
}: {
  state: SearchState;
  meId: string;
  conversations: Record<string, Conversation>;
  onDone: () => void;
}) {
  const client = useClient();
  const users = useChat((s) => s.users);
  return (
    <section data-testid="search-results" aria-label="Messages found" className="mt-3 border-t border-border pt-2">
      <h3 className="flex items-center gap-2 px-2.5 pb-1 text-[11px] font-semibold uppercase tracking-wide text-muted">
        Messages {state.loading && <Spinner size={12} />}
      </h3>
      {state.error && <p className="px-2.5 py-2 text-sm text-danger">{state.error}</p>}
      {!state.loading && !state.error && state.results.length === 0 && (
        <p className="px-2.5 py-2 text-sm text-muted" data-testid="search-empty">
          No message matches “{state.q}”.
        </p>
      )}
      <ul className="space-y-0.5">
        {state.results.map(({ message: m, snippet }) => {
          const c = conversations[m.conversationId];
          const sender = m.senderId === meId ? 'You' : displayName(c?.members.find((x) => x.id === m.senderId) ?? users[m.senderId]);
          return (
            <li key={m.id}>
              <button
                type="button"
                data-testid="search-result"
                data-conversation-id={m.conversationId}
                data-seq={m.seq}
                onClick={() => {
                  onDone();
                  void client.jumpTo(m.conversationId, Number(m.seq));
                }}
                className="flex w-full flex-col rounded-xl px-2.5 py-2 text-left transition-colors hover:bg-surface-2"
              >
                <span className="flex w-full items-baseline justify-between gap-2 text-xs">
                  <span className="truncate font-semibold text-fg" data-testid="search-result-conversation">
                    {c ? conversationTitle(c, meId) : 'Conversation'}
                  </span>
                  <span className="shrink-0 text-subtle">{listTime(m.createdAt)}</span>
                </span>
                <span className="mt-0.5 line-clamp-2 text-[13px] text-muted [overflow-wrap:anywhere]" data-testid="search-snippet">
                  <span className="text-fg">{sender}: </span>
                  {snippetParts(snippet).map((p, i) =>
                    p.mark ? (
                      <mark key={i} className="rounded-sm bg-warn-soft px-0.5 font-semibold text-fg">
                        {p.text}
                      </mark>
                    ) : (
                      <span key={i}>{p.text}</span>
                    ),
                  )}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
