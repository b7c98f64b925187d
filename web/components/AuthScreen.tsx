'use client';

import { useState, type FormEvent, type InputHTMLAttributes } from 'react';
import { Api, ApiError } from '@/lib/api';
import type { Session } from '@/lib/session';
import { IconChat } from './icons';
import { cx, Spinner } from './ui';

function Field({ label, hint, ...rest }: InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: string }) {
  return (
    <label className="block">
      <span className="mb-1.5 flex items-baseline justify-between text-[13px] font-medium text-fg">
        {label}
        {hint && <span className="text-xs font-normal text-subtle">{hint}</span>}
      </span>
      <input
        {...rest}
        className="h-11 w-full rounded-lg border border-border bg-bg px-3 text-[15px] text-fg placeholder:text-subtle transition-shadow focus:border-accent focus:outline-none focus:ring-4 focus:ring-accent/15"
      />
    </label>
  );
}

export default function AuthScreen({ onAuth }: { onAuth: (s: Session) => void }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [login, setLogin] = useState('');
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const api = new Api();
    try {
      const r =
        mode === 'login'
          ? await api.login(login.trim(), password)
          : await api.register({
              username: username.trim(),
              email: email.trim(),
              password,
              ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
            });
      onAuth({ token: r.token, user: r.user });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError('Wrong username, email or password.');
      else if (err instanceof ApiError && err.status === 409) setError(err.message || 'That username or email is taken.');
      else setError(err instanceof Error ? err.message : 'Something went wrong');
      setBusy(false);
    }
  }

  const tab = (m: 'login' | 'register', label: string) => (
    <button
      type="button"
      role="tab"
      aria-selected={mode === m}
      data-testid={`auth-tab-${m}`}
      onClick={() => {
        setMode(m);
        setError(null);
      }}
      className={cx(
        'h-9 flex-1 rounded-md text-sm font-medium transition-colors',
        mode === m ? 'bg-bg text-fg shadow-sm' : 'text-muted hover:text-fg',
      )}
    >
      {label}
    </button>
  );

  return (
    <main className="flex min-h-screen items-center justify-center bg-surface px-4 py-10 [min-height:100dvh]">
      <div className="w-full max-w-[400px]">
        <div className="mb-8 flex flex-col items-center text-center">
          <div className="mb-4 flex h-12 w-12 items-center justify-center rounded-2xl bg-accent text-accent-fg shadow-lg shadow-accent/30">
            <IconChat size={26} />
          </div>
          <h1 className="text-2xl font-semibold tracking-tight">
            {mode === 'login' ? 'Welcome back' : 'Create your account'}
          </h1>
          <p className="mt-1.5 text-sm text-muted">
            {mode === 'login' ? 'Sign in to pick up your conversations.' : 'Join your team on Parley in seconds.'}
          </p>
        </div>

        <div className="rounded-2xl border border-border bg-bg p-6 shadow-sm">
          <div role="tablist" className="mb-6 flex gap-1 rounded-lg bg-surface-2 p-1">
            {tab('login', 'Sign in')}
            {tab('register', 'Create account')}
          </div>

          <form onSubmit={submit} className="space-y-4" data-testid={`auth-form-${mode}`}>
            {mode === 'login' ? (
              <Field
                label="Username or email"
                name="login"
                autoComplete="username"
                autoCapitalize="none"
                spellCheck={false}
                required
                autoFocus
                value={login}
                onChange={(e) => setLogin(e.target.value)}
                data-testid="auth-login"
              />
            ) : (
              <>
                <Field
                  label="Username"
                  name="username"
                  autoComplete="username"
                  autoCapitalize="none"
                  spellCheck={false}
                  required
                  autoFocus
                  value={username}
                  onChange={(e) => setUsername(e.target.value)}
                  data-testid="auth-username"
                />
                <Field
                  label="Display name"
                  hint="optional"
                  name="displayName"
                  autoComplete="name"
                  value={displayName}
                  onChange={(e) => setDisplayName(e.target.value)}
                  data-testid="auth-displayname"
                />
                <Field
                  label="Email"
                  type="email"
                  name="email"
                  autoComplete="email"
                  required
                  value={email}
                  onChange={(e) => setEmail(e.target.value)}
                  data-testid="auth-email"
                />
              </>
            )}
            <Field
              label="Password"
              type="password"
              name="password"
              autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              data-testid="auth-password"
            />

            {error && (
              <p
                role="alert"
                data-testid="auth-error"
                className="rounded-lg border border-danger/30 bg-danger-soft px-3 py-2 text-sm text-danger"
              >
                {error}
              </p>
            )}

            <button
              type="submit"
              disabled={busy}
              data-testid="auth-submit"
              className="flex h-11 w-full items-center justify-center gap-2 rounded-lg bg-accent text-[15px] font-semibold text-accent-fg transition-colors hover:bg-accent-hover disabled:opacity-60"
            >
              {busy && <Spinner />}
              {mode === 'login' ? 'Sign in' : 'Create account'}
            </button>
          </form>
        </div>

        <p className="mt-6 text-center text-xs text-subtle">Parley · self-hosted real-time chat</p>
      </div>
    </main>
  );
}
