'use client';

import { useMemo, useRef, useState, type DragEvent } from 'react';
import { openConversation } from '@/lib/nav';
import type { ConvMessages } from '@/lib/types';
import { conversationTitle, displayName, firstName, lastSeenText, otherMember } from '@/lib/util';
import { useChat, useClient } from './ChatContext';
import Composer from './Composer';
import DetailsPanel from './DetailsPanel';
import { IconBack, IconBell, IconBellOff, IconInfo, IconPaperclip } from './icons';
import MessageList from './MessageList';
import { Avatar, cx, IconButton, Spinner } from './ui';

const NO_MESSAGES: ConvMessages = { items: [], pending: [], loaded: false, hasOlder: false, loadingOlder: false };

export default function ConversationView({ id }: { id: string }) {
  const client = useClient();
  const conv = useChat((s) => s.conversations[id]);
  const cm = useChat((s) => s.messages[id]) ?? NO_MESSAGES;
  const me = useChat((s) => s.me);
  const presence = useChat((s) => s.presence);
  const users = useChat((s) => s.users);
  const typers = useChat((s) => s.typing[id]);
  const [details, setDetails] = useState(false);
  // Files dragged over the conversation: an overlay, and a drop attaches them to the composer.
  const [dragging, setDragging] = useState(false);
  const dragDepth = useRef(0);
  const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
  const dnd = {
    onDragEnter: (e: DragEvent) => {
      if (!hasFiles(e) || !conv) return;
      e.preventDefault();
      dragDepth.current += 1;
      setDragging(true);
    },
    onDragOver: (e: DragEvent) => {
      if (!hasFiles(e) || !conv) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    },
    onDragLeave: (e: DragEvent) => {
      if (!hasFiles(e)) return;
      dragDepth.current = Math.max(0, dragDepth.current - 1);
      if (dragDepth.current === 0) setDragging(false);
    },
    onDrop: (e: DragEvent) => {
      dragDepth.current = 0;
      setDragging(false);
      const files = Array.from(e.dataTransfer?.files ?? []);
      if (files.length === 0 || !conv) return;
      e.preventDefault();
      client.addFiles(id, files);
    },
  };
  // Where "New messages" goes: the read watermark as it was when the conversation was opened.
  const [unreadFrom, setUnreadFrom] = useState<number | null>(() => (conv && conv.unreadCount > 0 ? conv.lastReadSeq : null));

  const other = conv ? otherMember(conv, me.id) : undefined;
  const title = conv ? conversationTitle(conv, me.id) : '';
  const otherPresence = other ? presence[other.id] : undefined;

  const typingNames = useMemo(() => {
    if (!typers || !conv) return [];
    return Object.keys(typers)
      .filter((uid) => uid !== me.id)
      .map((uid) => firstName(conv.members.find((m) => m.id === uid) ?? users[uid]));
  }, [typers, conv, users, me.id]);

  let subtitle: React.ReactNode = null;
  if (conv?.type === 'direct' && other)
    subtitle = otherPresence?.online ? (
      <span className="inline-flex items-center gap-1.5 text-ok">
        <span className="h-1.5 w-1.5 rounded-full bg-online" /> Online
      </span>
    ) : (
      <span>{otherPresence ? lastSeenText(otherPresence.lastSeenAt) : `@${other.username}`}</span>
    );
  else if (conv?.type === 'group') {
    const online = conv.members.filter((m) => m.id !== me.id && presence[m.id]?.online).length;
    subtitle = (
      <span>
        {conv.members.length} members{online > 0 ? ` · ${online} online` : ''}
      </span>
    );
  }

  return (
    <div className="flex min-h-0 flex-1">
      <section
        className="relative flex min-w-0 flex-1 flex-col"
        data-testid="conversation-view"
        data-conversation-id={id}
        {...dnd}
      >
        {dragging && (
          <div
            data-testid="drop-overlay"
            className="pointer-events-none absolute inset-2 z-30 flex flex-col items-center justify-center gap-2 rounded-2xl border-2 border-dashed border-accent bg-accent-soft/90 text-accent animate-fade-in"
          >
            <IconPaperclip size={30} />
            <span className="text-sm font-semibold">Drop files to attach them</span>
          </div>
        )}
        <header className="flex h-[60px] shrink-0 items-center gap-2 border-b border-border px-2 md:px-4">
          <IconButton label="Back to conversations" className="md:hidden" onClick={() => openConversation(null)} data-testid="back">
            <IconBack size={20} />
          </IconButton>
          {conv ? (
            <button
              className="flex min-w-0 flex-1 items-center gap-3 rounded-lg py-1 text-left"
              onClick={() => setDetails((d) => !d)}
            >
              <Avatar
                id={conv.type === 'direct' && other ? other.id : conv.id}
                name={title}
                size={36}
                group={conv.type === 'group'}
                online={conv.type === 'direct' ? !!otherPresence?.online : undefined}
              />
              <span className="min-w-0">
                <span className="block truncate text-[15px] font-semibold leading-tight" data-testid="conversation-header-title">
                  {title}
                </span>
                <span className="block truncate text-xs text-muted">{subtitle}</span>
              </span>
            </button>
          ) : (
            <div className="flex-1" />
          )}
          {conv && (
            <IconButton
              label={conv.muted ? 'Unmute: notify me of new messages' : 'Mute: no notifications, unread shown as a dot'}
              data-testid="mute-toggle"
              data-muted={conv.muted ? 'true' : 'false'}
              aria-pressed={!!conv.muted}
              onClick={() => void client.setMuted(id, !conv.muted)}
              className={cx(conv.muted && 'text-subtle')}
            >
              {conv.muted ? <IconBellOff size={18} /> : <IconBell size={18} />}
            </IconButton>
          )}
          <IconButton
            label="Conversation details"
            data-testid="conversation-info"
            onClick={() => setDetails((d) => !d)}
            className={cx(details && 'bg-surface-2 text-fg')}
            disabled={!conv}
          >
            <IconInfo size={19} />
          </IconButton>
        </header>

        {!cm.loaded ? (
          <div className="flex flex-1 items-center justify-center text-muted">
            {cm.error ? (
              <div className="text-center text-sm">
                {cm.error}
                <button className="mt-2 block w-full font-medium text-accent" onClick={() => client.reload(id)}>
                  Try again
                </button>
              </div>
            ) : (
              <Spinner size={22} />
            )}
          </div>
        ) : conv ? (
          <MessageList conv={conv} cm={cm} me={me} users={users} unreadFrom={unreadFrom} />
        ) : (
          <div className="flex-1" />
        )}

        <div className="h-6 shrink-0 px-5" aria-live="polite">
          {typingNames.length > 0 && (
            <div data-testid="typing-indicator" className="flex items-center gap-2 text-xs text-muted animate-fade-in">
              <span className="flex items-center gap-[3px]" aria-hidden>
                <span className="h-1.5 w-1.5 animate-blink rounded-full bg-muted" />
                <span className="h-1.5 w-1.5 animate-blink rounded-full bg-muted [animation-delay:0.2s]" />
                <span className="h-1.5 w-1.5 animate-blink rounded-full bg-muted [animation-delay:0.4s]" />
              </span>
              <span>
                {typingNames.length === 1 && (
                  <>
                    <strong className="font-semibold text-fg">{typingNames[0]}</strong> is typing…
                  </>
                )}
                {typingNames.length === 2 && (
                  <>
                    <strong className="font-semibold text-fg">{typingNames[0]}</strong> and{' '}
                    <strong className="font-semibold text-fg">{typingNames[1]}</strong> are typing…
                  </>
                )}
                {typingNames.length > 2 && 'Several people are typing…'}
              </span>
            </div>
          )}
        </div>

        <Composer
          convId={id}
          placeholder={conv ? `Message ${conv.type === 'direct' && other ? displayName(other) : title}` : 'Message'}
          disabled={!conv}
          onSent={() => setUnreadFrom(null)}
        />
      </section>

      {details && conv && <DetailsPanel conv={conv} onClose={() => setDetails(false)} />}
    </div>
  );
}
