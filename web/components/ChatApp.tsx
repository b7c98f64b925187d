'use client';

import { useCallback, useEffect, useState } from 'react';
import { ChatClient } from '@/lib/chat';
import { openConversation, parseHash } from '@/lib/nav';
import { saveSession, type Session } from '@/lib/session';
import { useStore } from '@/lib/store';
import { ChatContext } from './ChatContext';
import ConnectionBanner from './ConnectionBanner';
import ConversationView from './ConversationView';
import EmptyState from './EmptyState';
import NewConversationDialog from './NewConversationDialog';
import Sidebar from './Sidebar';
import Toasts from './Toasts';
import { cx, Spinner } from './ui';

export default function ChatApp({ session, onLogout }: { session: Session; onLogout: () => void }) {
  const [client, setClient] = useState<ChatClient | null>(null);

  // One client per session; created in an effect so that StrictMode's double mount gets a fresh one.
  useEffect(() => {
    const c = new ChatClient(session.token, session.user, onLogout);
    c.start();
    setClient(c);
    return () => {
      c.dispose();
      setClient(null);
    };
  }, [session.token, session.user, onLogout]);

  if (!client)
    return (
      <div className="flex h-dvh-safe items-center justify-center text-muted">
        <Spinner size={22} />
      </div>
    );

  return (
    <ChatContext.Provider value={client}>
      <Shell client={client} onLogout={onLogout} token={session.token} />
    </ChatContext.Provider>
  );
}

function Shell({ client, onLogout, token }: { client: ChatClient; onLogout: () => void; token: string }) {
  const activeId = useStore(client.store, (s) => s.activeId);
  const me = useStore(client.store, (s) => s.me);
  const [composing, setComposing] = useState(false);

  // Hash routing: #/c/<conversationId>
  useEffect(() => {
    const apply = () => client.setActive(parseHash());
    apply();
    window.addEventListener('hashchange', apply);
    return () => window.removeEventListener('hashchange', apply);
  }, [client]);

  useEffect(() => {
    saveSession({ token, user: me });
  }, [me, token]);

  const startNew = useCallback(() => setComposing(true), []);

  return (
    <div className="flex h-dvh-safe flex-col overflow-hidden">
      <ConnectionBanner />
      <div className="flex min-h-0 flex-1">
        <aside
          className={cx(
            'min-h-0 w-full flex-col border-r border-border bg-surface md:flex md:w-[320px] md:shrink-0 lg:w-[340px]',
            activeId ? 'hidden' : 'flex',
          )}
        >
          <Sidebar onNew={startNew} onLogout={onLogout} />
        </aside>
        <main className={cx('min-h-0 min-w-0 flex-1 flex-col bg-bg md:flex', activeId ? 'flex' : 'hidden')}>
          {activeId ? <ConversationView key={activeId} id={activeId} /> : <EmptyState onNew={startNew} />}
        </main>
      </div>
      {composing && (
        <NewConversationDialog
          onClose={() => setComposing(false)}
          onCreated={(id) => {
            setComposing(false);
            openConversation(id);
          }}
        />
      )}
      <Toasts />
    </div>
  );
}
