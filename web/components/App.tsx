'use client';

import { useCallback, useEffect, useState } from 'react';
import { Api, ApiError } from '@/lib/api';
import { clearSession, loadSession, saveSession, TOKEN_KEY, type Session } from '@/lib/session';
import AuthScreen from './AuthScreen';
import ChatApp from './ChatApp';
import { Spinner } from './ui';

export default function App() {
  // undefined while we look at localStorage (also what the static export prerenders).
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [bootError, setBootError] = useState<string | null>(null);

  const boot = useCallback(async () => {
    setBootError(null);
    const { token, user } = loadSession();
    if (!token) return setSession(null);
    if (user) return setSession({ token, user });
    try {
      const r = await new Api(token).me();
      saveSession({ token, user: r.user });
      setSession({ token, user: r.user });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        clearSession();
        setSession(null);
      } else setBootError(e instanceof Error ? e.message : 'Cannot reach the server');
    }
  }, []);

  useEffect(() => {
    void boot();
  }, [boot]);

  // Logging out (or in) in another tab applies here too.
  useEffect(() => {
    const onStorage = (e: StorageEvent) => {
      if (e.key === TOKEN_KEY || e.key === null) void boot();
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [boot]);

  const logout = useCallback(() => {
    clearSession();
    setSession(null);
    if (window.location.hash) history.replaceState(null, '', window.location.pathname + window.location.search);
  }, []);

  if (session === undefined)
    return (
      <div className="flex h-dvh-safe flex-col items-center justify-center gap-3 text-muted" data-testid="splash">
        {bootError ? (
          <>
            <p className="text-sm">{bootError}</p>
            <button className="text-sm font-medium text-accent hover:underline" onClick={() => void boot()}>
              Try again
            </button>
          </>
        ) : (
          <Spinner size={22} />
        )}
      </div>
    );

  if (!session)
    return (
      <AuthScreen
        onAuth={(s) => {
          saveSession(s);
          setSession(s);
        }}
      />
    );

  return <ChatApp key={session.token} session={session} onLogout={logout} />;
}
