// The seed's REST API beyond accounts: conversations, messages, users (issue 3).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ParleyServer } from './lib/server.mjs';
import { Api, registerUser, newClientMsgId } from './lib/api.mjs';

// Rate limits have their own suite (rate-limits.test.mjs): these tests send bursts.
const server = new ParleyServer({ args: ['--max-group-size', '5', '--rate-limit', 'off'] });
let alice, bob, carol, dave;

before(async () => {
  await server.start();
  [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => registerUser(server.url, n)));
});
after(async () => { await server.stop(); server.cleanup(); });

const direct = (from, to) => from.api.post('/api/conversations', { type: 'direct', memberIds: [to.user.id] });
const group = (from, members, title = 'Team') =>
  from.api.post('/api/conversations', { type: 'group', memberIds: members.map((m) => m.user.id), title });
const send = (from, conversationId, body = 'hello', clientMsgId = newClientMsgId()) =>
  from.api.post('/api/messages', { conversationId, body, clientMsgId });

describe('POST /api/conversations', () => {
  test('a direct conversation is unique per pair: 201 then 200 with the same id, from either side', async () => {
    const first = await direct(alice, bob);
    assert.equal(first.status, 201);
    const c = first.json.conversation;
    assert.equal(c.type, 'direct');
    assert.equal(c.title, null);
    assert.deepEqual(c.members.map((m) => m.id).sort(), [alice.user.id, bob.user.id].sort());
    for (const m of c.members) assert.deepEqual(Object.keys(m).sort(), ['createdAt', 'displayName', 'id', 'lastReadSeq', 'role', 'username']);
    assert.equal(c.lastMessage, null);
    assert.equal(c.lastSeq, 0);
    assert.equal(c.unreadCount, 0);
    const again = await direct(alice, bob);
    assert.equal(again.status, 200);
    assert.equal(again.json.conversation.id, c.id);
    const reverse = await direct(bob, alice);
    assert.equal(reverse.status, 200);
    assert.equal(reverse.json.conversation.id, c.id);
  });

  test('a group has a title and its creator as admin', async () => {
    const res = await group(alice, [bob, carol], '  Launch crew ');
    assert.equal(res.status, 201);
    const c = res.json.conversation;
    assert.equal(c.type, 'group');
    assert.equal(c.title, 'Launch crew');
    const roles = Object.fromEntries(c.members.map((m) => [m.id, m.role]));
    assert.equal(roles[alice.user.id], 'admin');
    assert.equal(roles[bob.user.id], 'member');
    assert.equal(roles[carol.user.id], 'member');
  });

  test('the rules → 400', async () => {
    const cases = [
      [{ type: 'group', memberIds: [bob.user.id] }, 'missing_field', 'missing title'],
      [{ type: 'group', memberIds: [bob.user.id], title: '' }, 'invalid_title', 'empty title'],
      [{ type: 'group', memberIds: [bob.user.id], title: 'x'.repeat(101) }, 'invalid_title', 'long title'],
      [{ type: 'direct', memberIds: [bob.user.id, carol.user.id] }, 'invalid_members', 'direct with two others'],
      [{ type: 'direct', memberIds: [] }, 'invalid_members', 'no members'],
      [{ type: 'direct', memberIds: [alice.user.id] }, 'invalid_members', 'the caller alone'],
      [{ type: 'group', memberIds: [alice.user.id], title: 'Me' }, 'invalid_members', 'a group of the caller alone'],
      [{ type: 'group', memberIds: [bob.user.id, bob.user.id], title: 'Dup' }, 'duplicate_member', 'duplicate ids'],
      [{ type: 'group', memberIds: ['123456789'], title: 'Ghost' }, 'unknown_member', 'unknown id'],
      [{ type: 'group', memberIds: ['not-an-id'], title: 'Junk' }, 'unknown_member', 'malformed id'],
      [{ type: 'group', memberIds: [12345], title: 'Number' }, 'invalid_field', 'numeric id'],
      [{ type: 'channel', memberIds: [bob.user.id] }, 'invalid_type', 'unknown type'],
      [{ memberIds: [bob.user.id] }, 'missing_field', 'missing type'],
      [{ type: 'group', memberIds: 'abc', title: 'T' }, 'invalid_field', 'memberIds not an array'],
    ];
    const before = (await alice.api.get('/api/conversations?limit=100')).json.conversations.map((c) => c.id);
    for (const [body, code, why] of cases) {
      const res = await alice.api.post('/api/conversations', body);
      assert.equal(res.status, 400, why);
      assert.equal(res.json.error.code, code, why);
    }
    const after = (await alice.api.get('/api/conversations?limit=100')).json.conversations.map((c) => c.id);
    assert.deepEqual(after, before, 'no conversation was created');
  });

  test('group size is capped (here 5)', async () => {
    const extra = await Promise.all(['e1', 'e2', 'e3', 'e4', 'e5'].map((n) => registerUser(server.url, n)));
    const ok = await group(alice, extra.slice(0, 4), 'Five');
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.json.conversation.members.map((m) => m.id).sort(), [alice, ...extra.slice(0, 4)].map((u) => u.user.id).sort());
    const tooBig = await group(alice, extra, 'Six');
    assert.equal(tooBig.status, 400);
    assert.equal(tooBig.json.error.code, 'group_too_large');
  });
});

describe('GET /api/conversations', () => {
  test('most recent activity first, with last message, unread count and cursor pagination', async () => {
    const u = await registerUser(server.url, 'lister');
    const peers = await Promise.all([1, 2, 3].map((i) => registerUser(server.url, `peer${i}`)));
    const ids = [];
    for (const p of peers) ids.push((await direct(u, p)).json.conversation.id);
    // Activity: a message in the first one makes it the newest.
    await send(peers[0], ids[0], 'bump');
    const page1 = await u.api.get('/api/conversations?limit=2');
    assert.equal(page1.status, 200);
    assert.deepEqual(page1.json.conversations.map((c) => c.id), [ids[0], ids[2]]);
    const [top, second] = page1.json.conversations;
    assert.equal(top.lastMessage.body, 'bump');
    assert.equal(top.lastMessage.senderId, peers[0].user.id);
    assert.equal(top.lastSeq, 1);
    assert.equal(top.unreadCount, 1);
    assert.equal(top.lastReadSeq, 0);
    assert.equal(top.lastActivityAt, top.lastMessage.createdAt, 'the message is the latest activity');
    assert.equal(second.lastMessage, null);
    assert.equal(second.lastSeq, 0);
    assert.equal(second.unreadCount, 0);
    // The cursor names the last conversation of the page: its activity time (ms) and id.
    assert.equal(page1.json.nextCursor, `${Date.parse(second.lastActivityAt)}_${second.id}`);
    const page2 = await u.api.get(`/api/conversations?limit=2&cursor=${encodeURIComponent(page1.json.nextCursor)}`);
    assert.deepEqual(page2.json.conversations.map((c) => c.id), [ids[1]]);
    assert.equal(page2.json.nextCursor, null);
    assert.equal((await u.api.get('/api/conversations?cursor=garbage')).status, 400);
    assert.equal((await u.api.get('/api/conversations?limit=0')).status, 400);
    assert.equal((await u.api.get('/api/conversations?limit=101')).status, 400);
  });
});

describe('messages', () => {
  let cid;
  before(async () => { cid = (await group(alice, [bob, carol], 'Messages')).json.conversation.id; });

  test('POST stores with the next seq; a repeat clientMsgId returns the stored one (200)', async () => {
    const a = await send(alice, cid, 'one', 'cm-1');
    assert.equal(a.status, 201);
    const m = a.json.message;
    assert.deepEqual(Object.keys(m).sort(), ['attachments', 'body', 'changeSeq', 'clientMsgId', 'conversationId', 'createdAt', 'deletedAt',
      'editedAt', 'id', 'mentions', 'reactions', 'replyTo', 'replyToId', 'senderId', 'seq']);
    assert.equal(m.body, 'one');
    assert.equal(m.seq, 1);
    assert.equal(m.senderId, alice.user.id);
    assert.equal(m.conversationId, cid);
    assert.equal(m.deletedAt, null);
    const repeat = await send(alice, cid, 'one (retry)', 'cm-1');
    assert.equal(repeat.status, 200);
    assert.deepEqual(repeat.json.message, m);
    const b = await send(bob, cid, 'two', 'cm-1');  // same clientMsgId, other sender: a new message
    assert.equal(b.status, 201);
    assert.equal(b.json.message.seq, 2);
  });

  test('concurrent sends get gapless seqs', async () => {
    const lastSeq = (await alice.api.get(`/api/conversations/${cid}`)).json.conversation.lastSeq;
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => send(i % 2 ? bob : carol, cid, `c${i}`)));
    for (const r of results) assert.equal(r.status, 201);
    const seqs = results.map((r) => r.json.message.seq).sort((x, y) => x - y);
    assert.deepEqual(seqs, Array.from({ length: 40 }, (_, i) => lastSeq + 1 + i));
    // The history holds each send at the seq it was acknowledged with.
    const page = await alice.api.get(`/api/messages/${cid}?after=${lastSeq}&limit=100`);
    const acked = results.map((r) => r.json.message).sort((x, y) => x.seq - y.seq);
    assert.deepEqual(page.json.messages, acked);
    assert.equal(page.json.nextCursor, null);
  });

  test('body and clientMsgId rules → 400', async () => {
    const bad = [
      { body: '', clientMsgId: 'x' }, { body: 'x'.repeat(4001), clientMsgId: 'x' }, { body: 'a\u0000b', clientMsgId: 'x' },
      { body: 'ok', clientMsgId: '' }, { body: 'ok', clientMsgId: 'x'.repeat(65) }, { body: 'ok' }, { clientMsgId: 'x' },
      { body: 42, clientMsgId: 'x' },
    ];
    const lastSeq = (await alice.api.get(`/api/conversations/${cid}`)).json.conversation.lastSeq;
    for (const b of bad) {
      const res = await alice.api.post('/api/messages', { conversationId: cid, ...b });
      assert.equal(res.status, 400, JSON.stringify(b).slice(0, 80));
    }
    assert.equal((await alice.api.get(`/api/conversations/${cid}`)).json.conversation.lastSeq, lastSeq, 'nothing stored');
    // 4000 characters, multibyte: fine.
    const long = await send(alice, cid, 'é'.repeat(4000));
    assert.equal(long.status, 201);
    assert.equal(long.json.message.body, 'é'.repeat(4000));
    // Invalid UTF-8 bytes in the JSON string.
    const raw = Buffer.concat([Buffer.from(`{"conversationId":"${cid}","clientMsgId":"u8","body":"`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const res = await alice.api.request('POST', '/api/messages', { raw, headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 400);
  });

  test('a non-member cannot send, read or page: 404 as if it did not exist', async () => {
    const refused = await send(dave, cid);
    assert.equal(refused.status, 404);
    assert.equal(refused.json.error.code, 'not_found');
    assert.deepEqual((await send(dave, '999999999')).json, refused.json, 'the same answer as for no conversation at all');
    assert.equal((await dave.api.get(`/api/messages/${cid}`)).status, 404);
    assert.equal((await dave.api.get(`/api/conversations/${cid}`)).status, 404);
    assert.equal((await dave.api.get('/api/messages/999999999')).status, 404);
    assert.equal((await send(dave, '999999999')).status, 404);
  });

  test('history pages in seq order with before/after cursors', async () => {
    const c = (await group(alice, [bob], 'Paging')).json.conversation.id;
    for (let i = 1; i <= 12; i++) await send(alice, c, `m${i}`);
    const latest = await alice.api.get(`/api/messages/${c}?limit=5`);
    assert.deepEqual(latest.json.messages.map((m) => m.seq), [8, 9, 10, 11, 12]);
    assert.equal(latest.json.nextCursor, 8);
    const older = await alice.api.get(`/api/messages/${c}?limit=5&before=8`);
    assert.deepEqual(older.json.messages.map((m) => m.seq), [3, 4, 5, 6, 7]);
    assert.equal(older.json.nextCursor, 3);
    const oldest = await alice.api.get(`/api/messages/${c}?limit=5&before=3`);
    assert.deepEqual(oldest.json.messages.map((m) => m.seq), [1, 2]);
    assert.equal(oldest.json.nextCursor, null);
    const after = await alice.api.get(`/api/messages/${c}?after=9`);
    assert.deepEqual(after.json.messages.map((m) => m.seq), [10, 11, 12]);
    assert.equal(after.json.nextCursor, null);
    const forward = await alice.api.get(`/api/messages/${c}?after=2&limit=4`);
    assert.deepEqual(forward.json.messages.map((m) => m.seq), [3, 4, 5, 6]);
    assert.equal(forward.json.nextCursor, 6);
    const defaults = await alice.api.get(`/api/messages/${c}`);
    assert.deepEqual(defaults.json.messages.map((m) => [m.seq, m.body]), Array.from({ length: 12 }, (_, i) => [i + 1, `m${i + 1}`]));
    assert.equal(defaults.json.nextCursor, null);
    for (const q of ['limit=0', 'limit=101', 'limit=x', 'before=-1', 'after=abc']) {
      assert.equal((await alice.api.get(`/api/messages/${c}?${q}`)).status, 400, q);
    }
    const conv = await alice.api.get(`/api/conversations/${c}?limit=3`);
    assert.equal(conv.status, 200);
    assert.equal(conv.json.conversation.id, c);
    assert.deepEqual(conv.json.messages.map((m) => m.seq), [10, 11, 12]);
    assert.equal(conv.json.nextCursor, 10);
  });

  test('read watermark moves forward only; unread counts follow', async () => {
    const c = (await group(alice, [bob], 'Reads')).json.conversation.id;
    const ids = [];
    for (let i = 1; i <= 4; i++) ids.push((await send(alice, c, `r${i}`)).json.message.id);
    await send(bob, c, 'mine');  // bob's own message never counts as unread for bob
    const listed = async () => (await bob.api.get('/api/conversations?limit=100')).json.conversations.find((x) => x.id === c);
    assert.equal((await listed()).unreadCount, 4);
    const r3 = await bob.api.put(`/api/messages/${ids[2]}/read`, {});
    assert.equal(r3.status, 200);
    assert.deepEqual(r3.json, { conversationId: c, lastReadSeq: 3, unreadCount: 1, mentionCount: 0 });
    const back = await bob.api.put(`/api/messages/${ids[0]}/read`, {});
    assert.deepEqual(back.json, { conversationId: c, lastReadSeq: 3, unreadCount: 1, mentionCount: 0 }, 'never backwards');
    assert.equal((await listed()).unreadCount, 1);
    assert.equal((await listed()).lastReadSeq, 3);
    const all = await bob.api.put(`/api/messages/${ids[3]}/read`, {});
    assert.deepEqual(all.json, { conversationId: c, lastReadSeq: 4, unreadCount: 0, mentionCount: 0 });
    assert.equal((await listed()).unreadCount, 0);
    // The sender's own view: bob's message is unread for alice.
    const forAlice = (await alice.api.get('/api/conversations?limit=100')).json.conversations.find((x) => x.id === c);
    assert.deepEqual([forAlice.lastSeq, forAlice.lastReadSeq, forAlice.unreadCount], [5, 0, 1]);
    assert.equal((await dave.api.put(`/api/messages/${ids[0]}/read`, {})).status, 404);
    assert.equal((await bob.api.put('/api/messages/123/read', {})).status, 404);
  });

  test('delete: a tombstone keeps the seq; sender or group admin only; twice is fine', async () => {
    const c = (await group(alice, [bob, carol], 'Deletes')).json.conversation.id;
    const fromBob = (await send(bob, c, 'secret')).json.message;
    const fromCarol = (await send(carol, c, 'carol says')).json.message;
    assert.equal((await carol.api.delete(`/api/messages/${fromBob.id}`)).status, 403, 'another member');
    assert.equal((await dave.api.delete(`/api/messages/${fromBob.id}`)).status, 404, 'a non-member');
    const beforeDelete = Date.now();
    const del = await bob.api.delete(`/api/messages/${fromBob.id}`);
    assert.equal(del.status, 200);
    // The same message, body gone; the deletion is a change (docs/features.md): a new changeSeq.
    assert.deepEqual({ ...del.json.message, deletedAt: null, changeSeq: fromBob.changeSeq }, { ...fromBob, body: '' }, 'the same message, body gone');
    assert.ok(del.json.message.changeSeq > fromBob.changeSeq);
    assert.match(del.json.message.deletedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const deletedAt = Date.parse(del.json.message.deletedAt);
    assert.ok(deletedAt >= beforeDelete - 1000 && deletedAt <= Date.now() + 1000, del.json.message.deletedAt);
    const again = await bob.api.delete(`/api/messages/${fromBob.id}`);
    assert.equal(again.status, 200);
    assert.equal(again.json.message.deletedAt, del.json.message.deletedAt);
    assert.equal((await alice.api.delete(`/api/messages/${fromCarol.id}`)).status, 200, 'the group admin');
    const page = await carol.api.get(`/api/messages/${c}`);
    assert.deepEqual(page.json.messages.map((m) => [m.id, m.seq, m.body, m.deletedAt !== null]),
      [[fromBob.id, 1, '', true], [fromCarol.id, 2, '', true]]);
    assert.equal(page.json.messages[0].deletedAt, del.json.message.deletedAt);
    const d = (await direct(alice, carol)).json.conversation.id;
    const m = (await send(carol, d, 'in direct')).json.message;
    assert.equal((await alice.api.delete(`/api/messages/${m.id}`)).status, 403, 'no admins in a direct conversation');
  });
});

describe('cached history pages (answered from memory on the IO thread)', () => {
  test('a cached page is never stale: sends, deletes and removals show at once', async () => {
    const c = (await group(alice, [bob, carol], 'Cache')).json.conversation.id;
    for (let i = 1; i <= 3; i++) await send(bob, c, `m${i}`);
    const bodies = async (who, query = '') => {
      const res = await who.api.get(`/api/messages/${c}${query}`);
      return res.status === 200 ? res.json.messages.map((m) => m.body) : res.status;
    };
    // Asked twice: the second answer comes from the page cache.
    assert.deepEqual(await bodies(alice), ['m1', 'm2', 'm3']);
    assert.deepEqual(await bodies(alice), ['m1', 'm2', 'm3']);
    assert.deepEqual(await bodies(carol, '?limit=2'), ['m2', 'm3']);
    assert.deepEqual(await bodies(carol, '?limit=2'), ['m2', 'm3']);
    const fourth = (await send(carol, c, 'm4')).json.message;
    assert.deepEqual(await bodies(alice), ['m1', 'm2', 'm3', 'm4'], 'a send voids the cached page');
    assert.deepEqual(await bodies(carol, '?limit=2'), ['m3', 'm4'], 'and every cached page of the conversation');
    await carol.api.delete(`/api/messages/${fourth.id}`);
    assert.deepEqual(await bodies(alice), ['m1', 'm2', 'm3', ''], 'a delete voids it too');
    // Several requests in flight while messages commit: each answer is a
    // consistent page, and the last one after the sends has every message.
    const answers = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => send(bob, c, `burst${i}`)),
      ...Array.from({ length: 20 }, () => bodies(alice, '?limit=100')),
    ]);
    const bySeq = ['m1', 'm2', 'm3', ''];
    for (const r of answers.slice(0, 20)) bySeq[r.json.message.seq - 1] = r.json.message.body;
    assert.equal(bySeq.length, 24);
    // A page read while sends commit is some prefix of the final history.
    for (const page of answers.slice(20)) assert.deepEqual(page, bySeq.slice(0, page.length));
    assert.deepEqual(await bodies(alice, '?limit=100'), bySeq);
    // A removed member's cached page is gone with the membership.
    assert.deepEqual(await bodies(carol, '?limit=2'), bySeq.slice(-2));
    await alice.api.put(`/api/conversations/${c}`, { removeMemberIds: [carol.user.id] });
    assert.equal(await bodies(carol, '?limit=2'), 404, 'removed: no cached page either');
    assert.equal(await bodies(dave), 404, 'never a member');
    // Bad queries are refused the same whether a page is cached or not.
    assert.equal(await bodies(alice, '?limit=0'), 400);
    assert.equal(await bodies(alice, '?before=x'), 400);
  });
});

describe('PUT /api/conversations/:id', () => {
  test('admins rename and add; members may only leave; removed members lose access at once', async () => {
    const c = (await group(alice, [bob], 'Before')).json.conversation.id;
    const renamed = await alice.api.put(`/api/conversations/${c}`, { title: 'After' });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.json.conversation.title, 'After');
    assert.equal((await bob.api.put(`/api/conversations/${c}`, { title: 'Mine' })).status, 403);
    assert.equal((await bob.api.put(`/api/conversations/${c}`, { addMemberIds: [carol.user.id] })).status, 403);
    const added = await alice.api.put(`/api/conversations/${c}`, { addMemberIds: [carol.user.id, dave.user.id] });
    assert.equal(added.status, 200);
    assert.deepEqual(added.json.conversation.members.map((m) => [m.id, m.role]).sort(),
      [[alice.user.id, 'admin'], [bob.user.id, 'member'], [carol.user.id, 'member'], [dave.user.id, 'member']].sort());
    assert.equal((await carol.api.get(`/api/conversations/${c}`)).status, 200, 'an added member sees it');
    assert.equal((await bob.api.put(`/api/conversations/${c}`, { removeMemberIds: [carol.user.id] })).status, 403);
    const kicked = await alice.api.put(`/api/conversations/${c}`, { removeMemberIds: [dave.user.id] });
    assert.equal(kicked.status, 200);
    assert.deepEqual(kicked.json.conversation.members.map((m) => m.id).sort(), [alice.user.id, bob.user.id, carol.user.id].sort());
    assert.equal((await dave.api.get(`/api/conversations/${c}`)).status, 404, 'removed: no access');
    assert.equal((await send(dave, c)).status, 404);
    const left = await bob.api.put(`/api/conversations/${c}`, { removeMemberIds: [bob.user.id] });
    assert.equal(left.status, 200, 'anyone may leave');
    assert.deepEqual(left.json.conversation.members.map((m) => m.id).sort(), [alice.user.id, carol.user.id].sort());
    assert.equal((await bob.api.get(`/api/conversations/${c}`)).status, 404);
    assert.ok(!(await bob.api.get('/api/conversations?limit=100')).json.conversations.some((x) => x.id === c));
    const seen = (await alice.api.get(`/api/conversations/${c}`)).json.conversation;
    assert.equal(seen.title, 'After');
    assert.deepEqual(seen.members.map((m) => m.id).sort(), [alice.user.id, carol.user.id].sort());
  });

  test('bad changes → 400/403/404', async () => {
    const c = (await group(alice, [bob], 'Rules')).json.conversation.id;
    assert.equal((await alice.api.put(`/api/conversations/${c}`, {})).status, 400, 'nothing to change');
    assert.equal((await alice.api.put(`/api/conversations/${c}`, { title: '' })).status, 400);
    assert.equal((await alice.api.put(`/api/conversations/${c}`, { addMemberIds: ['42'] })).status, 400);
    assert.equal((await dave.api.put(`/api/conversations/${c}`, { title: 'x' })).status, 404);
    assert.equal((await alice.api.put('/api/conversations/123', { title: 'x' })).status, 404);
    const d = (await direct(alice, bob)).json.conversation.id;
    assert.equal((await alice.api.put(`/api/conversations/${d}`, { addMemberIds: [carol.user.id] })).status, 403);
    assert.equal((await alice.api.put(`/api/conversations/${d}`, { removeMemberIds: [bob.user.id] })).status, 403);
  });
});

describe('users', () => {
  test('search: case-insensitive prefix of username or display name, exact email; never the caller or emails', async () => {
    const zed = await registerUser(server.url, 'Zeldafan');
    const { email, ...publicZed } = zed.user;
    assert.equal(email, `${zed.user.username}@example.com`);
    const res = await alice.api.get(`/api/users/search?q=${zed.user.username.slice(0, 5).toUpperCase()}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json.users, [publicZed], 'the one user whose name starts so, without the email');
    const byDisplayName = await alice.api.get('/api/users/search?q=zELDAf');
    assert.deepEqual(byDisplayName.json.users, [publicZed]);
    const byEmail = await alice.api.get(`/api/users/search?q=${encodeURIComponent(`${zed.user.username}@EXAMPLE.com`)}`);
    assert.deepEqual(byEmail.json.users.map((u) => u.id), [zed.user.id]);
    const partialEmail = await alice.api.get(`/api/users/search?q=${encodeURIComponent('@example.com')}`);
    assert.equal(partialEmail.json.users.length, 0, 'emails match exactly, not by part');
    const self = await zed.api.get(`/api/users/search?q=${zed.user.username}`);
    assert.deepEqual(self.json.users, [], 'never the caller');
    const wild = await alice.api.get('/api/users/search?q=%25');
    assert.equal(wild.json.users.length, 0, 'LIKE wildcards are literal');
    assert.equal((await alice.api.get('/api/users/search')).status, 400);
    assert.equal((await alice.api.get('/api/users/search?q=a&limit=0')).status, 400);
  });

  test('search: ordered by username, and limit caps the list', async () => {
    // Three users whose names share a prefix no other user has.
    const yukis = await Promise.all([1, 2, 3].map(() => registerUser(server.url, 'yuki')));
    const ids = yukis.map((y) => y.user).sort((x, y) => (x.username < y.username ? -1 : 1)).map((u) => u.id);
    const found = async (query) => (await alice.api.get(`/api/users/search?q=${query}`)).json.users.map((u) => u.id);
    assert.deepEqual(await found('yuki'), ids);
    assert.deepEqual(await found('YUKI&limit=1'), ids.slice(0, 1));
    assert.deepEqual(await found('yuki&limit=2'), ids.slice(0, 2));
    assert.deepEqual(await found('yuki&limit=50'), ids);
    assert.equal((await alice.api.get('/api/users/search?q=yuki&limit=51')).status, 400);
    const whole = yukis[1].user.username;
    const sharing = ids.filter((id) => yukis.find((y) => y.user.id === id).user.username.startsWith(whole));
    assert.ok(sharing.includes(yukis[1].user.id));
    assert.deepEqual(await found(whole), sharing, 'a whole username: that user (and any it is a prefix of)');
    assert.deepEqual(await found('yukj'), []);
  });

  test('status: {userId, online, lastSeenAt}; 404 for unknown users', async () => {
    // Registered, never used the token: offline, never seen.
    const quiet = await registerUser(server.url, 'quiet');
    const res = await alice.api.get(`/api/users/${quiet.user.id}/status`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { userId: quiet.user.id, online: false, lastSeenAt: null });
    // Bob never connected a socket, but an authenticated request counts as seen.
    const t0 = Date.now();
    assert.equal((await bob.api.get('/api/conversations')).status, 200);
    const t1 = Date.now();
    const bobs = (await alice.api.get(`/api/users/${bob.user.id}/status`)).json;
    assert.equal(bobs.userId, bob.user.id);
    assert.equal(bobs.online, false);
    const seen = Date.parse(bobs.lastSeenAt);
    assert.ok(seen >= t0 && seen <= t1, `lastSeenAt ${bobs.lastSeenAt} is the time of bob's request`);
    const unknown = await alice.api.get('/api/users/123/status');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.code, 'not_found');
    assert.equal((await alice.api.get('/api/users/abc/status')).status, 404);
  });
});

describe('authorization sweep', () => {
  test('every private route × {none, malformed, expired, non-member}', async () => {
    const c = (await group(alice, [bob], 'Sweep')).json.conversation.id;
    const m = (await send(alice, c, 'x')).json.message.id;
    const routes = [
      ['GET', '/api/auth/me', false], ['POST', '/api/conversations', false], ['GET', '/api/conversations', false],
      ['GET', `/api/conversations/${c}`, true], ['PUT', `/api/conversations/${c}`, true], ['POST', '/api/messages', true],
      ['GET', `/api/messages/${c}`, true], ['PUT', `/api/messages/${m}/read`, true], ['DELETE', `/api/messages/${m}`, true],
      ['GET', '/api/users/search?q=a', false], ['GET', `/api/users/${bob.user.id}/status`, false],
    ];
    const [h, p] = alice.token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url'));
    const expiredUnsigned = `${h}.${Buffer.from(JSON.stringify({ ...claims, exp: 1 })).toString('base64url')}.sig`;
    for (const [method, path, membersOnly] of routes) {
      const body = method === 'POST' && path === '/api/messages' ? { conversationId: c, body: 'x', clientMsgId: newClientMsgId() }
        : method === 'PUT' && path.includes('conversations') ? { title: 'Hijack' } : method === 'POST' ? { type: 'direct', memberIds: [bob.user.id] } : undefined;
      const anon = new Api(server.url);
      for (const [token, why] of [[undefined, 'without a token'], ['not.a.jwt', 'malformed'], [expiredUnsigned, 'expired']]) {
        const res = await anon.request(method, path, { body, token });
        assert.equal(res.status, 401, `${method} ${path} ${why}`);
        assert.equal(res.json.error.code, 'unauthorized', `${method} ${path} ${why}`);
      }
      if (membersOnly) {
        const res = await dave.api.request(method, path, { body });
        assert.equal(res.status, 404, `${method} ${path} non-member`);
        assert.equal(res.json.error.code, 'not_found', `${method} ${path} non-member`);
      }
    }
    // Nothing the refused requests asked for happened.
    const after = await alice.api.get(`/api/conversations/${c}`);
    assert.equal(after.json.conversation.title, 'Sweep');
    assert.deepEqual(after.json.messages.map((x) => [x.id, x.body, x.deletedAt]), [[m, 'x', null]]);
  });
});
