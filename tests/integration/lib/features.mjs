// REST helpers for the conversation-feature suites (docs/features.md): edit,
// reactions, replies, search, mute and the change sequence, as a client calls them.
import { newClientMsgId } from './api.mjs';

export const direct = (from, to) => from.api.post('/api/conversations', { type: 'direct', memberIds: [to.user.id] });
export const group = (from, members, title = 'Team') =>
  from.api.post('/api/conversations', { type: 'group', memberIds: members.map((m) => m.user.id), title });

// POST /api/messages; `extra` adds fields (replyToId, clientMsgId...).
export const send = (from, conversationId, body, extra = {}) =>
  from.api.post('/api/messages', { conversationId, body, clientMsgId: newClientMsgId(), ...extra });

// Sends and returns the stored message; throws unless 201.
export async function sent(from, conversationId, body, extra = {}) {
  const res = await send(from, conversationId, body, extra);
  if (res.status !== 201) throw new Error(`send failed: ${res.status} ${res.text}`);
  return res.json.message;
}

export const edit = (user, messageId, body) => user.api.request('PATCH', `/api/messages/${messageId}`, { body: { body } });
export const react = (user, messageId, emoji) => user.api.request('PUT', `/api/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`);
export const unreact = (user, messageId, emoji) => user.api.request('DELETE', `/api/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`);
export const remove = (user, messageId) => user.api.delete(`/api/messages/${messageId}`);
export const markRead = (user, messageId) => user.api.put(`/api/messages/${messageId}/read`, {});
export const mute = (user, conversationId, muted) => user.api.put(`/api/conversations/${conversationId}/mute`, { muted });

export const conversation = async (user, id) => (await user.api.get(`/api/conversations/${id}`)).json.conversation;
// The caller's entry for `id` in their conversation list (first 100).
export async function listed(user, id) {
  const res = await user.api.get('/api/conversations?limit=100');
  return res.json.conversations.find((c) => c.id === id);
}

// Every message of a conversation in seq order (history, forward pages).
export async function history(user, conversationId) {
  const all = [];
  let after = 0;
  for (;;) {
    const page = await user.api.get(`/api/messages/${conversationId}?after=${after}&limit=100`);
    if (page.status !== 200) throw new Error(`history: ${page.status} ${page.text}`);
    all.push(...page.json.messages);
    if (page.json.nextCursor === null) return all;
    after = page.json.nextCursor;
  }
}

// GET /api/search with these query parameters; returns the raw answer.
export function search(user, params) {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined)).toString();
  return user.api.get(`/api/search?${qs}`);
}

// Every search result, following nextCursor; checks each page's size against `limit`.
export async function searchAll(user, params, limit = 50) {
  const all = [];
  let cursor;
  for (let pages = 0; pages < 100; pages++) {
    const res = await search(user, { ...params, limit, cursor });
    if (res.status !== 200) throw new Error(`search: ${res.status} ${res.text}`);
    if (res.json.results.length > limit) throw new Error(`a page of ${res.json.results.length} results for limit ${limit}`);
    all.push(...res.json.results);
    if (res.json.nextCursor === null) return all;
    cursor = res.json.nextCursor;
  }
  throw new Error('search paging did not end');
}

// Ids compare as numbers (decimal strings of 64-bit ids).
export const byId = (x, y) => (BigInt(x) < BigInt(y) ? -1 : BigInt(x) > BigInt(y) ? 1 : 0);

// Every field a message carries (docs/features.md, chat/views.hpp).
export const MESSAGE_KEYS = ['attachments', 'body', 'changeSeq', 'clientMsgId', 'conversationId', 'createdAt', 'deletedAt',
  'editedAt', 'id', 'mentions', 'reactions', 'replyTo', 'replyToId', 'senderId', 'seq'].sort();
