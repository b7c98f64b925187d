#!/usr/bin/env node
// A small in-memory stand-in for `parley serve`, for working on the web client without the C++ server.
// NOT used by the committed e2e suite by default (that runs the real binary given by PARLEY_BIN), but it
// speaks the same REST + Socket.IO surface (docs/web.md), so `PARLEY_BIN=tests/e2e/mock-server.mjs`
// runs the suite against it to check the suite and the client themselves.
//
//   node tests/e2e/mock-server.mjs serve --listen 127.0.0.1:8080 --data-dir /tmp/parley-mock --web-dir web/out
//
// State is kept in <data-dir>/mock.json so that a restart keeps users, tokens and messages.
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, createReadStream, createWriteStream } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { extname, join, normalize, resolve } from 'node:path';
import { Server } from 'socket.io';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const [host, port] = opt('listen', '127.0.0.1:8080').split(':');
const dataDir = resolve(opt('data-dir', '/tmp/parley-mock'));
const webDir = opt('web-dir') ? resolve(opt('web-dir')) : null;
mkdirSync(dataDir, { recursive: true });
const dbFile = join(dataDir, 'mock.json');

// Media (docs/media.md): --max-upload bytes per file, --upload-quota bytes per user (per run, not per day),
// --preview-delay ms before an attached image's "thumbnail" (the image itself) is ready.
const maxUpload = Number(opt('max-upload', 25 * 1024 * 1024));
const uploadQuota = Number(opt('upload-quota', 1024 * 1024 * 1024));
const previewDelay = Number(opt('preview-delay', process.env.MOCK_PREVIEW_DELAY_MS ?? 1500));
const mediaDir = join(dataDir, 'media');
mkdirSync(join(mediaDir, 'tmp'), { recursive: true });

let db = { nextId: 1, users: {}, tokens: {}, convs: {}, messages: {} };
if (existsSync(dbFile)) db = JSON.parse(readFileSync(dbFile, 'utf8'));
db.attachments ??= {};
db.mediaTokens ??= {};
const save = () => writeFileSync(dbFile, JSON.stringify(db));
const newId = () => String(Date.now() * 1000 + db.nextId++);
const now = () => new Date().toISOString();

const pubUser = (u) => ({ id: u.id, username: u.username, displayName: u.displayName, createdAt: u.createdAt });
const lastSeen = {};
const online = new Map(); // userId -> number of sockets
const offlineTimers = {};

function convView(c, uid) {
  const msgs = db.messages[c.id] ?? [];
  const me = c.members.find((m) => m.id === uid);
  const lastReadSeq = me?.lastReadSeq ?? 0;
  return {
    id: c.id,
    type: c.type,
    title: c.title,
    createdAt: c.createdAt,
    members: c.members.map((m) => ({ ...pubUser(db.users[m.id]), role: m.role, lastReadSeq: m.lastReadSeq })),
    lastMessage: msgs.length ? msgView(msgs[msgs.length - 1]) : null,
    lastSeq: msgs.length,
    lastReadSeq,
    unreadCount: msgs.filter((m) => m.seq > lastReadSeq && m.senderId !== uid && !m.deletedAt).length,
    lastChangeSeq: c.changeSeq ?? 0,
    mentionCount: msgs.filter((m) => m.seq > lastReadSeq && m.senderId !== uid && !m.deletedAt && mentionsOf(c, m.body).includes(uid)).length,
    muted: !!me?.muted,
  };
}
// Conversation features (docs/features.md), kept simple: mentions resolved when read, a per-conversation change counter.
function mentionsOf(c, body) {
  const out = new Set();
  for (const mm of String(body ?? '').matchAll(/(^|[^\p{L}\p{N}_.])@([\p{L}\p{N}_.-]+)/gu))
    for (const mem of c.members) {
      const u = db.users[mem.id].username.toLowerCase();
      const w = mm[2].toLowerCase();
      if (w === u || (w.startsWith(u) && !/[\p{L}\p{N}_]/u.test(w[u.length]))) out.add(mem.id);
    }
  return [...out].sort();
}
const nextChange = (c) => (c.changeSeq = (c.changeSeq ?? 0) + 1);
const activity = (c) => {
  const msgs = db.messages[c.id] ?? [];
  return msgs.length ? msgs[msgs.length - 1].createdAt : c.createdAt;
};
const memberOf = (c, uid) => c && c.members.some((m) => m.id === uid);

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function page(msgs, { before, after, limit, changedAfter }) {
  limit = Math.max(1, Math.min(100, Number(limit) || 50));
  if (changedAfter !== undefined && changedAfter !== '') {
    const rest = msgs.filter((m) => (m.changeSeq ?? 0) > Number(changedAfter)).sort((a, b) => a.changeSeq - b.changeSeq);
    const out = rest.slice(0, limit);
    return { messages: out.map(msgView), nextCursor: rest.length > limit ? out[out.length - 1].changeSeq : null };
  }
  if (after !== undefined && after !== null && after !== '') {
    const rest = msgs.filter((m) => m.seq > Number(after));
    const out = rest.slice(0, limit);
    return { messages: out.map(msgView), nextCursor: rest.length > limit ? String(out[out.length - 1].seq) : null };
  }
  const b = before ? Number(before) : Infinity;
  const rest = msgs.filter((m) => m.seq < b);
  const out = rest.slice(-limit);
  return { messages: out.map(msgView), nextCursor: rest.length > limit ? String(out[0].seq) : null };
}

// ───────────── realtime plumbing ─────────────
let io;
const toUser = (uid, ev, data) => io.to(`user:${uid}`).emit(ev, data);
const toMembers = (c, ev, data) => c.members.forEach((m) => toUser(m.id, ev, data));
const typingTimers = {};

function statusOf(uid) {
  return { userId: uid, online: (online.get(uid) ?? 0) > 0, lastSeenAt: lastSeen[uid] ?? null };
}
function broadcastStatus(uid) {
  const peers = new Set();
  for (const c of Object.values(db.convs)) if (memberOf(c, uid)) c.members.forEach((m) => peers.add(m.id));
  peers.delete(uid);
  for (const p of peers) toUser(p, 'user_status', statusOf(uid));
}

function attachmentView(a) {
  const v = { id: a.id, name: a.name, size: a.size, contentType: a.contentType, preview: a.preview, url: `/api/attachments/${a.id}/file` };
  if (a.preview === 'ready') {
    v.width = a.width;
    v.height = a.height;
    // The mock's "thumbnails" are the image itself, under a content-addressed name.
    v.thumbnailUrl = v.previewUrl = `/api/attachments/${a.id}/thumbnails/${a.sha256}.${a.contentType.split('/')[1]}`;
  }
  return v;
}
/** Messages as sent to clients: `attachments` resolved (empty once deleted). */
function msgView(m) {
  const { attachmentIds, reactions, ...rest } = m;
  const c = db.convs[m.conversationId];
  const parent = m.replyToId ? (db.messages[m.conversationId] ?? []).find((x) => x.id === m.replyToId) : null;
  return {
    ...rest,
    editedAt: m.editedAt ?? null,
    replyToId: m.replyToId ?? null,
    replyTo: parent
      ? { id: parent.id, seq: parent.seq, senderId: parent.senderId, body: parent.deletedAt ? '' : parent.body.length > 200 ? `${parent.body.slice(0, 200)}…` : parent.body, deleted: !!parent.deletedAt }
      : null,
    mentions: m.deletedAt || !c ? [] : mentionsOf(c, m.body),
    reactions: m.deletedAt ? [] : (reactions ?? []).map((r) => ({ emoji: r.emoji, count: r.userIds.length, userIds: r.userIds })),
    attachments: m.deletedAt ? [] : (attachmentIds ?? []).map((id) => attachmentView(db.attachments[id])),
  };
}

function storeMessage(uid, { conversationId, body, clientMsgId, attachmentIds, replyToId }) {
  const c = db.convs[conversationId];
  if (!memberOf(c, uid)) throw new HttpError(404, 'not_found', 'conversation not found');
  const ids = attachmentIds ?? [];
  if (!Array.isArray(ids) || ids.length > 10 || ids.some((x) => typeof x !== 'string'))
    throw new HttpError(400, 'invalid_attachments', 'attachmentIds must be at most 10 ids');
  body ??= '';
  if (typeof body !== 'string' || body.length > 4000 || (body.length < 1 && ids.length === 0))
    throw new HttpError(400, 'invalid_body', 'body must be 1-4000 characters (or empty with attachments)');
  if (typeof clientMsgId !== 'string' || !clientMsgId) throw new HttpError(400, 'invalid_client_msg_id', 'clientMsgId required');
  const msgs = (db.messages[c.id] ??= []);
  const dup = msgs.find((m) => m.senderId === uid && m.clientMsgId === clientMsgId);
  if (dup) return { message: msgView(dup), created: false };
  for (const id of ids) {
    const a = db.attachments[id];
    if (!a || a.ownerId !== uid || a.conversationId !== c.id || a.messageId) throw new HttpError(409, 'attachment_unavailable', 'attachment not available');
  }
  if (replyToId && !msgs.some((x) => x.id === replyToId)) throw new HttpError(409, 'reply_unavailable', 'the message replied to is not in this conversation');
  const m = { id: newId(), conversationId: c.id, seq: msgs.length + 1, changeSeq: nextChange(c), senderId: uid, body, clientMsgId, createdAt: now(), deletedAt: null, attachmentIds: ids, replyToId: replyToId ?? null, reactions: [] };
  for (const id of ids) db.attachments[id].messageId = m.id;
  msgs.push(m);
  save();
  toMembers(c, 'new_message', msgView(m));
  // The "thumbnailer": a while later the preview is ready (or failed) and the members get the whole message.
  const pending = ids.filter((id) => db.attachments[id].preview === 'pending');
  if (pending.length)
    setTimeout(() => {
      for (const id of pending) {
        const a = db.attachments[id];
        if (a.preview === 'pending') a.preview = a.width && wholeImage(a) ? 'ready' : 'failed';
      }
      save();
      if (!m.deletedAt) toMembers(c, 'message_updated', msgView(m));
    }, previewDelay);
  clearTyping(c.id, uid);
  return { message: msgView(m), created: true };
}

function markRead(uid, messageId, conversationId) {
  let c, m;
  if (conversationId) {
    c = db.convs[conversationId];
    m = (db.messages[conversationId] ?? []).find((x) => x.id === messageId);
  } else
    for (const [cid, list] of Object.entries(db.messages)) {
      m = list.find((x) => x.id === messageId);
      if (m) {
        c = db.convs[cid];
        break;
      }
    }
  if (!m || !memberOf(c, uid)) throw new HttpError(404, 'not_found', 'message not found');
  const me = c.members.find((x) => x.id === uid);
  if (m.seq > me.lastReadSeq) {
    me.lastReadSeq = m.seq;
    save();
    io.to(`conv:${c.id}`).emit('message_read', { conversationId: c.id, userId: uid, seq: me.lastReadSeq });
  }
  const v = convView(c, uid);
  return { conversationId: c.id, lastReadSeq: v.lastReadSeq, unreadCount: v.unreadCount };
}

function clearTyping(cid, uid) {
  const k = `${cid}/${uid}`;
  if (typingTimers[k]) {
    clearTimeout(typingTimers[k]);
    delete typingTimers[k];
    io.to(`conv:${cid}`).emit('stop_typing', { conversationId: cid, userId: uid });
  }
}

// ───────────── REST ─────────────
async function api(req, url, body) {
  const path = url.pathname.replace(/^\/api/, '');
  const q = Object.fromEntries(url.searchParams);
  const M = req.method;
  if (M === 'POST' && path === '/auth/register') {
    const { username, email, password, displayName } = body ?? {};
    if (!username || !email || !password) throw new HttpError(400, 'invalid', 'username, email and password are required');
    if (password.length < 8) throw new HttpError(400, 'weak_password', 'password must be at least 8 characters');
    if (Object.values(db.users).some((u) => u.username.toLowerCase() === username.toLowerCase() || u.email === email))
      throw new HttpError(409, 'taken', 'username or email already taken');
    const u = { id: newId(), username, email, password, displayName: displayName || username, createdAt: now() };
    db.users[u.id] = u;
    const token = randomBytes(18).toString('hex');
    db.tokens[token] = u.id;
    save();
    return [201, { token, user: pubUser(u) }];
  }
  if (M === 'POST' && path === '/auth/login') {
    const { username, email, password } = body ?? {};
    const u = Object.values(db.users).find((x) => (username && x.username === username) || (email && x.email === email));
    if (!u || u.password !== password) throw new HttpError(401, 'invalid_credentials', 'wrong username or password');
    const token = randomBytes(18).toString('hex');
    db.tokens[token] = u.id;
    save();
    return [200, { token, user: pubUser(u) }];
  }
  const tok = (req.headers.authorization ?? '').replace(/^Bearer /, '');
  const uid = db.tokens[tok];
  if (!uid) throw new HttpError(401, 'unauthorized', 'missing or invalid token');
  if (!online.get(uid)) lastSeen[uid] = now();
  let m;
  if (M === 'GET' && path === '/auth/me') return [200, { user: { ...pubUser(db.users[uid]), email: db.users[uid].email } }];
  if (M === 'POST' && path === '/media/token') {
    const token = `m.${randomBytes(18).toString('hex')}`;
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    db.mediaTokens[token] = { uid, expiresAt };
    save();
    return [200, { token, expiresAt }];
  }
  if (M === 'GET' && (m = path.match(/^\/attachments\/([^/]+)$/))) return [200, { attachment: attachmentView(readableAttachment(uid, m[1])) }];
  if (M === 'GET' && path === '/users/search') {
    const s = (q.q ?? '').toLowerCase();
    const users = Object.values(db.users)
      .filter((u) => u.id !== uid && s && (u.username.toLowerCase().startsWith(s) || u.displayName.toLowerCase().startsWith(s) || u.email === s))
      .slice(0, Number(q.limit) || 20)
      .map(pubUser);
    return [200, { users }];
  }
  if (M === 'GET' && (m = path.match(/^\/users\/([^/]+)\/status$/))) {
    if (!db.users[m[1]]) throw new HttpError(404, 'not_found', 'no such user');
    return [200, statusOf(m[1])];
  }
  if (M === 'POST' && path === '/conversations') {
    const { type, memberIds = [], title } = body ?? {};
    const ids = [...new Set(memberIds)].filter((x) => x !== uid);
    if (ids.length === 0 || ids.some((x) => !db.users[x])) throw new HttpError(400, 'invalid_members', 'unknown or missing members');
    if (type === 'direct') {
      if (ids.length !== 1) throw new HttpError(400, 'invalid_members', 'a direct conversation has one other member');
      const ex = Object.values(db.convs).find((c) => c.type === 'direct' && memberOf(c, uid) && memberOf(c, ids[0]));
      if (ex) return [200, { conversation: convView(ex, uid) }];
    } else if (type !== 'group') throw new HttpError(400, 'invalid_type', 'type must be direct or group');
    else if (!title || title.length > 100) throw new HttpError(400, 'invalid_title', 'a group needs a title (1-100 characters)');
    const c = {
      id: newId(),
      type,
      title: type === 'group' ? title : null,
      createdAt: now(),
      members: [uid, ...ids].map((id) => ({ id, role: type === 'group' && id === uid ? 'admin' : 'member', lastReadSeq: 0 })),
    };
    db.convs[c.id] = c;
    save();
    for (const mem of c.members) if (mem.id !== uid) toUser(mem.id, 'conversation_updated', convView(c, mem.id));
    return [201, { conversation: convView(c, uid) }];
  }
  if (M === 'GET' && path === '/conversations') {
    const list = Object.values(db.convs)
      .filter((c) => memberOf(c, uid))
      .sort((a, b) => (activity(b) > activity(a) ? 1 : -1));
    const start = Number(q.cursor) || 0;
    const limit = Math.min(100, Number(q.limit) || 50);
    const out = list.slice(start, start + limit);
    return [200, { conversations: out.map((c) => convView(c, uid)), nextCursor: start + limit < list.length ? String(start + limit) : null }];
  }
  if ((m = path.match(/^\/conversations\/([^/]+)$/))) {
    const c = db.convs[m[1]];
    if (!memberOf(c, uid)) throw new HttpError(404, 'not_found', 'conversation not found');
    if (M === 'GET') return [200, { conversation: convView(c, uid), ...page(db.messages[c.id] ?? [], { limit: 50 }) }];
    if (M === 'PUT') {
      const { title, addMemberIds = [], removeMemberIds = [] } = body ?? {};
      const admin = c.members.find((x) => x.id === uid)?.role === 'admin';
      const onlySelf = removeMemberIds.length === 1 && removeMemberIds[0] === uid && !title && addMemberIds.length === 0;
      if (c.type === 'direct' && (addMemberIds.length || removeMemberIds.length)) throw new HttpError(400, 'direct', 'direct members never change');
      if (!admin && !onlySelf) throw new HttpError(403, 'forbidden', 'only admins may change the group');
      const before = c.members.map((x) => x.id);
      if (title !== undefined) c.title = title;
      for (const id of addMemberIds) if (db.users[id] && !memberOf(c, id)) c.members.push({ id, role: 'member', lastReadSeq: 0 });
      c.members = c.members.filter((x) => !removeMemberIds.includes(x.id));
      save();
      const removed = before.filter((id) => !memberOf(c, id));
      for (const mem of c.members) toUser(mem.id, 'conversation_updated', convView(c, mem.id));
      for (const id of removed) {
        toUser(id, 'conversation_updated', { ...convView(c, id) });
        io.in(`user:${id}`).socketsLeave(`conv:${c.id}`);
      }
      return [200, { conversation: convView(c, uid) }];
    }
  }
  if (M === 'POST' && path === '/messages') {
    const r = storeMessage(uid, body ?? {});
    return [r.created ? 201 : 200, { message: r.message }];
  }
  if (M === 'GET' && (m = path.match(/^\/messages\/([^/]+)$/))) {
    const c = db.convs[m[1]];
    if (!memberOf(c, uid)) throw new HttpError(404, 'not_found', 'conversation not found');
    return [200, page(db.messages[c.id] ?? [], q)];
  }
  if (M === 'PUT' && (m = path.match(/^\/messages\/([^/]+)\/read$/))) return [200, markRead(uid, m[1])];
  if (M === 'GET' && path === '/search') {
    const words = String(q.q ?? '').toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    if (!words.length || String(q.q).length > 200) throw new HttpError(400, 'invalid_query', 'q must be 1-200 characters');
    const hits = [];
    for (const c of Object.values(db.convs)) {
      if (!memberOf(c, uid) || (q.conversationId && c.id !== q.conversationId)) continue;
      for (const msg of db.messages[c.id] ?? []) {
        if (msg.deletedAt) continue;
        const toks = msg.body.toLowerCase().split(/[^\p{L}\p{N}]+/u);
        if (!words.every((w, i) => toks.some((t) => (i === words.length - 1 ? t.startsWith(w) : t === w)))) continue;
        const esc = msg.body.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
        const snippet = esc.replace(/[\p{L}\p{N}]+/gu, (t) => (words.some((w) => t.toLowerCase().startsWith(w)) ? `<mark>${t}</mark>` : t));
        hits.push({ message: msgView(msg), snippet });
      }
    }
    hits.sort((a, b) => (b.message.createdAt > a.message.createdAt ? 1 : -1));
    return [200, { results: hits.slice(0, Number(q.limit) || 20), nextCursor: null }];
  }
  if (M === 'PUT' && (m = path.match(/^\/conversations\/([^/]+)\/mute$/))) {
    const c = db.convs[m[1]];
    if (!memberOf(c, uid)) throw new HttpError(404, 'not_found', 'conversation not found');
    c.members.find((x) => x.id === uid).muted = !!body?.muted;
    save();
    return [200, { conversation: convView(c, uid) }];
  }
  if ((M === 'PATCH' || M === 'PUT' || M === 'DELETE') && (m = path.match(/^\/messages\/([^/]+)(?:\/reactions\/([^/]+))?$/))) {
    let msg, c;
    for (const [cid, list] of Object.entries(db.messages))
      if ((msg = list.find((x) => x.id === m[1]))) {
        c = db.convs[cid];
        break;
      }
    if (!msg || !memberOf(c, uid)) throw new HttpError(404, 'not_found', 'message not found');
    if (m[2]) {
      if (msg.deletedAt) throw new HttpError(409, 'message_deleted', 'the message was deleted');
      const emoji = decodeURIComponent(m[2]);
      if (!emoji || Buffer.byteLength(emoji) > 32 || /[\x00-\x7f]/.test(emoji)) throw new HttpError(400, 'invalid_emoji', 'not an emoji');
      msg.reactions ??= [];
      let r = msg.reactions.find((x) => x.emoji === emoji);
      let changed = false;
      if (M === 'PUT' && !r?.userIds.includes(uid)) {
        if (!r) {
          if (msg.reactions.length >= 20) throw new HttpError(409, 'too_many_reactions', 'at most 20 emoji per message');
          msg.reactions.push((r = { emoji, userIds: [] }));
        }
        r.userIds.push(uid);
        changed = true;
      } else if (M === 'DELETE' && r?.userIds.includes(uid)) {
        r.userIds = r.userIds.filter((x) => x !== uid);
        if (!r.userIds.length) msg.reactions = msg.reactions.filter((x) => x !== r);
        changed = true;
      }
      if (changed) msg.changeSeq = nextChange(c);
      save();
      const v = msgView(msg);
      const ev = { conversationId: c.id, messageId: msg.id, changeSeq: msg.changeSeq, reactions: v.reactions };
      if (changed) toMembers(c, 'reaction_updated', ev);
      return [200, ev];
    }
    if (M === 'PATCH') {
      if (msg.senderId !== uid) throw new HttpError(403, 'forbidden', 'only the sender may edit');
      if (msg.deletedAt) throw new HttpError(409, 'message_deleted', 'the message was deleted');
      const nb = body?.body;
      if (typeof nb !== 'string' || nb.length < 1 || nb.length > 4000) throw new HttpError(400, 'invalid_body', 'body must be 1-4000 characters');
      if (nb !== msg.body) {
        msg.body = nb;
        msg.editedAt = now();
        msg.changeSeq = nextChange(c);
        save();
        toMembers(c, 'message_updated', msgView(msg));
      }
      return [200, { message: msgView(msg) }];
    }
  }
  if (M === 'DELETE' && (m = path.match(/^\/messages\/([^/]+)$/))) {
    for (const [cid, list] of Object.entries(db.messages)) {
      const msg = list.find((x) => x.id === m[1]);
      if (!msg) continue;
      const c = db.convs[cid];
      if (!memberOf(c, uid)) break;
      if (msg.senderId !== uid) throw new HttpError(403, 'forbidden', 'only the sender may delete');
      if (!msg.deletedAt) {
        msg.body = '';
        msg.deletedAt = now();
        msg.reactions = [];
        msg.changeSeq = nextChange(c);
        save();
        toMembers(c, 'message_deleted', msgView(msg));
      }
      return [200, { message: msgView(msg) }];
    }
    throw new HttpError(404, 'not_found', 'message not found');
  }
  throw new HttpError(404, 'not_found', 'no such route');
}

// ───────────── media ─────────────
function sniff(buf) {
  const at = (sig, off = 0) => buf.length >= off + sig.length && sig.every((b, i) => buf[off + i] === b);
  if (at([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    const ok = buf.length >= 24 && buf.toString('latin1', 12, 16) === 'IHDR';
    return { type: 'image/png', width: ok ? buf.readUInt32BE(16) : 0, height: ok ? buf.readUInt32BE(20) : 0 };
  }
  if (at([0xff, 0xd8, 0xff])) {
    for (let i = 2; i + 9 < buf.length; ) {
      if (buf[i] !== 0xff) break;
      const marker = buf[i + 1];
      const len = buf.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker))
        return { type: 'image/jpeg', width: buf.readUInt16BE(i + 7), height: buf.readUInt16BE(i + 5) };
      i += 2 + len;
    }
    return { type: 'image/jpeg', width: 0, height: 0 };
  }
  if (at([0x47, 0x49, 0x46, 0x38])) return { type: 'image/gif', width: buf.readUInt16LE(6), height: buf.readUInt16LE(8) };
  if (at([0x25, 0x50, 0x44, 0x46])) return { type: 'application/pdf' };
  const text = buf.subarray(0, 4096);
  if (!text.includes(0) && Buffer.from(text.toString('utf8'), 'utf8').equals(text)) return { type: 'text/plain' };
  return { type: 'application/octet-stream' };
}
/** The mock's stand-in for decoding: a PNG must end with IEND, a JPEG with EOI. */
function wholeImage(a) {
  const buf = readFileSync(join(mediaDir, a.id));
  if (a.contentType === 'image/png') return buf.subarray(-8).toString('hex') === '49454e44ae426082';
  if (a.contentType === 'image/jpeg') return buf.subarray(-2).toString('hex') === 'ffd9';
  return true;
}
const cleanName = (n) => (String(n ?? '').split(/[\\/]/).pop().replace(/[\x00-\x1f\x7f"]/g, '').trim().slice(0, 200) || 'file');
const usedToday = (uid) => Object.values(db.attachments).filter((a) => a.ownerId === uid).reduce((n, a) => n + a.size, 0);

/** An attachment `uid` may read: in a conversation of theirs, and in a live message (or their own unattached upload). */
function readableAttachment(uid, id) {
  const a = db.attachments[id];
  if (!a || !memberOf(db.convs[a.conversationId], uid)) throw new HttpError(404, 'not_found', 'attachment not found');
  if (!a.messageId) {
    if (a.ownerId !== uid) throw new HttpError(404, 'not_found', 'attachment not found');
    return a;
  }
  const msg = (db.messages[a.conversationId] ?? []).find((x) => x.id === a.messageId);
  if (!msg || msg.deletedAt) throw new HttpError(404, 'not_found', 'attachment not found');
  return a;
}

function mediaUser(req, url) {
  const bearer = db.tokens[(req.headers.authorization ?? '').replace(/^Bearer /, '')];
  if (bearer) return bearer;
  const t = db.mediaTokens[url.searchParams.get('access') ?? ''];
  if (t && Date.parse(t.expiresAt) > Date.now()) return t.uid;
  throw new HttpError(401, 'unauthorized', 'missing or invalid token');
}

/** POST /api/uploads: the body streams to a temp file, then is renamed into place. */
async function upload(req, res, url) {
  const uid = db.tokens[(req.headers.authorization ?? '').replace(/^Bearer /, '')];
  if (!uid) throw new HttpError(401, 'unauthorized', 'missing or invalid token');
  const c = db.convs[url.searchParams.get('conversationId')];
  if (!memberOf(c, uid)) throw new HttpError(404, 'not_found', 'conversation not found');
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxUpload) throw new HttpError(413, 'too_large', `larger than the limit of ${maxUpload} bytes`);
  if (usedToday(uid) + (declared || 0) > uploadQuota) throw new HttpError(409, 'upload_quota_exceeded', 'daily upload quota exceeded');
  const id = newId();
  const tmp = join(mediaDir, 'tmp', id);
  const out = createWriteStream(tmp);
  const hash = createHash('sha256');
  const head = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += chunk.length;
      if (size > maxUpload) throw new HttpError(413, 'too_large', `larger than the limit of ${maxUpload} bytes`);
      hash.update(chunk);
      if (size - chunk.length < 65536) head.push(chunk);
      if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
    }
    await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
  } catch (e) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw e.status ? e : new HttpError(400, 'upload_interrupted', 'the upload was interrupted');
  }
  const sniffed = sniff(Buffer.concat(head));
  const isImage = /^image\/(png|jpeg|gif)$/.test(sniffed.type);
  const a = {
    id,
    ownerId: uid,
    conversationId: c.id,
    name: cleanName(url.searchParams.get('name')),
    size,
    contentType: sniffed.type,
    sha256: hash.digest('hex'),
    width: sniffed.width || 0,
    height: sniffed.height || 0,
    preview: isImage ? 'pending' : 'none',
    messageId: null,
    createdAt: now(),
  };
  renameSync(tmp, join(mediaDir, id));
  db.attachments[id] = a;
  save();
  res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ attachment: attachmentView(a) }));
}

const INLINE = /^(image\/(png|jpeg|gif|webp)|text\/plain|application\/pdf)$/;

/** GET /api/attachments/:id/file and /thumbnails/:name (the mock's thumbnail is the file itself). */
function download(req, res, url, m) {
  const uid = mediaUser(req, url);
  const a = readableAttachment(uid, m[1]);
  if (m[2] === 'thumbnails' && (a.preview !== 'ready' || !m[3].startsWith(a.sha256))) throw new HttpError(404, 'not_found', 'no such thumbnail');
  const etag = `"${a.sha256}"`;
  const headers = {
    'Content-Type': a.contentType,
    ETag: etag,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': 'sandbox',
    'Cache-Control': m[2] === 'thumbnails' ? 'public, max-age=31536000, immutable' : 'private, max-age=3600',
    'Content-Disposition': `${INLINE.test(a.contentType) ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(a.name)}`,
  };
  if (req.headers['if-none-match'] === etag) return res.writeHead(304, headers).end();
  res.writeHead(200, { ...headers, 'Content-Length': a.size });
  createReadStream(join(mediaDir, a.id)).pipe(res);
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.txt': 'text/plain', '.json': 'application/json', '.ico': 'image/x-icon' };

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/healthz' || url.pathname === '/readyz') return res.end('ok');
  if (url.pathname.startsWith('/api/')) {
    let m;
    const fail = (e) => {
      if (res.headersSent) return res.destroy();
      res.writeHead(e.status ?? 400, { 'Content-Type': 'application/json', Connection: 'close' });
      res.end(JSON.stringify({ error: { code: e.code ?? 'bad_request', message: e.message } }));
      req.resume(); // drain what the client still sends, so that it reads the answer
    };
    if (req.method === 'POST' && url.pathname === '/api/uploads') return upload(req, res, url).catch(fail);
    if (req.method === 'GET' && (m = url.pathname.match(/^\/api\/attachments\/([^/]+)\/(file|thumbnails)(?:\/([^/]+))?$/))) {
      try {
        return download(req, res, url, m);
      } catch (e) {
        return fail(e);
      }
    }
    let body;
    const chunks = [];
    for await (const ch of req) chunks.push(ch);
    try {
      if (chunks.length) body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const [status, data] = await api(req, url, body);
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(data));
    } catch (e) {
      const status = e.status ?? 400;
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: e.code ?? 'bad_request', message: e.message } }));
    }
    return;
  }
  if (!webDir) return res.writeHead(404).end('web client not built');
  let file = normalize(join(webDir, decodeURIComponent(url.pathname)));
  if (!file.startsWith(webDir)) return res.writeHead(403).end();
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
  if (!existsSync(file)) file = existsSync(`${file}.html`) ? `${file}.html` : join(webDir, 'index.html');
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' });
  createReadStream(file).pipe(res);
});

io = new Server(server, { path: '/socket.io/', serveClient: false });
io.use((socket, next) => {
  const uid = db.tokens[socket.handshake.auth?.token];
  if (!uid) return next(new Error('unauthorized'));
  socket.data.uid = uid;
  next();
});
io.on('connection', (socket) => {
  const uid = socket.data.uid;
  socket.join(`user:${uid}`);
  clearTimeout(offlineTimers[uid]);
  const was = online.get(uid) ?? 0;
  online.set(uid, was + 1);
  if (was === 0) broadcastStatus(uid);
  const wrap = (fn) => (payload, ack) => {
    try {
      const data = fn(payload ?? {});
      if (typeof ack === 'function') ack({ ok: true, data: data ?? null });
    } catch (e) {
      if (typeof ack === 'function') ack({ ok: false, error: { code: e.code ?? 'bad_request', message: e.message } });
    }
  };
  socket.on('join_conversation', wrap(({ conversationId }) => {
    if (!memberOf(db.convs[conversationId], uid)) throw new HttpError(404, 'not_found', 'conversation not found');
    socket.join(`conv:${conversationId}`);
  }));
  socket.on('leave_conversation', wrap(({ conversationId }) => socket.leave(`conv:${conversationId}`)));
  socket.on('typing', wrap(({ conversationId }) => {
    if (!memberOf(db.convs[conversationId], uid)) throw new HttpError(404, 'not_found', 'conversation not found');
    const k = `${conversationId}/${uid}`;
    clearTimeout(typingTimers[k]);
    typingTimers[k] = setTimeout(() => clearTyping(conversationId, uid), 5000);
    socket.to(`conv:${conversationId}`).emit('typing', { conversationId, userId: uid });
  }));
  socket.on('stop_typing', wrap(({ conversationId }) => clearTyping(conversationId, uid)));
  socket.on('new_message', wrap((p) => storeMessage(uid, p).message));
  socket.on('message_read', wrap(({ conversationId, messageId }) => markRead(uid, messageId, conversationId)));
  socket.on('disconnect', () => {
    const n = (online.get(uid) ?? 1) - 1;
    online.set(uid, n);
    if (n === 0)
      offlineTimers[uid] = setTimeout(() => {
        lastSeen[uid] = now();
        broadcastStatus(uid);
      }, 2000);
  });
});

server.listen(Number(port), host, () => console.log(`mock parley listening on http://${host}:${port} (web: ${webDir ?? 'none'})`));
const stop = () => {
  io.close();
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
