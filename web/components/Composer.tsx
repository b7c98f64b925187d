'use client';

import { useEffect, useLayoutEffect, useRef, useState, type ClipboardEvent, type KeyboardEvent } from 'react';
import type { Upload } from '@/lib/types';
import { useChat, useClient } from './ChatContext';
import { IconPaperclip, IconSend } from './icons';
import { cx } from './ui';
import UploadTray from './UploadTray';

const NO_UPLOADS: Upload[] = [];

const MAX = 4000;
const drafts = new Map<string, string>();

export default function Composer({
  convId,
  placeholder,
  disabled,
  onSent,
}: {
  convId: string;
  placeholder: string;
  disabled?: boolean;
  onSent?: () => void;
}) {
  const client = useClient();
  const [text, setText] = useState(() => drafts.get(convId) ?? '');
  const ref = useRef<HTMLTextAreaElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const uploads = useChat((s) => s.uploads[convId]) ?? NO_UPLOADS;
  const uploading = uploads.some((u) => u.status === 'uploading');
  const ready = uploads.filter((u) => u.status === 'done').length;

  useEffect(() => {
    if (text) drafts.set(convId, text);
    else drafts.delete(convId);
  }, [convId, text]);

  // Focus on open where there is a real keyboard (on phones it would pop the keyboard up uninvited).
  useEffect(() => {
    if (window.matchMedia?.('(pointer: fine)').matches) ref.current?.focus();
  }, [convId]);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 200)}px`;
  }, [text]);

  const tooLong = text.length > MAX;
  // Sent once every upload has finished; a message may be attachments only.
  const canSend = !disabled && (text.trim().length > 0 || ready > 0) && !tooLong && !uploading;

  function submit() {
    if (!canSend) return;
    client.send(convId, text);
    setText('');
    onSent?.();
  }

  // Images (or files) pasted from the clipboard become attachments; text pastes as usual.
  function onPaste(e: ClipboardEvent<HTMLTextAreaElement>) {
    const files = Array.from(e.clipboardData?.files ?? []);
    if (files.length === 0 || disabled) return;
    e.preventDefault();
    client.addFiles(convId, files);
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  }

  return (
    <div className="shrink-0 px-3 pb-3 md:px-5 md:pb-4" style={{ paddingBottom: 'max(0.75rem, env(safe-area-inset-bottom))' }}>
      <UploadTray uploads={uploads} />
      <div
        className={cx(
          'flex items-end gap-1 rounded-2xl border bg-bg p-1.5 shadow-sm transition-shadow focus-within:border-accent focus-within:ring-4 focus-within:ring-accent/10',
          tooLong ? 'border-danger' : 'border-border',
        )}
      >
        <input
          ref={fileRef}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = '';
            if (files.length) client.addFiles(convId, files);
          }}
        />
        <button
          type="button"
          aria-label="Attach files"
          title="Attach files (or drop them here, or paste an image)"
          data-testid="attach-button"
          disabled={disabled}
          onClick={() => fileRef.current?.click()}
          className="flex h-9 w-9 shrink-0 items-center justify-center rounded-xl text-muted transition-colors hover:bg-surface-2 hover:text-fg disabled:opacity-40"
        >
          <IconPaperclip size={19} />
        </button>
        <textarea
          ref={ref}
          rows={1}
          value={text}
          disabled={disabled}
          placeholder={placeholder}
          aria-label="Message"
          data-testid="composer"
          onChange={(e) => {
            setText(e.target.value);
            if (e.target.value.trim()) client.typing(convId);
            else client.stopTyping(convId);
          }}
          onBlur={() => client.stopTyping(convId)}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          className="scroll-thin max-h-[200px] min-h-[36px] flex-1 resize-none pl-1 bg-transparent py-[7px] text-[15px] leading-[22px] text-fg placeholder:text-subtle focus:outline-none focus-visible:outline-none"
        />
        <button
          type="button"
          aria-label="Send message"
          data-testid="send-button"
          disabled={!canSend}
          onClick={submit}
          className="flex h-9 w-9 shrink-0 items-center justify-center rounded-xl bg-accent text-accent-fg transition-all hover:bg-accent-hover disabled:bg-surface-3 disabled:text-subtle"
        >
          <IconSend size={18} />
        </button>
      </div>
      <div className="mt-1.5 hidden justify-between px-1 text-[11px] text-subtle md:flex">
        <span>
          {uploading ? 'Uploading… you can send when it finishes · ' : ''}
          <kbd className="font-sans font-semibold">Enter</kbd> to send · <kbd className="font-sans font-semibold">Shift + Enter</kbd>{' '}
          for a new line
        </span>
        {text.length > MAX - 500 && (
          <span className={cx('tabular-nums', tooLong && 'font-semibold text-danger')}>
            {text.length} / {MAX}
          </span>
        )}
      </div>
    </div>
  );
}
