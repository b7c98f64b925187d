import type { User } from './types';

const TOKEN = 'parley.token';
const USER = 'parley.user';

export interface Session {
  token: string;
  user: User;
}

export function loadSession(): { token: string | null; user: User | null } {
  try {
    const token = localStorage.getItem(TOKEN);
    const raw = localStorage.getItem(USER);
    return { token, user: raw ? (JSON.parse(raw) as User) : null };
  } catch {
    return { token: null, user: null };
  }
}

export function saveSession(s: Session) {
  try {
    localStorage.setItem(TOKEN, s.token);
    localStorage.setItem(USER, JSON.stringify(s.user));
  } catch {
    /* private mode: the session lasts as long as the tab */
  }
}

export function clearSession() {
  try {
    localStorage.removeItem(TOKEN);
    localStorage.removeItem(USER);
  } catch {
    /* ignore */
  }
}

export const TOKEN_KEY = TOKEN;
