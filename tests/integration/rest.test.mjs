// The seed's REST API beyond accounts: conversations, messages, users (issue 3).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ParleyServer } from './lib/server.mjs';
import { Api, registerUser, newClientMsgId } from './lib/api.mjs';

const server = new ParleyServer({ args: ['--max-group-size', '5'] });
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
      [{ type: 'group', memberIds: [bob.user.id] }, 'missing title'],
      [{ type: 'group', memberIds: [bob.user.id], title: '' }, 'empty title'],
      [{ type: 'group', memberIds: [bob.user.id], title: 'x'.repeat(101) }, 'long title'],
      [{ type: 'direct', memberIds: [bob.user.id, carol.user.id] }, 'direct with two others'],
      [{ type: 'direct', memberIds: [] }, 'no members'],
      [{ type: 'direct', memberIds: [alice.user.id] }, 'the caller alone'],
      [{ type: 'group', memberIds: [alice.user.id], title: 'Me' }, 'a group of the caller alone'],
      [{ type: 'group', memberIds: [bob.user.id, bob.user.id], title: 'Dup' }, 'duplicate ids'],
      [{ type: 'group', memberIds: ['123456789'], title: 'Ghost' }, 'unknown id'],
      [{ type: 'group', memberIds: ['not-an-id'], title: 'Junk' }, 'malformed id'],
      [{ type: 'group', memberIds: [12345], title: 'Number' }, 'numeric id'],
      [{ type: 'channel', memberIds: [bob.user.id] }, 'unknown type'],
      [{ memberIds: [bob.user.id] }, 'missing type'],
      [{ type: 'group', memberIds: 'abc', title: 'T' }, 'memberIds not an array'],
    ];
    for (const [body, why] of cases) {
      const res = await alice.api.post('/api/conversations', body);
      assert.equal(res.status, 400, why);
      assert.ok(res.json.error.code, why);
    }
  });

  test('group size is capped (here 5)', async () => {
    const extra = await Promise.all(['e1', 'e2', 'e3', 'e4', 'e5'].map((n) => registerUser(server.url, n)));
    const ok = await group(alice, extra.slice(0, 4), 'Five');
    assert.equal(ok.status, 201);
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
    const top = page1.json.conversations[0];
    assert.equal(top.lastMessage.body, 'bump');
    assert.equal(top.lastSeq, 1);
    assert.equal(top.unreadCount, 1);
    assert.equal(top.lastReadSeq, 0);
    assert.equal(typeof page1.json.nextCursor, 'string');
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
    assert.deepEqual(Object.keys(m).sort(), ['body', 'clientMsgId', 'conversationId', 'createdAt', 'deletedAt', 'id', 'senderId', 'seq']);
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
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => send(i % 2 ? bob : carol, cid, `c${i}`)));
    const seqs = results.map((r) => r.json.message.seq).sort((x, y) => x - y);
    const first = seqs[0];
    assert.deepEqual(seqs, Array.from({ length: 40 }, (_, i) => first + i));
  });

  test('body and clientMsgId rules → 400', async () => {
    const bad = [
      { body: '', clientMsgId: 'x' }, { body: 'x'.repeat(4001), clientMsgId: 'x' }, { body: 'a\u0000b', clientMsgId: 'x' },
      { body: 'ok', clientMsgId: '' }, { body: 'ok', clientMsgId: 'x'.repeat(65) }, { body: 'ok' }, { clientMsgId: 'x' },
      { body: 42, clientMsgId: 'x' },
    ];
    for (const b of bad) {
      const res = await alice.api.post('/api/messages', { conversationId: cid, ...b });
      assert.equal(res.status, 400, JSON.stringify(b).slice(0, 80));
    }
    // 4000 characters, multibyte: fine.
    assert.equal((await send(alice, cid, 'é'.repeat(4000))).status, 201);
    // Invalid UTF-8 bytes in the JSON string.
    const raw = Buffer.concat([Buffer.from(`{"conversationId":"${cid}","clientMsgId":"u8","body":"`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const res = await alice.api.request('POST', '/api/messages', { raw, headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 400);
  });

  test('a non-member cannot send, read or page: 404 as if it did not exist', async () => {
    assert.equal((await send(dave, cid)).status, 404);
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
    assert.equal(defaults.json.messages.length, 12);
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
    assert.deepEqual(r3.json, { conversationId: c, lastReadSeq: 3, unreadCount: 1 });
    const back = await bob.api.put(`/api/messages/${ids[0]}/read`, {});
    assert.equal(back.json.lastReadSeq, 3, 'never backwards');
    assert.equal((await listed()).unreadCount, 1);
    assert.equal((await listed()).lastReadSeq, 3);
    assert.equal((await dave.api.put(`/api/messages/${ids[0]}/read`, {})).status, 404);
    assert.equal((await bob.api.put('/api/messages/123/read', {})).status, 404);
  });

  test('delete: a tombstone keeps the seq; sender or group admin only; twice is fine', async () => {
    const c = (await group(alice, [bob, carol], 'Deletes')).json.conversation.id;
    const fromBob = (await send(bob, c, 'secret')).json.message;
    const fromCarol = (await send(carol, c, 'carol says')).json.message;
    assert.equal((await carol.api.delete(`/api/messages/${fromBob.id}`)).status, 403, 'another member');
    assert.equal((await dave.api.delete(`/api/messages/${fromBob.id}`)).status, 404, 'a non-member');
    const del = await bob.api.delete(`/api/messages/${fromBob.id}`);
    assert.equal(del.status, 200);
    assert.equal(del.json.message.body, '');
    assert.ok(del.json.message.deletedAt);
    assert.equal(del.json.message.seq, fromBob.seq);
    const again = await bob.api.delete(`/api/messages/${fromBob.id}`);
    assert.equal(again.status, 200);
    assert.equal(again.json.message.deletedAt, del.json.message.deletedAt);
    assert.equal((await alice.api.delete(`/api/messages/${fromCarol.id}`)).status, 200, 'the group admin');
    const page = await carol.api.get(`/api/messages/${c}`);
    assert.deepEqual(page.json.messages.map((m) => [m.seq, m.body, m.deletedAt !== null]), [[1, '', true], [2, '', true]]);
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
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => send(bob, c, `burst${i}`)),
      ...Array.from({ length: 20 }, () => bodies(alice, '?limit=100')),
    ]);
    const all = await bodies(alice, '?limit=100');
    assert.equal(all.length, 24);
    assert.deepEqual(all.filter((b) => b.startsWith('burst')).sort(), Array.from({ length: 20 }, (_, i) => `burst${i}`).sort());
    // A removed member's cached page is gone with the membership.
    assert.deepEqual((await bodies(carol, '?limit=2')).length, 2);
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
    assert.equal(added.json.conversation.members.length, 4);
    assert.equal((await carol.api.get(`/api/conversations/${c}`)).status, 200, 'an added member sees it');
    assert.equal((await bob.api.put(`/api/conversations/${c}`, { removeMemberIds: [carol.user.id] })).status, 403);
    const kicked = await alice.api.put(`/api/conversations/${c}`, { removeMemberIds: [dave.user.id] });
    assert.equal(kicked.status, 200);
    assert.equal((await dave.api.get(`/api/conversations/${c}`)).status, 404, 'removed: no access');
    assert.equal((await send(dave, c)).status, 404);
    const left = await bob.api.put(`/api/conversations/${c}`, { removeMemberIds: [bob.user.id] });
    assert.equal(left.status, 200, 'anyone may leave');
    assert.equal((await bob.api.get(`/api/conversations/${c}`)).status, 404);
    assert.ok(!(await bob.api.get('/api/conversations?limit=100')).json.conversations.some((x) => x.id === c));
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
    const res = await alice.api.get(`/api/users/search?q=${zed.user.username.slice(0, 5).toUpperCase()}`);
    assert.equal(res.status, 200);
    assert.ok(res.json.users.some((u) => u.id === zed.user.id));
    for (const u of res.json.users) assert.deepEqual(Object.keys(u).sort(), ['createdAt', 'displayName', 'id', 'username']);
    const byEmail = await alice.api.get(`/api/users/search?q=${encodeURIComponent(`${zed.user.username}@EXAMPLE.com`)}`);
    assert.deepEqual(byEmail.json.users.map((u) => u.id), [zed.user.id]);
    const partialEmail = await alice.api.get(`/api/users/search?q=${encodeURIComponent('@example.com')}`);
    assert.equal(partialEmail.json.users.length, 0, 'emails match exactly, not by part');
    const self = await zed.api.get(`/api/users/search?q=${zed.user.username}`);
    assert.ok(!self.json.users.some((u) => u.id === zed.user.id), 'never the caller');
    const wild = await alice.api.get('/api/users/search?q=%25');
    assert.equal(wild.json.users.length, 0, 'LIKE wildcards are literal');
    assert.equal((await alice.api.get('/api/users/search')).status, 400);
    assert.equal((await alice.api.get('/api/users/search?q=a&limit=0')).status, 400);
    const limited = await alice.api.get('/api/users/search?q=e&limit=1');
    assert.ok(limited.json.users.length <= 1);
  });

  test('status: {userId, online, lastSeenAt}; 404 for unknown users', async () => {
    const res = await alice.api.get(`/api/users/${bob.user.id}/status`);
    assert.equal(res.status, 200);
    assert.equal(res.json.userId, bob.user.id);
    assert.equal(typeof res.json.online, 'boolean');
    assert.ok(res.json.lastSeenAt === null || /Z$/.test(res.json.lastSeenAt));
    assert.equal((await alice.api.get('/api/users/123/status')).status, 404);
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
      assert.equal((await anon.request(method, path, { body })).status, 401, `${method} ${path} without a token`);
      assert.equal((await anon.request(method, path, { body, token: 'not.a.jwt' })).status, 401, `${method} ${path} malformed`);
      assert.equal((await anon.request(method, path, { body, token: expiredUnsigned })).status, 401, `${method} ${path} expired`);
      if (membersOnly) {
        assert.equal((await dave.api.request(method, path, { body })).status, 404, `${method} ${path} non-member`);
      }
    }
  });
});
