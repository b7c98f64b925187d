'use client';

import { useChat, useClient } from './ChatContext';
import { IconAlert, IconX } from './icons';
import { cx } from './ui';

export default function Toasts() {
  const client = useClient();
  const toasts = useChat((s) => s.toasts);
  if (toasts.length === 0) return null;
  return (
    <div className="pointer-events-none fixed inset-x-0 bottom-24 z-[60] flex flex-col items-center gap-2 px-4">
      {toasts.map((t) => (
        <div
          key={t.id}
          role="status"
          data-testid="toast"
          className={cx(
            'pointer-events-auto flex max-w-md items-center gap-2 rounded-xl px-4 py-2.5 text-sm shadow-pop animate-slide-up',
            t.kind === 'error' ? 'bg-danger text-white' : 'bg-fg text-bg',
          )}
        >
          {t.kind === 'error' && <IconAlert size={16} />}
          <span>{t.text}</span>
          <button className="-mr-1 ml-1 opacity-70 hover:opacity-100" aria-label="Dismiss" onClick={() => client.dismissToast(t.id)}>
            <IconX size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}
