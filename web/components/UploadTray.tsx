'use client';

import type { Upload } from '@/lib/types';
import { humanSize } from '@/lib/upload';
import { useClient } from './ChatContext';
import { IconAlert, IconCheck, IconFile, IconX } from './icons';
import { cx } from './ui';

/** The files of the composer: uploading (progress, cancel), uploaded (remove) or failed (error, remove). */
export default function UploadTray({ uploads }: { uploads: Upload[] }) {
  const client = useClient();
  if (uploads.length === 0) return null;
  return (
    <div className="scroll-thin mb-2 flex gap-2 overflow-x-auto pb-1" data-testid="upload-tray">
      {uploads.map((u) => {
        const pct = u.size > 0 ? Math.min(100, Math.round((u.loaded / u.size) * 100)) : u.status === 'done' ? 100 : 0;
        return (
          <div
            key={u.localId}
            data-testid="pending-attachment"
            data-status={u.status}
            data-name={u.name}
            className={cx(
              'relative flex w-60 shrink-0 items-center gap-2.5 rounded-xl border bg-bg p-2 pr-8 shadow-sm',
              u.status === 'failed' ? 'border-danger/60' : 'border-border',
            )}
          >
            <div className="relative flex h-11 w-11 shrink-0 items-center justify-center overflow-hidden rounded-lg bg-surface-2 text-muted">
              {u.localUrl ? (
                // eslint-disable-next-line @next/next/no-img-element
                <img src={u.localUrl} alt="" className="h-full w-full object-cover" />
              ) : (
                <IconFile size={20} />
              )}
              {u.status === 'done' && (
                <span className="absolute bottom-0.5 right-0.5 flex h-4 w-4 items-center justify-center rounded-full bg-ok text-white">
                  <IconCheck size={11} strokeWidth={3} />
                </span>
              )}
            </div>
            <div className="min-w-0 flex-1">
              <div className="truncate text-[13px] font-medium" title={u.name}>
                {u.name}
              </div>
              {u.status === 'failed' ? (
                <div className="flex items-start gap-1 text-[11px] leading-tight text-danger" data-testid="upload-error" role="alert">
                  <IconAlert size={12} className="mt-px shrink-0" />{' '}
                  <span>
                    {u.error}
                    {u.retryable && (
                      <>
                        {' · '}
                        <button type="button" className="font-semibold hover:underline" data-testid="upload-retry" onClick={() => client.retryUpload(u)}>
                          Retry
                        </button>
                      </>
                    )}
                  </span>
                </div>
              ) : u.status === 'uploading' ? (
                <>
                  <div
                    className="mt-1 h-1.5 overflow-hidden rounded-full bg-surface-3"
                    role="progressbar"
                    aria-label={`Uploading ${u.name}`}
                    aria-valuemin={0}
                    aria-valuemax={100}
                    aria-valuenow={pct}
                    data-testid="upload-progress"
                  >
                    <div className="h-full rounded-full bg-accent transition-[width] duration-150" style={{ width: `${pct}%` }} />
                  </div>
                  <div className="mt-0.5 text-[11px] tabular-nums text-muted">
                    {humanSize(u.loaded)} / {humanSize(u.size)}
                  </div>
                </>
              ) : (
                <div className="text-[11px] text-muted">{humanSize(u.size)}</div>
              )}
            </div>
            <button
              type="button"
              onClick={() => client.removeUpload(u)}
              data-testid={u.status === 'uploading' ? 'upload-cancel' : 'upload-remove'}
              aria-label={u.status === 'uploading' ? `Cancel upload of ${u.name}` : `Remove ${u.name}`}
              title={u.status === 'uploading' ? 'Cancel upload' : 'Remove'}
              className="absolute right-1.5 top-1.5 flex h-6 w-6 items-center justify-center rounded-full text-subtle hover:bg-surface-2 hover:text-fg"
            >
              <IconX size={14} />
            </button>
          </div>
        );
      })}
    </div>
  );
}
