import type { Attachment, Conversation, Message, Presence, Reaction, SearchResult, User } from './types';

/** An error answered by the server ({error:{code,message}}) or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  get isNetwork() {
    return this.status === 0;
  }
}

type Query = Record<string, string | number | undefined | null>;

function qs(q?: Query) {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export class Api {
  /** Called when the server rejects the token (401 on an authenticated route). */
  onUnauthorized: (() => void) | null = null;

  constructor(public token: string | null = null) {}

  async request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(`/api${path}${qs(query)}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'network', 'Cannot reach the server');
    }
    let data: unknown = null;
    const text = await res.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      const err = (data as { error?: { code?: string; message?: string; retryAfterMs?: number } } | null)?.error;
      const retryAfter = Number(res.headers.get('Retry-After'));
      if (res.status === 401 && this.token && this.onUnauthorized) this.onUnauthorized();
      throw new ApiError(
        res.status,
        err?.code ?? `http_${res.status}`,
        err?.message ?? (res.status >= 500 ? 'The server had a problem' : `Request failed (${res.status})`),
        err?.retryAfterMs ?? (retryAfter > 0 ? retryAfter * 1000 : undefined),
      );
    }
    return data as T;
  }

  // auth
  register(b: { username: string; email: string; password: string; displayName?: string }) {
    return this.request<{ token: string; user: User }>('POST', '/auth/register', b);
  }
  login(login: string, password: string) {
    const b = login.includes('@') ? { email: login, password } : { username: login, password };
    return this.request<{ token: string; user: User }>('POST', '/auth/login', b);
  }
  me() {
    return this.request<{ user: User }>('GET', '/auth/me');
  }

  // conversations
  listConversations(cursor?: string | null, limit = 50) {
    return this.request<{ conversations: Conversation[]; nextCursor: string | number | null }>(
      'GET', '/conversations', undefined, { cursor, limit },
    );
  }
  getConversation(id: string) {
    return this.request<{ conversation: Conversation; messages: Message[]; nextCursor: string | number | null }>(
      'GET', `/conversations/${encodeURIComponent(id)}`,
    );
  }
  createConversation(b: { type: 'direct' | 'group'; memberIds: string[]; title?: string }) {
    return this.request<{ conversation: Conversation }>('POST', '/conversations', b);
  }
  updateConversation(id: string, b: { title?: string; addMemberIds?: string[]; removeMemberIds?: string[] }) {
    return this.request<{ conversation: Conversation }>('PUT', `/conversations/${encodeURIComponent(id)}`, b);
  }

  // messages
  sendMessage(b: { conversationId: string; body: string; clientMsgId: string; attachmentIds?: string[]; replyToId?: string }) {
    return this.request<{ message: Message }>('POST', '/messages', b);
  }
  messages(conversationId: string, q: { before?: number; after?: number; limit?: number }) {
    return this.request<{ messages: Message[]; nextCursor: string | number | null }>(
      'GET', `/messages/${encodeURIComponent(conversationId)}`, undefined, q,
    );
  }
  /** Messages changed after `changedAfter` (a changeSeq), ascending; nextCursor is a changeSeq. */
  changes(conversationId: string, changedAfter: number, limit = 100) {
    return this.request<{ messages: Message[]; nextCursor: string | number | null }>(
      'GET', `/messages/${encodeURIComponent(conversationId)}`, undefined, { changedAfter, limit },
    );
  }
  editMessage(messageId: string, body: string) {
    return this.request<{ message: Message }>('PATCH', `/messages/${encodeURIComponent(messageId)}`, { body });
  }
  react(messageId: string, emoji: string, on: boolean) {
    return this.request<{ conversationId: string; messageId: string; changeSeq: number; reactions: Reaction[] }>(
      on ? 'PUT' : 'DELETE', `/messages/${encodeURIComponent(messageId)}/reactions/${encodeURIComponent(emoji)}`,
    );
  }
  search(q: { q: string; conversationId?: string; limit?: number; cursor?: string | null }) {
    return this.request<{ results: SearchResult[]; nextCursor: string | null }>('GET', '/search', undefined, q);
  }
  mute(conversationId: string, muted: boolean) {
    return this.request<{ conversation: Conversation }>('PUT', `/conversations/${encodeURIComponent(conversationId)}/mute`, { muted });
  }
  markRead(messageId: string) {
    return this.request<{ conversationId: string; lastReadSeq: number; unreadCount: number; mentionCount?: number }>(
      'PUT', `/messages/${encodeURIComponent(messageId)}/read`,
    );
  }
  deleteMessage(messageId: string) {
    return this.request<unknown>('DELETE', `/messages/${encodeURIComponent(messageId)}`);
  }

  // media
  mediaToken() {
    return this.request<{ token: string; expiresAt: string }>('POST', '/media/token');
  }
  attachment(id: string) {
    return this.request<{ attachment: Attachment }>('GET', `/attachments/${encodeURIComponent(id)}`);
  }

  // users
  searchUsers(q: string, limit = 20) {
    return this.request<{ users: User[] }>('GET', '/users/search', undefined, { q, limit });
  }
  status(userId: string) {
    return this.request<Presence>('GET', `/users/${encodeURIComponent(userId)}/status`);
  }
}
