'use client';

import { useChat } from './ChatContext';
import { IconChat, IconCompose } from './icons';
import { displayName } from '@/lib/util';

export default function EmptyState({ onNew }: { onNew: () => void }) {
  const me = useChat((s) => s.me);
  const count = useChat((s) => Object.keys(s.conversations).length);
  return (
    <div className="flex flex-1 flex-col items-center justify-center p-8 text-center">
      <div className="mb-5 flex h-16 w-16 items-center justify-center rounded-2xl bg-accent-soft text-accent">
        <IconChat size={30} />
      </div>
      <h2 className="text-lg font-semibold">Hi {displayName(me).split(' ')[0]}</h2>
      <p className="mt-1 max-w-xs text-sm text-muted">
        {count > 0
          ? 'Pick a conversation on the left, or start a new one.'
          : 'No conversations yet. Find someone by name and say hello.'}
      </p>
      <button
        onClick={onNew}
        className="mt-6 inline-flex h-10 items-center gap-2 rounded-lg bg-accent px-4 text-sm font-semibold text-accent-fg hover:bg-accent-hover"
      >
        <IconCompose size={16} /> New conversation
      </button>
    </div>
  );
}
