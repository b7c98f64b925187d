'use client';

import { useEffect, useRef, useState } from 'react';
import type { User } from '@/lib/types';
import { displayName } from '@/lib/util';
import { useChat, useClient } from './ChatContext';
import { IconCheck, IconSearch } from './icons';
import { Avatar, cx, Spinner } from './ui';

/** Search people by name, username or email; `onPick` fires on a click (selection is the caller's). */
export default function UserPicker({
  selectedIds,
  excludeIds = [],
  onPick,
  autoFocus,
  testId = 'user-search',
  placeholder = 'Search by name, username or email',
}: {
  selectedIds: string[];
  excludeIds?: string[];
  onPick: (u: User) => void;
  autoFocus?: boolean;
  testId?: string;
  placeholder?: string;
}) {
  const client = useClient();
  const presence = useChat((s) => s.presence);
  const [q, setQ] = useState('');
  const [results, setResults] = useState<User[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);

  useEffect(() => {
    const query = q.trim();
    if (!query) {
      setResults(null);
      setBusy(false);
      return;
    }
    const n = ++seq.current;
    setBusy(true);
    const t = setTimeout(async () => {
      try {
        const users = await client.searchUsers(query);
        if (n === seq.current) {
          setResults(users);
          setError(null);
        }
      } catch (e) {
        if (n === seq.current) setError(e instanceof Error ? e.message : 'Search failed');
      } finally {
        if (n === seq.current) setBusy(false);
      }
    }, 180);
    return () => clearTimeout(t);
  }, [q, client]);

  const shown = (results ?? []).filter((u) => !excludeIds.includes(u.id));

  return (
    <div>
      <label className="relative block">
        <span className="pointer-events-none absolute left-3 top-1/2 -translate-y-1/2 text-subtle">
          {busy ? <Spinner size={15} /> : <IconSearch size={16} />}
        </span>
        <input
          value={q}
          onChange={(e) => setQ(e.target.value)}
          placeholder={placeholder}
          autoFocus={autoFocus}
          autoCapitalize="none"
          spellCheck={false}
          data-testid={testId}
          aria-label="Search people"
          className="h-10 w-full rounded-lg border border-border bg-bg pl-9 pr-3 text-sm text-fg placeholder:text-subtle focus:border-accent focus:outline-none focus:ring-4 focus:ring-accent/10"
        />
      </label>
      <div className="mt-2 min-h-[44px]">
        {error && <p className="px-1 py-2 text-sm text-danger">{error}</p>}
        {!error && results && shown.length === 0 && !busy && (
          <p className="px-1 py-3 text-sm text-muted">Nobody found for “{q.trim()}”.</p>
        )}
        {!results && !error && <p className="px-1 py-3 text-sm text-subtle">Type a name to find people.</p>}
        <ul className="space-y-0.5">
          {shown.map((u) => {
            const sel = selectedIds.includes(u.id);
            return (
              <li key={u.id}>
                <button
                  type="button"
                  data-testid="user-result"
                  data-username={u.username}
                  aria-pressed={sel}
                  onClick={() => onPick(u)}
                  className={cx(
                    'flex w-full items-center gap-3 rounded-lg px-2 py-2 text-left transition-colors',
                    sel ? 'bg-accent-soft' : 'hover:bg-surface-2',
                  )}
                >
                  <Avatar id={u.id} name={displayName(u)} size={34} online={presence[u.id]?.online} />
                  <span className="min-w-0 flex-1">
                    <span className="block truncate text-sm font-medium">{displayName(u)}</span>
                    <span className="block truncate text-xs text-muted">@{u.username}</span>
                  </span>
                  <span
                    className={cx(
                      'flex h-5 w-5 items-center justify-center rounded-full border',
                      sel ? 'border-accent bg-accent text-accent-fg' : 'border-border',
                    )}
                  >
                    {sel && <IconCheck size={12} strokeWidth={3} />}
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      </div>
    </div>
  );
}
