'use client';

import { useState } from 'react';
import type { User } from '@/lib/types';
import { displayName, firstName } from '@/lib/util';
import { useClient } from './ChatContext';
import { IconX } from './icons';
import { Avatar, Button, Modal, Spinner } from './ui';
import UserPicker from './UserPicker';

export default function NewConversationDialog({
  onClose,
  onCreated,
}: {
  onClose: () => void;
  onCreated: (id: string) => void;
}) {
  const client = useClient();
  const [picked, setPicked] = useState<User[]>([]);
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const group = picked.length >= 2;
  const suggested = picked.map(firstName).join(', ').slice(0, 100);

  function toggle(u: User) {
    setPicked((p) => (p.some((x) => x.id === u.id) ? p.filter((x) => x.id !== u.id) : [...p, u]));
  }

  async function create() {
    if (picked.length === 0 || busy) return;
    setBusy(true);
    setError(null);
    try {
      const id = group
        ? await client.createConversation('group', picked.map((u) => u.id), (title.trim() || suggested).slice(0, 100))
        : await client.createConversation('direct', [picked[0].id]);
      onCreated(id);
    } catch (e) {
      setError(e instanceof Error ? e.message : 'Could not create the conversation');
      setBusy(false);
    }
  }

  return (
    <Modal
      title="New conversation"
      onClose={onClose}
      testId="new-conversation-dialog"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" disabled={picked.length === 0 || busy} onClick={create} data-testid="create-conversation">
            {busy && <Spinner size={14} />}
            {group ? `Create group (${picked.length + 1})` : 'Start chat'}
          </Button>
        </>
      }
    >
      <p className="mb-3 text-sm text-muted">Pick one person for a direct message, or several for a group.</p>
      {picked.length > 0 && (
        <div className="mb-3 flex flex-wrap gap-1.5" data-testid="picked-users">
          {picked.map((u) => (
            <span key={u.id} className="inline-flex items-center gap-1.5 rounded-full bg-accent-soft py-1 pl-1 pr-2 text-[13px] font-medium text-fg">
              <Avatar id={u.id} name={displayName(u)} size={20} />
              {displayName(u)}
              <button aria-label={`Remove ${displayName(u)}`} onClick={() => toggle(u)} className="text-muted hover:text-fg">
                <IconX size={13} />
              </button>
            </span>
          ))}
        </div>
      )}
      {group && (
        <label className="mb-3 block">
          <span className="mb-1.5 block text-[13px] font-medium">Group name</span>
          <input
            value={title}
            maxLength={100}
            onChange={(e) => setTitle(e.target.value)}
            placeholder={suggested}
            data-testid="group-title"
            className="h-10 w-full rounded-lg border border-border bg-bg px-3 text-sm text-fg placeholder:text-subtle focus:border-accent focus:outline-none focus:ring-4 focus:ring-accent/10"
          />
        </label>
      )}
      <UserPicker selectedIds={picked.map((u) => u.id)} onPick={toggle} autoFocus />
      {error && (
        <p role="alert" className="mt-2 rounded-lg bg-danger-soft px-3 py-2 text-sm text-danger" data-testid="new-conversation-error">
          {error}
        </p>
      )}
    </Modal>
  );
}
