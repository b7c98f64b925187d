// Conversation features (issue 16, docs/features.md) over REST and Socket.IO:
// edit, reactions, replies, mentions, mute and idempotent replies. Search is in
// features-search.test.mjs, the change sequence and catch-up in
// features-catchup.test.mjs. Nothing here depends on the store's backend.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ParleyServer } from './lib/server.mjs';
import { registerUser, newClientMsgId } from './lib/api.mjs';
import { connect, nextEvent, record, sleep } from './lib/chat.mjs';
import { upload } from './lib/media.mjs';
import {
  group, direct, send, sent, edit, react, unreact, remove, markRead, mute, conversation, listed, history, byId, MESSAGE_KEYS,
} from './lib/features.mjs';

const server = new ParleyServer({ args: ['--rate-limit', 'off'] });
let alice, bob, carol, dave;
const sockets = [];
const open = async (user, options) => { const s = await connect(server.url, user.token, options); sockets.push(s); return s; };

before(async () => {
  await server.start();
  [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => registerUser(server.url, n)));
});
after(async () => { for (const s of sockets) s.close(); await server.stop(); server.cleanup(); });

const newGroup = async (title, members = [bob, carol]) => (await group(alice, members, title)).json.conversation.id;
const lastSeq = async (user, cid) => (await conversation(user, cid)).lastSeq;

describe('a message carries the new fields', () => {
  test('changeSeq, editedAt, replyToId, replyTo, mentions, reactions; lastChangeSeq on the conversation', async () => {
    const cid = await newGroup('Fields');
    const before = await conversation(alice, cid);
    assert.equal(before.lastChangeSeq, 0, 'no change yet');
    assert.equal(before.mentionCount, 0);
    assert.equal(before.muted, false);
    const m = await sent(alice, cid, 'plain');
    assert.deepEqual(Object.keys(m).sort(), MESSAGE_KEYS);
    assert.equal(m.editedAt, null);
    assert.equal(m.replyToId, null);
    assert.equal(m.replyTo, null);
    assert.deepEqual(m.mentions, []);
    assert.deepEqual(m.reactions, []);
    assert.ok(Number.isInteger(m.changeSeq) && m.changeSeq > 0);
    const m2 = await sent(bob, cid, 'second');
    assert.equal(m2.changeSeq, m.changeSeq + 1, 'each send takes the next change');
    assert.equal((await conversation(alice, cid)).lastChangeSeq, m2.changeSeq);
    // The history shows the same copies.
    assert.deepEqual(await history(alice, cid), [m, m2]);
  });
});

describe('edit', () => {
  let cid;
  before(async () => { cid = await newGroup('Edits'); });

  test('the sender edits: body, editedAt, a higher changeSeq, the same seq; the history shows it', async () => {
    const m = await sent(alice, cid, 'frist');
    const res = await edit(alice, m.id, 'first');
    assert.equal(res.status, 200, res.text);
    const e = res.json.message;
    assert.equal(e.id, m.id);
    assert.equal(e.body, 'first');
    assert.equal(e.seq, m.seq);
    assert.equal(e.createdAt, m.createdAt);
    assert.equal(e.clientMsgId, m.clientMsgId);
    assert.notEqual(e.editedAt, null);
    assert.ok(Date.parse(e.editedAt) >= Date.parse(m.createdAt));
    assert.ok(e.changeSeq > m.changeSeq, 'an edit takes a new changeSeq');
    assert.equal((await conversation(bob, cid)).lastChangeSeq, e.changeSeq);
    const stored = (await history(bob, cid)).find((x) => x.id === m.id);
    assert.deepEqual(stored, e);
    // Editing again moves on.
    const again = (await edit(alice, m.id, 'first!')).json.message;
    assert.equal(again.body, 'first!');
    assert.equal(again.changeSeq, e.changeSeq + 1);
  });

  test('only the sender: 403 for another member (even a group admin), 404 for a non-member or no message', async () => {
    const m = await sent(bob, cid, 'bob wrote this');
    const byAdmin = await edit(alice, m.id, 'alice was here');
    assert.equal(byAdmin.status, 403);
    assert.equal(byAdmin.json.error.code, 'forbidden');
    const byMember = await edit(carol, m.id, 'carol was here');
    assert.equal(byMember.status, 403);
    const byStranger = await edit(dave, m.id, 'dave was here');
    assert.equal(byStranger.status, 404);
    assert.equal(byStranger.json.error.code, 'not_found');
    assert.equal((await edit(alice, '999999999', 'nobody')).status, 404);
    assert.equal((await edit(alice, 'not-an-id', 'nobody')).status, 404);
    const stored = (await history(bob, cid)).find((x) => x.id === m.id);
    assert.deepEqual(stored, m, 'unchanged');
  });

  test('the body follows the rules of a send; a deleted message answers 409 message_deleted', async () => {
    const m = await sent(alice, cid, 'rules');
    for (const body of ['', '   ', 'x'.repeat(4001), 'a\u0000b', 42, null]) {
      const res = await edit(alice, m.id, body);
      assert.equal(res.status, 400, JSON.stringify(body)?.slice(0, 40));
    }
    const missing = await alice.api.request('PATCH', `/api/messages/${m.id}`, { body: {} });
    assert.equal(missing.status, 400);
    assert.deepEqual((await history(alice, cid)).find((x) => x.id === m.id), m, 'unchanged');
    const long = await edit(alice, m.id, 'é'.repeat(4000));
    assert.equal(long.status, 200);
    assert.equal(long.json.message.body, 'é'.repeat(4000));
    assert.equal((await remove(alice, m.id)).status, 200);
    const late = await edit(alice, m.id, 'too late');
    assert.equal(late.status, 409);
    assert.equal(late.json.error.code, 'message_deleted');
    const tomb = (await history(alice, cid)).find((x) => x.id === m.id);
    assert.equal(tomb.body, '');
    assert.notEqual(tomb.deletedAt, null);
    assert.notEqual(tomb.editedAt, null, 'a deleted message keeps editedAt');
  });

  test('message_updated reaches another member with the whole message; the same body changes nothing and sends nothing', async () => {
    const b = await open(bob);
    const seen = record(b);
    const m = await sent(alice, cid, 'draft');
    const updated = nextEvent(b, 'message_updated', (x) => x.id === m.id);
    const e = (await edit(alice, m.id, 'final')).json.message;
    assert.deepEqual(await updated, e, 'the event carries the message the answer shows');
    // The same body: 200 with the message as it is, no new changeSeq, no event.
    const same = await edit(alice, m.id, 'final');
    assert.equal(same.status, 200);
    assert.deepEqual(same.json.message, e);
    assert.equal((await conversation(alice, cid)).lastChangeSeq, e.changeSeq);
    // A real edit afterwards: its event is the next one for this message.
    const next = nextEvent(b, 'message_updated', (x) => x.id === m.id && x.body === 'final, really');
    await edit(alice, m.id, 'final, really');
    await next;
    assert.deepEqual(seen.message_updated.filter((x) => x.id === m.id).map((x) => x.body), ['final', 'final, really']);
  });

  test('an edit keeps the attachments; a message of attachments alone may be given a body', async () => {
    const up = await upload(server.url, alice.token, cid, 'notes.txt', Buffer.from('plain text notes\n'), { contentType: 'text/plain' });
    assert.equal(up.status, 201, up.text);
    const m = await sent(alice, cid, '', { attachmentIds: [up.json.attachment.id] });
    assert.equal(m.attachments.length, 1);
    const e = (await edit(alice, m.id, 'the notes, described')).json.message;
    assert.equal(e.body, 'the notes, described');
    assert.deepEqual(e.attachments, m.attachments);
    assert.deepEqual((await history(bob, cid)).find((x) => x.id === m.id).attachments, m.attachments);
  });

  test('over the socket: edit_message acks the message; errors as codes; events for the members', async () => {
    const a = await open(alice);
    const c = await open(carol);
    const m = await sent(alice, cid, 'socket draft');
    const updated = nextEvent(c, 'message_updated', (x) => x.id === m.id);
    const a2 = await open(alice, { transports: ['polling'] });
    const own = nextEvent(a2, 'message_updated', (x) => x.id === m.id);  // the editor's other device
    const ack = await a.emitWithAck('edit_message', { messageId: m.id, body: 'socket final' });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    assert.equal(ack.data.id, m.id);
    assert.equal(ack.data.body, 'socket final');
    assert.notEqual(ack.data.editedAt, null);
    assert.ok(ack.data.changeSeq > m.changeSeq);
    assert.deepEqual(await updated, ack.data);
    assert.deepEqual(await own, ack.data);
    const cs = await open(carol);
    const notMine = await cs.emitWithAck('edit_message', { messageId: m.id, body: 'carol' });
    assert.equal(notMine.ok, false);
    assert.equal(notMine.error.code, 'forbidden');
    const d = await open(dave);
    const stranger = await d.emitWithAck('edit_message', { messageId: m.id, body: 'dave' });
    assert.equal(stranger.error.code, 'not_found');
    for (const payload of [{ messageId: m.id }, { body: 'x' }, { messageId: m.id, body: 7 }, 'nope']) {
      const bad = await a.emitWithAck('edit_message', payload);
      assert.equal(bad.ok, false, JSON.stringify(payload));
    }
    const empty = await a.emitWithAck('edit_message', { messageId: m.id, body: '' });
    assert.equal(empty.ok, false);
    await remove(alice, m.id);
    const gone = await a.emitWithAck('edit_message', { messageId: m.id, body: 'after deletion' });
    assert.equal(gone.error.code, 'message_deleted');
  });
});

describe('reactions', () => {
  let cid;
  before(async () => { cid = await newGroup('Reactions'); });

  test('add and remove: counts and userIds in order, emoji in first-use order; repeats are harmless', async () => {
    const m = await sent(carol, cid, 'react to me');
    const r1 = await react(alice, m.id, '👍');
    assert.equal(r1.status, 200, r1.text);
    assert.equal(r1.json.conversationId, cid);
    assert.equal(r1.json.messageId, m.id);
    assert.ok(r1.json.changeSeq > m.changeSeq);
    assert.deepEqual(r1.json.reactions, [{ emoji: '👍', count: 1, userIds: [alice.user.id] }]);
    const r2 = await react(bob, m.id, '👍');
    assert.equal(r2.json.changeSeq, r1.json.changeSeq + 1);
    const r3 = await react(alice, m.id, '❤️');
    assert.deepEqual(r3.json.reactions, [
      { emoji: '👍', count: 2, userIds: [alice.user.id, bob.user.id] },
      { emoji: '❤️', count: 1, userIds: [alice.user.id] },
    ]);
    // A repeat: 200, the same list, no change.
    const again = await react(alice, m.id, '👍');
    assert.equal(again.status, 200);
    assert.deepEqual(again.json.reactions, r3.json.reactions);
    assert.equal(again.json.changeSeq, r3.json.changeSeq);
    assert.equal((await conversation(alice, cid)).lastChangeSeq, r3.json.changeSeq);
    // Remove: alice's 👍 goes, bob's stays; removing the last ❤️ removes the emoji.
    const un = await unreact(alice, m.id, '👍');
    assert.equal(un.status, 200);
    assert.deepEqual(un.json.reactions, [
      { emoji: '👍', count: 1, userIds: [bob.user.id] },
      { emoji: '❤️', count: 1, userIds: [alice.user.id] },
    ]);
    const un2 = await unreact(alice, m.id, '❤️');
    assert.deepEqual(un2.json.reactions, [{ emoji: '👍', count: 1, userIds: [bob.user.id] }]);
    const unAgain = await unreact(alice, m.id, '❤️');
    assert.equal(unAgain.status, 200);
    assert.equal(unAgain.json.changeSeq, un2.json.changeSeq, 'removing what is not there changes nothing');
    // Re-adding puts the user last.
    await react(alice, m.id, '👍');
    const stored = (await history(alice, cid)).find((x) => x.id === m.id);
    assert.deepEqual(stored.reactions, [{ emoji: '👍', count: 2, userIds: [bob.user.id, alice.user.id] }]);
    assert.equal(stored.changeSeq, (await conversation(alice, cid)).lastChangeSeq);
    assert.equal(stored.body, 'react to me');
    assert.equal(stored.editedAt, null, 'a reaction is not an edit');
  });

  test('emoji with modifiers, joiners and variation selectors are one emoji each', async () => {
    const m = await sent(alice, cid, 'fancy');
    const fancy = ['👍🏽', '👩‍💻', '🏳️‍🌈', '✔️', '🇫🇷', '😀'.repeat(8)];
    for (const e of fancy) assert.equal((await react(bob, m.id, e)).status, 200, e);
    const { reactions } = (await react(bob, m.id, fancy[0])).json;
    assert.deepEqual(reactions.map((r) => r.emoji), fancy);
    for (const r of reactions) assert.deepEqual(r.userIds, [bob.user.id]);
  });

  test('invalid emoji → 400 invalid_emoji, nothing changes', async () => {
    const m = await sent(alice, cid, 'strict');
    const csBefore = (await conversation(alice, cid)).lastChangeSeq;
    for (const e of ['a', ':)', '👍a', ' 👍', '👍 ', '<b>', '\u0085', '\t', '😀'.repeat(9), 'x'.repeat(10)]) {
      const res = await react(alice, m.id, e);
      assert.equal(res.status, 400, JSON.stringify(e));
      assert.equal(res.json.error.code, 'invalid_emoji', JSON.stringify(e));
    }
    // Bytes that are not UTF-8.
    const raw = await alice.api.request('PUT', `/api/messages/${m.id}/reactions/%FF%FE`);
    assert.equal(raw.status, 400);
    assert.equal((await conversation(alice, cid)).lastChangeSeq, csBefore);
    assert.deepEqual((await history(alice, cid)).find((x) => x.id === m.id).reactions, []);
  });

  test('at most 20 distinct emoji: the 21st → 409 too_many_reactions; an existing one may still be added', async () => {
    const m = await sent(alice, cid, 'popular');
    const emoji = Array.from({ length: 21 }, (_, i) => String.fromCodePoint(0x1F600 + i));
    for (const e of emoji.slice(0, 20)) assert.equal((await react(alice, m.id, e)).status, 200, e);
    const refused = await react(bob, m.id, emoji[20]);
    assert.equal(refused.status, 409);
    assert.equal(refused.json.error.code, 'too_many_reactions');
    const existing = await react(bob, m.id, emoji[0]);
    assert.equal(existing.status, 200);
    assert.equal(existing.json.reactions.length, 20);
    assert.deepEqual(existing.json.reactions[0], { emoji: emoji[0], count: 2, userIds: [alice.user.id, bob.user.id] });
    // Removing one makes room again.
    await unreact(alice, m.id, emoji[5]);
    const now = await react(bob, m.id, emoji[20]);
    assert.equal(now.status, 200);
    assert.deepEqual(now.json.reactions.map((r) => r.emoji), [...emoji.slice(0, 5), ...emoji.slice(6)]);
  });

  test('members only: 404 for a non-member and for no message; a deleted message refuses and loses its reactions', async () => {
    const m = await sent(alice, cid, 'members only');
    assert.equal((await react(dave, m.id, '👍')).status, 404);
    assert.equal((await unreact(dave, m.id, '👍')).status, 404);
    assert.equal((await react(alice, '999999999', '👍')).status, 404);
    await react(bob, m.id, '👍');
    const tomb = (await remove(alice, m.id)).json.message;
    assert.deepEqual(tomb.reactions, [], 'the tombstone has no reactions');
    for (const call of [react, unreact]) {
      const res = await call(bob, m.id, '👍');
      assert.equal(res.status, 409);
      assert.equal(res.json.error.code, 'message_deleted');
    }
    assert.deepEqual((await history(alice, cid)).find((x) => x.id === m.id).reactions, []);
  });

  test('reaction_updated reaches the members with the whole list; repeats send nothing; the socket events ack the list', async () => {
    const c = await open(carol);
    const seen = record(c);
    const b = await open(bob);
    const m = await sent(alice, cid, 'live');
    const first = nextEvent(c, 'reaction_updated', (p) => p.messageId === m.id);
    const ack = await b.emitWithAck('add_reaction', { messageId: m.id, emoji: '🎉' });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    assert.deepEqual(ack.data.reactions, [{ emoji: '🎉', count: 1, userIds: [bob.user.id] }]);
    const ev = await first;
    assert.deepEqual(Object.keys(ev).sort(), ['changeSeq', 'conversationId', 'messageId', 'reactions']);
    assert.deepEqual(ev, { conversationId: cid, messageId: m.id, changeSeq: m.changeSeq + 1, reactions: ack.data.reactions });
    // A repeat over the socket: ok, nothing changes, no event.
    const repeat = await b.emitWithAck('add_reaction', { messageId: m.id, emoji: '🎉' });
    assert.equal(repeat.ok, true);
    assert.deepEqual(repeat.data.reactions, ack.data.reactions);
    const removed = nextEvent(c, 'reaction_updated', (p) => p.messageId === m.id && p.reactions.length === 0);
    const un = await b.emitWithAck('remove_reaction', { messageId: m.id, emoji: '🎉' });
    assert.equal(un.ok, true);
    assert.deepEqual(un.data.reactions, []);
    assert.equal((await removed).changeSeq, ev.changeSeq + 1);
    const events = seen.reaction_updated.filter((p) => p.messageId === m.id);
    assert.equal(events.length, 2, 'one event per change, none for the repeat');
    // REST changes are published too.
    const viaRest = nextEvent(c, 'reaction_updated', (p) => p.messageId === m.id && p.reactions.length === 1);
    const res = await react(alice, m.id, '👀');
    assert.deepEqual(await viaRest, res.json);
    // Refusals over the socket.
    assert.equal((await b.emitWithAck('add_reaction', { messageId: m.id, emoji: 'abc' })).error.code, 'invalid_emoji');
    const d = await open(dave);
    assert.equal((await d.emitWithAck('add_reaction', { messageId: m.id, emoji: '👍' })).error.code, 'not_found');
    assert.equal((await b.emitWithAck('add_reaction', { messageId: m.id })).ok, false);
    assert.equal((await b.emitWithAck('remove_reaction', { emoji: '👍' })).ok, false);
  });
});

describe('replies', () => {
  let cid, other;
  before(async () => {
    cid = await newGroup('Replies');
    other = await newGroup('Elsewhere');
  });

  test('replyTo quotes the parent as it is when read: edits show, a deletion shows deleted and an empty body', async () => {
    const parent = await sent(alice, cid, 'what do you think?');
    const reply = await sent(bob, cid, 'yes', { replyToId: parent.id });
    assert.equal(reply.replyToId, parent.id);
    assert.deepEqual(reply.replyTo, { id: parent.id, seq: parent.seq, senderId: alice.user.id, body: 'what do you think?', deleted: false });
    await edit(alice, parent.id, 'what do you think now?');
    let stored = (await history(carol, cid)).find((x) => x.id === reply.id);
    assert.equal(stored.replyTo.body, 'what do you think now?');
    assert.equal(stored.replyTo.deleted, false);
    await remove(alice, parent.id);
    stored = (await history(carol, cid)).find((x) => x.id === reply.id);
    assert.equal(stored.replyToId, parent.id);
    assert.deepEqual(stored.replyTo, { id: parent.id, seq: parent.seq, senderId: alice.user.id, body: '', deleted: true });
    // A deleted message may still be replied to.
    const late = await sent(carol, cid, 'it was deleted', { replyToId: parent.id });
    assert.equal(late.replyTo.deleted, true);
    assert.equal(late.replyTo.body, '');
  });

  test('a long parent is quoted in 200 characters ending with …', async () => {
    const body = 'ä'.repeat(150) + 'b'.repeat(150);
    const parent = await sent(alice, cid, body);
    const reply = await sent(bob, cid, 'tl;dr', { replyToId: parent.id });
    const quote = [...reply.replyTo.body];
    assert.ok(quote.length === 200 || quote.length === 201, `quote of ${quote.length} characters`);
    assert.equal(quote.at(-1), '…');
    assert.ok(body.startsWith(quote.slice(0, -1).join('')));
    const short = await sent(alice, cid, 'x'.repeat(200));
    assert.equal((await sent(bob, cid, 'ok', { replyToId: short.id })).replyTo.body, 'x'.repeat(200), 'not cut at 200');
  });

  test('replyToId of another conversation, unknown or malformed → 409 reply_unavailable, nothing stored', async () => {
    const elsewhere = await sent(alice, other, 'in another conversation');
    const before = await lastSeq(alice, cid);
    const csBefore = (await conversation(alice, cid)).lastChangeSeq;
    for (const replyToId of [elsewhere.id, '999999999', 'not-an-id']) {
      const res = await send(alice, cid, 'misplaced', { replyToId });
      assert.equal(res.status, 409, replyToId);
      assert.equal(res.json.error.code, 'reply_unavailable');
    }
    // A conversation the sender cannot see is no different.
    const daves = (await direct(dave, carol)).json.conversation.id;
    const secret = await sent(dave, daves, 'private');
    assert.equal((await send(alice, cid, 'peek', { replyToId: secret.id })).json.error.code, 'reply_unavailable');
    assert.equal(await lastSeq(alice, cid), before, 'nothing stored');
    assert.equal((await conversation(alice, cid)).lastChangeSeq, csBefore, 'no change taken');
    // The same clientMsgId can then be used for a good send.
    const clientMsgId = newClientMsgId();
    assert.equal((await send(alice, cid, 'x', { replyToId: elsewhere.id, clientMsgId })).status, 409);
    const ok = await send(alice, cid, 'x', { clientMsgId });
    assert.equal(ok.status, 201);
  });

  test('POST /api/conversations/:id/messages takes replyToId too', async () => {
    const parent = await sent(alice, cid, 'via the other route');
    const res = await bob.api.post(`/api/conversations/${cid}/messages`, { body: 'answered there', clientMsgId: newClientMsgId(), replyToId: parent.id });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.message.replyTo.id, parent.id);
    const elsewhere = await sent(alice, other, 'elsewhere');
    const refused = await bob.api.post(`/api/conversations/${cid}/messages`, { body: 'no', clientMsgId: newClientMsgId(), replyToId: elsewhere.id });
    assert.equal(refused.status, 409);
    assert.equal(refused.json.error.code, 'reply_unavailable');
  });

  test('over the socket: new_message with replyToId; the event carries replyTo', async () => {
    const a = await open(alice);
    const b = await open(bob);
    const parent = await sent(bob, cid, 'socket parent');
    const got = nextEvent(b, 'new_message', (m) => m.body === 'socket reply');
    const ack = await a.emitWithAck('new_message', { conversationId: cid, body: 'socket reply', clientMsgId: newClientMsgId(), replyToId: parent.id });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    assert.equal(ack.data.replyToId, parent.id);
    assert.equal(ack.data.replyTo.body, 'socket parent');
    assert.deepEqual(await got, ack.data);
    const elsewhere = await sent(alice, other, 'not here');
    const refused = await a.emitWithAck('new_message', { conversationId: cid, body: 'bad', clientMsgId: newClientMsgId(), replyToId: elsewhere.id });
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, 'reply_unavailable');
  });

  test('a retried send with replyToId returns the stored message, over REST and over the socket', async () => {
    const parent = await sent(alice, cid, 'retry parent');
    const clientMsgId = newClientMsgId();
    const first = await send(bob, cid, 'retried reply', { clientMsgId, replyToId: parent.id });
    assert.equal(first.status, 201);
    const again = await send(bob, cid, 'retried reply', { clientMsgId, replyToId: parent.id });
    assert.equal(again.status, 200);
    assert.deepEqual(again.json.message, first.json.message);
    // After the parent was edited, a retry still finds the stored reply (quoting the parent as it is now).
    await edit(alice, parent.id, 'retry parent, edited');
    const late = await send(bob, cid, 'retried reply', { clientMsgId, replyToId: parent.id });
    assert.equal(late.status, 200);
    assert.equal(late.json.message.id, first.json.message.id);
    assert.equal(late.json.message.replyTo.body, 'retry parent, edited');
    const b = await open(bob);
    const c = await open(carol);
    const seen = record(c);
    const sid = newClientMsgId();
    const s1 = await b.emitWithAck('new_message', { conversationId: cid, body: 'socket retry', clientMsgId: sid, replyToId: parent.id });
    const s2 = await b.emitWithAck('new_message', { conversationId: cid, body: 'socket retry', clientMsgId: sid, replyToId: parent.id });
    assert.equal(s1.ok, true);
    assert.deepEqual(s2.data, s1.data);
    await sleep(200);
    assert.equal(seen.new_message.filter((m) => m.clientMsgId === sid).length, 1, 'stored and broadcast once');
    const all = await history(alice, cid);
    assert.equal(all.filter((m) => m.clientMsgId === clientMsgId || m.clientMsgId === sid).length, 2);
  });
});

describe('mentions', () => {
  let cid;
  before(async () => { cid = await newGroup('Mentions'); });

  test('@username of members only, ignoring case, at a word start; distinct, ascending', async () => {
    const bu = bob.user.username;
    const cu = carol.user.username;
    const body = `hi @${bu} and @${cu.toUpperCase()}, and @${dave.user.username} (not a member), mail x@${bu}, ` +
      `@${bu}x is someone else, again @${bu}!`;
    const m = await sent(alice, cid, body);
    assert.deepEqual(m.mentions, [bob.user.id, carol.user.id].sort(byId));
    assert.equal(m.body, body, 'kept as typed');
    const none = await sent(alice, cid, `@nobody_here and @ alone and @${bu}_extra`);
    assert.deepEqual(none.mentions, []);
    const paren = await sent(alice, cid, `(@${cu})`);
    assert.deepEqual(paren.mentions, [carol.user.id]);
  });

  test('an edit resolves mentions again', async () => {
    const m = await sent(alice, cid, `ping @${bob.user.username}`);
    assert.deepEqual(m.mentions, [bob.user.id]);
    const e = (await edit(alice, m.id, `ping @${carol.user.username}`)).json.message;
    assert.deepEqual(e.mentions, [carol.user.id]);
    const stored = (await history(bob, cid)).find((x) => x.id === m.id);
    assert.deepEqual(stored.mentions, [carol.user.id]);
  });

  test('mentionCount: unread, not deleted, mentioning the member; drops after message_read (REST and socket)', async () => {
    const c = await newGroup('Counting');
    const count = async (user) => (await listed(user, c)).mentionCount;
    assert.equal(await count(bob), 0);
    const m1 = await sent(alice, c, `@${bob.user.username} one`);
    await sent(alice, c, 'no mention');
    const m3 = await sent(carol, c, `@${bob.user.username} three`);
    const m4 = await sent(alice, c, `@${bob.user.username} four, deleted`);
    assert.equal(await count(bob), 3);
    assert.equal(await count(carol), 0);
    await remove(alice, m4.id);
    assert.equal(await count(bob), 2, 'a deleted message does not count');
    assert.equal((await conversation(bob, c)).mentionCount, 2, 'GET shows it too');
    // An edit that removes the mention removes it from the count.
    await edit(carol, m3.id, 'three, no longer for bob');
    assert.equal(await count(bob), 1);
    await edit(carol, m3.id, `three, @${bob.user.username} again`);
    assert.equal(await count(bob), 2);
    // Reading up to m1: one left.
    const read1 = await markRead(bob, m1.id);
    assert.equal(read1.status, 200);
    assert.equal(read1.json.mentionCount, 1);
    assert.equal(await count(bob), 1);
    // Over the socket: the ack carries the count.
    const b = await open(bob);
    const ack = await b.emitWithAck('message_read', { conversationId: c, messageId: m3.id });
    assert.equal(ack.ok, true);
    assert.equal(ack.data.mentionCount, 0);
    assert.equal(await count(bob), 0);
    // A mention after the watermark counts again; the count never includes a read one.
    await sent(alice, c, `later @${bob.user.username}`);
    assert.equal(await count(bob), 1);
    assert.equal((await listed(bob, c)).unreadCount, 1);
  });

  test('a removed member is not resolved; mentions of a deleted message are gone', async () => {
    const c = await newGroup('Leavers');
    await alice.api.put(`/api/conversations/${c}`, { removeMemberIds: [carol.user.id] });
    const m = await sent(alice, c, `@${carol.user.username} @${bob.user.username}`);
    assert.deepEqual(m.mentions, [bob.user.id]);
    const tomb = (await remove(alice, m.id)).json.message;
    assert.deepEqual(tomb.mentions, []);
  });
});

describe('mute', () => {
  test('PUT mute answers the conversation with muted; per member; in the list; members only', async () => {
    const cid = await newGroup('Noisy');
    const res = await mute(bob, cid, true);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.conversation.id, cid);
    assert.equal(res.json.conversation.muted, true);
    assert.deepEqual(res.json.conversation.members.map((m) => m.id).sort(byId), [alice, bob, carol].map((u) => u.user.id).sort(byId));
    assert.equal((await listed(bob, cid)).muted, true);
    assert.equal((await conversation(bob, cid)).muted, true);
    assert.equal((await listed(alice, cid)).muted, false, 'per member');
    // Muting twice is fine; unmuting.
    assert.equal((await mute(bob, cid, true)).json.conversation.muted, true);
    assert.equal((await mute(bob, cid, false)).json.conversation.muted, false);
    assert.equal((await listed(bob, cid)).muted, false);
    // Per conversation.
    const other = await newGroup('Quiet');
    await mute(bob, other, true);
    assert.equal((await listed(bob, cid)).muted, false);
    assert.equal((await listed(bob, other)).muted, true);
    // Members only; bad bodies.
    assert.equal((await mute(dave, cid, true)).status, 404);
    assert.equal((await mute(bob, '999999999', true)).status, 404);
    for (const body of [{}, { muted: 'yes' }, { muted: 1 }, { muted: null }]) {
      assert.equal((await bob.api.put(`/api/conversations/${cid}/mute`, body)).status, 400, JSON.stringify(body));
    }
    assert.equal((await listed(bob, cid)).muted, false, 'unchanged by refusals');
    // Muting changes no message and no unread count.
    await sent(alice, cid, 'still counted');
    await mute(bob, cid, true);
    assert.equal((await listed(bob, cid)).unreadCount, 1);
  });
});
