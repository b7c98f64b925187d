'use client';

import { useEffect, useMemo, useRef, useState } from 'react';
import type { Attachment } from '@/lib/types';
import { humanSize, isImageType, withAccess } from '@/lib/upload';
import { useChat, useClient } from './ChatContext';
import { IconAlert, IconDownload, IconExternal, IconFile, IconImage, IconX } from './icons';
import { cx, Spinner } from './ui';

/** Largest side of an image in the message list, in CSS pixels. */
const THUMB_BOX = 280;

/**
 * `url` with the media token. The src stays the same when the token is refreshed (so that loaded images
 * are not fetched again); only after a load error does it pick up the newer token.
 */
export function useMediaSrc(url: string | undefined): { src: string | null; onError: () => void; failed: boolean } {
  const client = useClient();
  const token = useChat((s) => s.mediaToken);
  const [failedWith, setFailedWith] = useState<string | null>(null);
  const [gen, setGen] = useState(0);
  const tokenRef = useRef(token);
  tokenRef.current = token;
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const src = useMemo(() => (url && token ? withAccess(url, token) : null), [url, gen, token === null]);
  useEffect(() => {
    if (failedWith !== null && token && token !== failedWith) {
      setFailedWith(null);
      setGen((g) => g + 1);
    }
  }, [token, failedWith]);
  useEffect(() => setFailedWith(null), [url]);
  return {
    src,
    failed: failedWith !== null,
    onError: () => {
      setFailedWith(tokenRef.current ?? '');
      client.mediaFailed();
    },
  };
}

/** Whether an attachment is shown as an image (thumbnail + lightbox) rather than a file card. */
export function showsAsImage(a: Attachment, localUrl?: string): boolean {
  if (a.preview === 'ready' && a.thumbnailUrl) return true;
  if (a.preview === 'pending') return true;
  return !!localUrl && isImageType(a.contentType) && a.preview !== 'failed' && a.preview !== 'none';
}

/** The attachments of one message: images first (a grid), then file cards. */
export function MessageAttachments({
  attachments,
  own,
  onOpen,
}: {
  attachments: Attachment[];
  own: boolean;
  onOpen?: (a: Attachment) => void;
}) {
  const local = useChat((s) => s.localImages);
  const images = attachments.filter((a) => showsAsImage(a, local[a.id]));
  const files = attachments.filter((a) => !showsAsImage(a, local[a.id]));
  return (
    <div className={cx('flex max-w-full flex-col gap-1', own ? 'items-end' : 'items-start')} data-testid="message-attachments">
      {images.length > 0 && (
        <div className={cx('flex max-w-full flex-wrap gap-1', own && 'justify-end')}>
          {images.map((a) => (
            <ImageThumb key={a.id} a={a} localUrl={local[a.id]} small={images.length > 1} onOpen={onOpen} />
          ))}
        </div>
      )}
      {files.map((a) => (
        <FileCard key={a.id} a={a} />
      ))}
    </div>
  );
}

function boxSize(a: Attachment, small: boolean): { w: number; h: number } {
  const max = small ? 180 : THUMB_BOX;
  if (!a.width || !a.height) return { w: max, h: Math.round((max * 3) / 4) };
  const s = Math.min(1, max / a.width, max / a.height);
  return { w: Math.max(64, Math.round(a.width * s)), h: Math.max(48, Math.round(a.height * s)) };
}

function ImageThumb({
  a,
  localUrl,
  small,
  onOpen,
}: {
  a: Attachment;
  localUrl?: string;
  small: boolean;
  onOpen?: (a: Attachment) => void;
}) {
  const ready = a.preview === 'ready' && !!a.thumbnailUrl;
  const media = useMediaSrc(ready ? a.thumbnailUrl : undefined);
  // Which src finished loading (a cached image may load before any effect could reset a flag).
  const [loadedSrc, setLoadedSrc] = useState<string | null>(null);
  const { w, h } = boxSize(a, small);
  const src = ready && media.src && !media.failed ? media.src : localUrl;
  const loaded = !!src && loadedSrc === src;
  const state = ready ? (media.failed ? 'error' : loaded ? 'loaded' : 'loading') : 'pending';
  return (
    <button
      type="button"
      data-testid="attachment-image"
      data-attachment-id={a.id}
      data-preview={a.preview ?? 'none'}
      data-state={state}
      aria-label={`Open image ${a.name}`}
      title={a.name}
      disabled={!ready}
      onClick={() => ready && onOpen?.(a)}
      className="relative max-w-full overflow-hidden rounded-xl border border-border bg-surface-2 disabled:cursor-default"
      style={{ width: w, aspectRatio: `${w} / ${h}` }}
    >
      {src && (
        <img
          src={src}
          alt={a.name}
          data-testid={ready ? 'attachment-thumbnail' : 'attachment-local'}
          draggable={false}
          onLoad={() => setLoadedSrc(src)}
          onError={ready ? media.onError : undefined}
          className={cx('absolute inset-0 h-full w-full object-cover', loaded || !ready ? 'opacity-100' : 'opacity-0')}
        />
      )}
      {!ready && (
        <span
          data-testid="attachment-placeholder"
          className={cx(
            'absolute inset-0 flex flex-col items-center justify-center gap-1.5 text-xs text-muted',
            src ? 'bg-black/25 text-white' : 'animate-pulse',
          )}
        >
          {src ? <Spinner size={18} /> : <IconImage size={26} />}
          <span>Preparing preview…</span>
        </span>
      )}
      {ready && media.failed && (
        <span className="absolute inset-0 flex flex-col items-center justify-center gap-1 text-xs text-muted">
          <IconAlert size={20} /> Could not load
        </span>
      )}
    </button>
  );
}

function extOf(name: string): string {
  const m = /\.([A-Za-z0-9]{1,5})$/.exec(name);
  return m ? m[1].toUpperCase() : '';
}

export function FileCard({ a }: { a: Attachment }) {
  const token = useChat((s) => s.mediaToken);
  const ext = extOf(a.name);
  const href = withAccess(a.url, token);
  return (
    <div
      data-testid="attachment-file"
      data-attachment-id={a.id}
      data-preview={a.preview ?? 'none'}
      className="flex w-72 max-w-full items-center gap-3 rounded-xl border border-border bg-bg px-3 py-2.5 text-fg shadow-sm"
    >
      <div className="relative flex h-10 w-10 shrink-0 items-center justify-center rounded-lg bg-accent-soft text-accent">
        <IconFile size={22} />
        {ext && (
          <span className="absolute -bottom-1 rounded bg-accent px-1 text-[9px] font-bold leading-[14px] text-accent-fg">
            {ext.slice(0, 4)}
          </span>
        )}
      </div>
      <div className="min-w-0 flex-1">
        <div className="truncate text-sm font-medium" data-testid="attachment-name" title={a.name}>
          {a.name}
        </div>
        <div className="text-xs text-muted" data-testid="attachment-size">
          {humanSize(a.size)}
          {a.preview === 'failed' && ' · no preview'}
        </div>
      </div>
      <a
        href={href}
        download={a.name}
        data-testid="attachment-download"
        aria-label={`Download ${a.name}`}
        title="Download"
        className="flex h-9 w-9 shrink-0 items-center justify-center rounded-full text-muted transition-colors hover:bg-surface-2 hover:text-fg"
      >
        <IconDownload size={18} />
      </a>
    </div>
  );
}

/** The large preview of an image, over everything. Esc or a click outside closes it. */
export function Lightbox({ a, onClose }: { a: Attachment; onClose: () => void }) {
  const token = useChat((s) => s.mediaToken);
  const media = useMediaSrc(a.previewUrl ?? a.url);
  const [loaded, setLoaded] = useState(false);
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        onClose();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      before?.focus?.();
    };
  }, [onClose]);
  const full = withAccess(a.url, token);
  return (
    <div
      role="dialog"
      aria-modal="true"
      aria-label={a.name}
      data-testid="lightbox"
      className="fixed inset-0 z-50 flex flex-col bg-black/90 animate-fade-in"
      onMouseDown={(e) => e.target === e.currentTarget && onClose()}
    >
      <div className="flex h-14 shrink-0 items-center gap-2 px-3 text-white md:px-5">
        <div className="min-w-0 flex-1">
          <div className="truncate text-sm font-medium" data-testid="lightbox-name">
            {a.name}
          </div>
          <div className="text-xs text-white/60">
            {humanSize(a.size)}
            {a.width && a.height ? ` · ${a.width} × ${a.height}` : ''}
          </div>
        </div>
        <a
          href={full}
          target="_blank"
          rel="noopener noreferrer"
          data-testid="lightbox-original"
          title="Open the original"
          className="flex h-9 items-center gap-1.5 rounded-full px-3 text-sm text-white/85 hover:bg-white/10"
        >
          <IconExternal size={16} /> <span className="hidden sm:inline">Original</span>
        </a>
        <a
          href={full}
          download={a.name}
          data-testid="lightbox-download"
          title="Download"
          className="flex h-9 items-center gap-1.5 rounded-full px-3 text-sm text-white/85 hover:bg-white/10"
        >
          <IconDownload size={16} /> <span className="hidden sm:inline">Download</span>
        </a>
        <button
          type="button"
          ref={closeRef}
          aria-label="Close"
          title="Close (Esc)"
          onClick={onClose}
          data-testid="lightbox-close"
          className="flex h-9 w-9 items-center justify-center rounded-full text-white hover:bg-white/10"
        >
          <IconX size={20} />
        </button>
      </div>
      <div
        className="flex min-h-0 flex-1 items-center justify-center p-3 md:p-8"
        onMouseDown={(e) => e.target === e.currentTarget && onClose()}
      >
        {!loaded && !media.failed && <Spinner size={28} className="absolute text-white/70" />}
        {media.failed && (
          <div className="text-sm text-white/80">
            <IconAlert size={18} className="mr-1 inline" /> The image could not be loaded.
          </div>
        )}
        {media.src && (
          <img
            src={media.src}
            alt={a.name}
            data-testid="lightbox-image"
            onLoad={() => setLoaded(true)}
            onError={media.onError}
            className={cx('max-h-full max-w-full rounded-md object-contain shadow-pop', loaded ? 'opacity-100' : 'opacity-0')}
          />
        )}
      </div>
    </div>
  );
}
