'use client';

import { useEffect, useState } from 'react';
import type { Conversation, Member, User } from '@/lib/types';
import { conversationTitle, displayName, lastSeenText, otherMember } from '@/lib/util';
import { useChat, useClient } from './ChatContext';
import { IconBack, IconDoor, IconPencil, IconPlus, IconX } from './icons';
import { Avatar, Button, ConfirmDialog, cx, IconButton, Spinner } from './ui';
import UserPicker from './UserPicker';

export default function DetailsPanel({ conv, onClose }: { conv: Conversation; onClose: () => void }) {
  const client = useClient();
  const me = useChat((s) => s.me);
  const presence = useChat((s) => s.presence);
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(conv.title ?? '');
  const [adding, setAdding] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [confirmLeave, setConfirmLeave] = useState(false);
  const [confirmRemove, setConfirmRemove] = useState<Member | null>(null);

  const isGroup = conv.type === 'group';
  const myRole = conv.members.find((m) => m.id === me.id)?.role;
  const isAdmin = myRole === 'admin';
  const name = conversationTitle(conv, me.id);
  const other = otherMember(conv, me.id);

  useEffect(() => {
    client.fetchPresenceFor([conv], true);
  }, [client, conv]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && !editing && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose, editing]);

  async function run(key: string, f: () => Promise<unknown>) {
    setBusy(key);
    try {
      await f();
      return true;
    } catch (e) {
      client.toast(e instanceof Error ? e.message : 'That did not work', 'error');
      return false;
    } finally {
      setBusy(null);
    }
  }

  async function saveTitle() {
    const t = title.trim();
    if (!t || t === conv.title) return setEditing(false);
    if (await run('title', () => client.updateConversation(conv.id, { title: t }))) setEditing(false);
  }

  async function add(u: User) {
    if (conv.members.some((m) => m.id === u.id)) return;
    await run(`add-${u.id}`, () => client.updateConversation(conv.id, { addMemberIds: [u.id] }));
  }

  const members = [...conv.members].sort((a, b) =>
    a.id === me.id ? -1 : b.id === me.id ? 1 : displayName(a).localeCompare(displayName(b)),
  );

  return (
    <aside
      data-testid="details-panel"
      className="fixed inset-0 z-40 flex flex-col bg-bg animate-fade-in md:static md:z-auto md:w-[320px] md:shrink-0 md:border-l md:border-border lg:w-[340px]"
    >
      <header className="flex h-[60px] shrink-0 items-center gap-2 border-b border-border px-3">
        <IconButton label="Close details" onClick={onClose} className="md:hidden">
          <IconBack size={20} />
        </IconButton>
        <h2 className="flex-1 text-[15px] font-semibold md:pl-1">{isGroup ? 'Group details' : 'Details'}</h2>
        <IconButton label="Close details" onClick={onClose} className="hidden md:inline-flex" data-testid="close-details">
          <IconX size={18} />
        </IconButton>
      </header>

      <div className="scroll-thin min-h-0 flex-1 overflow-y-auto">
        <div className="flex flex-col items-center px-5 pb-5 pt-6 text-center">
          <Avatar
            id={!isGroup && other ? other.id : conv.id}
            name={name}
            size={72}
            group={isGroup}
            online={!isGroup && other ? !!presence[other.id]?.online : undefined}
          />
          {editing ? (
            <form
              className="mt-4 flex w-full gap-2"
              onSubmit={(e) => {
                e.preventDefault();
                void saveTitle();
              }}
            >
              <input
                autoFocus
                value={title}
                maxLength={100}
                onChange={(e) => setTitle(e.target.value)}
                onKeyDown={(e) => e.key === 'Escape' && setEditing(false)}
                data-testid="rename-input"
                aria-label="Group name"
                className="h-9 min-w-0 flex-1 rounded-lg border border-border bg-bg px-3 text-sm focus:border-accent focus:outline-none focus:ring-4 focus:ring-accent/10"
              />
              <Button type="submit" variant="primary" size="sm" className="h-9" data-testid="rename-save" disabled={busy === 'title'}>
                {busy === 'title' ? <Spinner size={14} /> : 'Save'}
              </Button>
            </form>
          ) : (
            <div className="mt-3 flex items-center gap-1">
              <h3 className="text-lg font-semibold" data-testid="details-title">
                {name}
              </h3>
              {isGroup && isAdmin && (
                <IconButton
                  label="Rename group"
                  data-testid="rename"
                  className="h-7 w-7"
                  onClick={() => {
                    setTitle(conv.title ?? name);
                    setEditing(true);
                  }}
                >
                  <IconPencil size={14} />
                </IconButton>
              )}
            </div>
          )}
          <p className="mt-0.5 text-sm text-muted">
            {isGroup
              ? `${conv.members.length} members`
              : other
                ? presence[other.id]?.online
                  ? `@${other.username} · Online`
                  : `@${other.username} · ${lastSeenText(presence[other.id]?.lastSeenAt)}`
                : ''}
          </p>
        </div>

        {isGroup && (
          <section className="border-t border-border px-3 py-4">
            <div className="mb-2 flex items-center justify-between px-2">
              <h4 className="text-xs font-semibold uppercase tracking-wide text-subtle">Members</h4>
              {isAdmin && (
                <Button
                  size="sm"
                  variant="ghost"
                  className="h-7 px-2 text-accent hover:text-accent"
                  onClick={() => setAdding((a) => !a)}
                  data-testid="add-members"
                >
                  <IconPlus size={14} /> {adding ? 'Done' : 'Add people'}
                </Button>
              )}
            </div>
            {adding && (
              <div className="mb-3 rounded-xl border border-border bg-surface p-2">
                <UserPicker
                  selectedIds={conv.members.map((m) => m.id)}
                  onPick={(u) => void add(u)}
                  autoFocus
                  testId="add-member-search"
                  placeholder="Find people to add"
                />
              </div>
            )}
            <ul className="space-y-0.5">
              {members.map((m) => (
                <li
                  key={m.id}
                  data-testid="member-row"
                  data-username={m.username}
                  className="group flex items-center gap-3 rounded-lg px-2 py-1.5 hover:bg-surface-2"
                >
                  <Avatar id={m.id} name={displayName(m)} size={32} online={m.id === me.id ? true : !!presence[m.id]?.online} />
                  <span className="min-w-0 flex-1">
                    <span className="block truncate text-sm font-medium">
                      {displayName(m)}
                      {m.id === me.id && <span className="font-normal text-muted"> (you)</span>}
                    </span>
                    <span className="block truncate text-xs text-muted">@{m.username}</span>
                  </span>
                  {m.role === 'admin' && (
                    <span className="rounded-md bg-surface-2 px-1.5 py-0.5 text-[11px] font-medium text-muted">Admin</span>
                  )}
                  {isAdmin && m.id !== me.id && (
                    <button
                      type="button"
                      data-testid="remove-member"
                      aria-label={`Remove ${displayName(m)}`}
                      title="Remove from group"
                      onClick={() => setConfirmRemove(m)}
                      className={cx(
                        'flex h-7 w-7 items-center justify-center rounded-md text-subtle hover:bg-danger-soft hover:text-danger',
                        'opacity-100 md:opacity-0 md:focus:opacity-100 md:group-hover:opacity-100',
                      )}
                    >
                      {busy === `remove-${m.id}` ? <Spinner size={13} /> : <IconX size={15} />}
                    </button>
                  )}
                </li>
              ))}
            </ul>
          </section>
        )}

        {isGroup && (
          <section className="border-t border-border px-3 py-4">
            <Button
              variant="danger-ghost"
              className="w-full justify-start"
              onClick={() => setConfirmLeave(true)}
              data-testid="leave-conversation"
            >
              <IconDoor size={16} /> Leave group
            </Button>
          </section>
        )}
      </div>

      {confirmLeave && (
        <ConfirmDialog
          title="Leave this group?"
          body={`You will stop receiving messages from “${name}”. An admin can add you back later.`}
          confirmLabel="Leave"
          testId="confirm-leave"
          onCancel={() => setConfirmLeave(false)}
          onConfirm={() => {
            setConfirmLeave(false);
            void run('leave', () => client.leaveConversation(conv.id));
          }}
        />
      )}
      {confirmRemove && (
        <ConfirmDialog
          title={`Remove ${displayName(confirmRemove)}?`}
          body="They will lose access to this group and its history right away."
          confirmLabel="Remove"
          testId="confirm-remove"
          onCancel={() => setConfirmRemove(null)}
          onConfirm={() => {
            const m = confirmRemove;
            setConfirmRemove(null);
            void run(`remove-${m.id}`, () => client.updateConversation(conv.id, { removeMemberIds: [m.id] }));
          }}
        />
      )}
    </aside>
  );
}
