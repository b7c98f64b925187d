'use client';

import { useEffect, useLayoutEffect, useMemo, useRef, useState, type ClipboardEvent, type KeyboardEvent } from 'react';
import type { Member, Upload } from '@/lib/types';
import { displayName } from '@/lib/util';
import { useChat, useClient } from './ChatContext';
import { IconCheck, IconPaperclip, IconPencil, IconReply, IconSend, IconX } from './icons';
import { Avatar, cx } from './ui';
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
  const replyTo = useChat((s) => s.replyTo[convId]);
  const editing = useChat((s) => s.editing[convId]);
  const members = useChat((s) => s.conversations[convId]?.members);
  const items = useChat((s) => s.messages[convId]?.items);
  const me = useChat((s) => s.me);
  const users = useChat((s) => s.users);
  // The text typed before an edit started, given back when it ends.
  const savedDraft = useRef<string | null>(null);
  // The @ autocomplete: the word being typed after "@" and the member highlighted.
  const [mention, setMention] = useState<{ start: number; query: string } | null>(null);
  const [mentionIdx, setMentionIdx] = useState(0);
  const uploading = uploads.some((u) => u.status === 'uploading');
  const ready = uploads.filter((u) => u.status === 'done').length;

  useEffect(() => {
    if (editing) return;
    if (text) drafts.set(convId, text);
    else drafts.delete(convId);
  }, [convId, text, editing]);

  // An edit starts (hover menu or Up): the composer holds the message's text until saved or cancelled.
  // A layout effect, so the text is in the same commit as the "Editing message" bar: a passive
  // effect may run a frame later, and a key typed in between would land in the old text.
  const editingId = editing?.id;
  useLayoutEffect(() => {
    if (!editing) return;
    if (savedDraft.current === null) savedDraft.current = text;
    setText(editing.body);
    requestAnimationFrame(() => {
      const el = ref.current;
      if (!el) return;
      el.focus();
      el.setSelectionRange(el.value.length, el.value.length);
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [editingId]);

  // Also a layout effect: the caret is in the composer by the time the reply bar shows.
  useLayoutEffect(() => {
    if (replyTo) ref.current?.focus();
  }, [replyTo]);

  function endEdit() {
    client.setEditing(convId, undefined);
    setText(savedDraft.current ?? '');
    savedDraft.current = null;
  }

  const suggestions = useMemo(() => {
    if (!mention || !members) return [] as Member[];
    const q = mention.query.toLowerCase();
    return members
      .filter((m) => m.id !== me.id)
      .filter((m) => m.username.toLowerCase().startsWith(q) || displayName(m).toLowerCase().split(/\s+/).some((w) => w.startsWith(q)))
      .slice(0, 6);
  }, [mention, members, me.id]);

  function updateMention(value: string, caret: number) {
    const before = value.slice(0, caret);
    const m = /(^|[^\p{L}\p{N}_.])@([\p{L}\p{N}_.-]*)$/u.exec(before);
    if (m) {
      setMention({ start: caret - m[2].length - 1, query: m[2] });
      setMentionIdx(0);
    } else setMention(null);
  }

  function pickMention(u: Member) {
    if (!mention) return;
    const el = ref.current;
    const caret = el?.selectionStart ?? text.length;
    const insert = `@${u.username} `;
    const next = text.slice(0, mention.start) + insert + text.slice(caret);
    setText(next);
    setMention(null);
    const pos = mention.start + insert.length;
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(pos, pos);
    });
  }

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
  const canSend = editing
    ? !disabled && text.trim().length > 0 && !tooLong
    : !disabled && (text.trim().length > 0 || ready > 0) && !tooLong && !uploading;

  function submit() {
    if (!canSend) return;
    if (editing) {
      const body = text.replace(/^\s*\n/, '').replace(/\s+$/, '');
      const m = editing;
      endEdit();
      if (body !== m.body) void client.editMessage(m, body);
      return;
    }
    client.send(convId, text);
    setText('');
    setMention(null);
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
    if (mention && suggestions.length > 0) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const n = suggestions.length;
        setMentionIdx((i) => (i + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
        return;
      }
      if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && !e.nativeEvent.isComposing) {
        e.preventDefault();
        pickMention(suggestions[Math.min(mentionIdx, suggestions.length - 1)]);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setMention(null);
        return;
      }
    }
    if (e.key === 'Escape' && (editing || replyTo)) {
      e.preventDefault();
      if (editing) endEdit();
      else client.setReplyTo(convId, undefined);
      return;
    }
    // Up in an empty composer edits my latest message.
    if (e.key === 'ArrowUp' && !text && !editing && items) {
      for (let i = items.length - 1; i >= 0; i--) {
        const m = items[i];
        if (m.senderId === me.id && !m.deletedAt && m.body) {
          e.preventDefault();
          client.setEditing(convId, m);
          return;
        }
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  }

  return (
    <div className="shrink-0 px-3 pb-3 md:px-5 md:pb-4" style={{ paddingBottom: 'max(0.75rem, env(safe-area-inset-bottom))' }}>
      {!editing && <UploadTray uploads={uploads} />}
      {(editing || replyTo) && (
        <div
          data-testid={editing ? 'composer-editing' : 'composer-reply'}
          className="mb-1.5 flex items-center gap-2 rounded-xl border-l-[3px] border-accent bg-surface-2 px-3 py-1.5 text-xs animate-slide-up"
        >
          {editing ? <IconPencil size={15} className="shrink-0 text-accent" /> : <IconReply size={15} className="shrink-0 text-accent" />}
          <div className="min-w-0 flex-1">
            <div className="font-semibold text-accent">
              {editing
                ? 'Editing message'
                : `Replying to ${replyTo!.senderId === me.id ? 'yourself' : displayName(members?.find((m) => m.id === replyTo!.senderId) ?? users[replyTo!.senderId])}`}
            </div>
            <div className="truncate text-muted">{(editing ?? replyTo)!.body || 'Attachment'}</div>
          </div>
          <button
            type="button"
            data-testid={editing ? 'cancel-edit' : 'cancel-reply'}
            aria-label={editing ? 'Cancel editing' : 'Cancel reply'}
            title="Cancel (Esc)"
            onClick={() => (editing ? endEdit() : client.setReplyTo(convId, undefined))}
            className="flex h-7 w-7 shrink-0 items-center justify-center rounded-full text-muted hover:bg-surface-3 hover:text-fg"
          >
            <IconX size={15} />
          </button>
        </div>
      )}
      {mention && suggestions.length > 0 && (
        <ul
          data-testid="mention-suggestions"
          role="listbox"
          className="mb-1.5 max-w-xs overflow-hidden rounded-xl border border-border bg-bg py-1 shadow-pop animate-fade-in"
        >
          {suggestions.map((u, i) => (
            <li key={u.id} role="option" aria-selected={i === mentionIdx}>
              <button
                type="button"
                data-testid="mention-option"
                data-username={u.username}
                onMouseDown={(e) => {
                  e.preventDefault();
                  pickMention(u);
                }}
                className={cx('flex w-full items-center gap-2 px-3 py-1.5 text-left text-sm', i === mentionIdx ? 'bg-accent-soft' : 'hover:bg-surface-2')}
              >
                <Avatar id={u.id} name={displayName(u)} size={22} />
                <span className="truncate font-medium">{displayName(u)}</span>
                <span className="truncate text-xs text-muted">@{u.username}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
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
          style={editing ? { display: 'none' } : undefined}
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
            updateMention(e.target.value, e.target.selectionStart ?? e.target.value.length);
            if (editing) return;
            if (e.target.value.trim()) client.typing(convId);
            else client.stopTyping(convId);
          }}
          onBlur={() => {
            client.stopTyping(convId);
            setMention(null);
          }}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          className="scroll-thin max-h-[200px] min-h-[36px] flex-1 resize-none pl-1 bg-transparent py-[7px] text-[15px] leading-[22px] text-fg placeholder:text-subtle focus:outline-none focus-visible:outline-none"
        />
        <button
          type="button"
          aria-label={editing ? 'Save the edit' : 'Send message'}
          data-testid="send-button"
          disabled={!canSend}
          onClick={submit}
          className="flex h-9 w-9 shrink-0 items-center justify-center rounded-xl bg-accent text-accent-fg transition-all hover:bg-accent-hover disabled:bg-surface-3 disabled:text-subtle"
        >
          {editing ? <IconCheck size={18} /> : <IconSend size={18} />}
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
