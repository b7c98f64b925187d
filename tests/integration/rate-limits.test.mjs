// Per-user rate limits (`--rate-limit BURST,PER_SECOND` or `off`) against `parley serve`:
// sends over REST and over the socket share one token bucket per user, read receipts
// (REST and socket) another with the same settings. A refused REST call answers 429
// with Retry-After (whole seconds, rounded up) and {error: {code: 'rate_limited',
// message, retryAfterMs}}; a refused socket event acks {ok: false, error: {...same}}.
// A refused send stores and broadcasts nothing. See docs/realtime.md ("Limits").
//
// The limited server refills one token a second, so a burst sent within a fraction of a
// second meets exactly BURST acceptances; every test uses fresh users (fresh buckets).
// One test waits for a refill twice (about a second each).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { ParleyServer, runParley, tempDir } from './lib/server.mjs';
import { registerUser, newClientMsgId } from './lib/api.mjs';
import { connect, record, sleep, waitFor } from './lib/chat.mjs';

const BURST = 3;
const PER_SECOND = 1;
const REFILL_MS = 1000 / PER_SECOND;  // the wait for one token from an empty bucket

// ---- helpers shared by the suites

const sendRest = (user, conversationId, body, clientMsgId = newClientMsgId()) =>
  user.api.post('/api/messages', { conversationId, body, clientMsgId });
const sendSocket = (socket, conversationId, body, clientMsgId = newClientMsgId()) =>
  socket.emitWithAck('new_message', { conversationId, body, clientMsgId });
const readRest = (user, messageId) => user.api.put(`/api/messages/${messageId}/read`, {});
const readSocket = (socket, conversationId, messageId) =>
  socket.emitWithAck('message_read', { conversationId, messageId });

const directWith = async (from, to) => {
  const res = await from.api.post('/api/conversations', { type: 'direct', memberIds: [to.user.id] });
  assert.equal(res.status, 201, res.text);
  return res.json.conversation.id;
};
const groupOf = async (from, members, title) => {
  const res = await from.api.post('/api/conversations', { type: 'group', memberIds: members.map((m) => m.user.id), title });
  assert.equal(res.status, 201, res.text);
  return res.json.conversation.id;
};

// The whole history of a conversation (up to 100 messages), oldest first.
async function history(user, conversationId) {
  const res = await user.api.get(`/api/messages/${conversationId}?limit=100`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.nextCursor, null);
  return res.json.messages;
}

const seqsFrom1 = (n) => Array.from({ length: n }, (_, i) => i + 1);

// The refusal's detail, the same on REST and on the socket.
function assertRefusalDetail(error, what) {
  assert.deepEqual(Object.keys(error).sort(), ['code', 'message', 'retryAfterMs'], what);
  assert.equal(error.code, 'rate_limited', what);
  assert.equal(typeof error.message, 'string', what);
  assert.notEqual(error.message, '', what);
  assert.ok(Number.isInteger(error.retryAfterMs), `${what}: retryAfterMs ${error.retryAfterMs}`);
  // At most the time one token takes to come back: the bucket holds less than one.
  assert.ok(error.retryAfterMs > 0 && error.retryAfterMs <= REFILL_MS, `${what}: retryAfterMs ${error.retryAfterMs}`);
}

// A refused REST call: 429, Retry-After in whole seconds rounded up, the error body.
function assertRefusedRest(res, what = 'REST') {
  assert.equal(res.status, 429, `${what}: ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, what);
  assert.deepEqual(Object.keys(res.json), ['error'], what);
  assertRefusalDetail(res.json.error, what);
  assert.equal(res.headers.get('retry-after'), String(Math.ceil(res.json.error.retryAfterMs / 1000)), what);
}

// A refused socket event: {ok: false, error: {code: 'rate_limited', message, retryAfterMs}}.
function assertRefusedAck(ack, what = 'socket') {
  assert.deepEqual(Object.keys(ack).sort(), ['error', 'ok'], `${what}: ${JSON.stringify(ack)}`);
  assert.equal(ack.ok, false, what);
  assertRefusalDetail(ack.error, what);
}

function assertAccepted(ack, what = 'socket') {
  assert.equal(ack.ok, true, `${what}: ${JSON.stringify(ack)}`);
  return ack.data;
}

// Waits until `seen[event]` holds `count` payloads, then a little longer so that an extra
// one would show, and returns them.
async function settled(seen, event, count) {
  await waitFor(() => (seen[event]?.length ?? 0) >= count, { what: `${count} × ${event}` });
  await sleep(150);
  return seen[event] ?? [];
}

// ---- BURST,PER_SECOND

describe(`--rate-limit ${BURST},${PER_SECOND}`, () => {
  const server = new ParleyServer({ args: ['--rate-limit', `${BURST},${PER_SECOND}`] });
  const sockets = [];
  const open = async (user) => { const s = await connect(server.url, user.token); sockets.push(s); return s; };
  const users = (...names) => Promise.all(names.map((n) => registerUser(server.url, n)));

  before(async () => { await server.start(); });
  after(async () => { for (const s of sockets) s.close(); await server.stop(); server.cleanup(); });

  test('a burst of REST sends: exactly BURST × 201, then 429; only the accepted ones are stored and broadcast', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const cid = await directWith(alice, bob);
    const bobSaw = record(await open(bob));
    const results = [];
    for (let i = 0; i < BURST + 2; i++) results.push(await sendRest(alice, cid, `burst ${i}`));
    assert.deepEqual(results.map((r) => r.status), [201, 201, 201, 429, 429]);
    for (const [i, r] of results.slice(BURST).entries()) assertRefusedRest(r, `send ${BURST + i + 1}`);
    assert.equal(results[BURST].headers.get('retry-after'), '1', 'a token a second: at most one second to wait');
    const accepted = results.slice(0, BURST).map((r) => r.json.message);
    assert.deepEqual(accepted.map((m) => m.seq), seqsFrom1(BURST));
    assert.deepEqual(await history(alice, cid), accepted, 'the history holds exactly the accepted sends, gapless');
    const conversation = (await alice.api.get(`/api/conversations/${cid}`)).json.conversation;
    assert.equal(conversation.lastSeq, BURST);
    assert.equal(conversation.lastMessage.id, accepted[BURST - 1].id);
    assert.deepEqual((await settled(bobSaw, 'new_message', BURST)).map((m) => m.id), accepted.map((m) => m.id));
  });

  test('a concurrent burst over REST and socket: exactly BURST accepted, gapless seqs', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const cid = await directWith(alice, bob);
    const socket = await open(alice);
    const bobSaw = record(await open(bob));
    const attempts = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      (i % 2 ? sendSocket(socket, cid, `c${i}`) : sendRest(alice, cid, `c${i}`))
        .then((r) => ({ viaSocket: i % 2 === 1, r }))));
    const accepted = [];
    let refused = 0;
    for (const { viaSocket, r } of attempts) {
      if (viaSocket ? r.ok : r.status === 201) {
        accepted.push(viaSocket ? r.data : r.json.message);
      } else {
        refused += 1;
        if (viaSocket) assertRefusedAck(r); else assertRefusedRest(r);
      }
    }
    assert.equal(accepted.length, BURST);
    assert.equal(refused, 8 - BURST);
    accepted.sort((x, y) => x.seq - y.seq);
    assert.deepEqual(accepted.map((m) => m.seq), seqsFrom1(BURST));
    assert.deepEqual(await history(alice, cid), accepted);
    assert.deepEqual((await settled(bobSaw, 'new_message', BURST)).map((m) => m.id).sort(), accepted.map((m) => m.id).sort());
  });

  test('REST and socket sends share one bucket: the 4th send overall is refused, on either path', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const cid = await directWith(alice, bob);
    const socket = await open(alice);
    const bobSaw = record(await open(bob));
    const first = await sendRest(alice, cid, 'rest 1');
    assert.equal(first.status, 201, first.text);
    const second = assertAccepted(await sendSocket(socket, cid, 'socket 1'));
    const third = await sendRest(alice, cid, 'rest 2');
    assert.equal(third.status, 201, third.text);
    assertRefusedAck(await sendSocket(socket, cid, 'socket 2'), 'the 4th send, on the socket');
    assertRefusedRest(await sendRest(alice, cid, 'rest 3'), 'the 5th send, on REST');
    const accepted = [first.json.message, second, third.json.message];
    assert.deepEqual(accepted.map((m) => m.seq), [1, 2, 3]);
    assert.deepEqual(await history(alice, cid), accepted);
    assert.deepEqual((await settled(bobSaw, 'new_message', BURST)).map((m) => m.body), ['rest 1', 'socket 1', 'rest 2']);
  });

  test('the bucket is per user: another user in the same conversation still has a full burst', async () => {
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    const cid = await groupOf(alice, [bob, carol], 'Per user');
    for (let i = 0; i < BURST; i++) assert.equal((await sendRest(alice, cid, `a${i}`)).status, 201);
    assertRefusedRest(await sendRest(alice, cid, 'a refused'), 'alice, past her burst');
    const bobSocket = await open(bob);
    assertAccepted(await sendSocket(bobSocket, cid, 'b0'), 'bob 1');
    assert.equal((await sendRest(bob, cid, 'b1')).status, 201);
    assertAccepted(await sendSocket(bobSocket, cid, 'b2'), 'bob 3');
    assertRefusedRest(await sendRest(bob, cid, 'b refused'), 'bob, past his own burst');
    // Carol has sent nothing and is refused nothing.
    const carolSent = await sendRest(carol, cid, 'c0');
    assert.equal(carolSent.status, 201, carolSent.text);
    const stored = await history(carol, cid);
    assert.deepEqual(stored.map((m) => m.seq), seqsFrom1(2 * BURST + 1));
    assert.deepEqual(stored.map((m) => m.body), ['a0', 'a1', 'a2', 'b0', 'b1', 'b2', 'c0']);
  });

  test('after Retry-After the user may send again; a refused message retried with its clientMsgId is stored once', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const cid = await directWith(alice, bob);
    const bobSaw = record(await open(bob));
    const aliceSocket = await open(alice);
    for (let i = 0; i < BURST; i++) assert.equal((await sendRest(alice, cid, `m${i}`)).status, 201);
    const clientMsgId = newClientMsgId();
    const refused = await sendRest(alice, cid, 'late', clientMsgId);
    assertRefusedRest(refused, 'past the burst');
    // A few ms over Retry-After: a timer may fire a millisecond early.
    const waitRetryAfter = (res) => sleep(Number(res.headers.get('retry-after')) * 1000 + 20);
    await waitRetryAfter(refused);
    const retried = await sendRest(alice, cid, 'late', clientMsgId);
    assert.equal(retried.status, 201, retried.text);
    const message = retried.json.message;
    assert.equal(message.seq, BURST + 1);
    assert.equal(message.clientMsgId, clientMsgId);
    assert.equal(message.body, 'late');
    // One token came back and was spent: the bucket is empty again.
    const next = await sendRest(alice, cid, 'too soon', clientMsgId);
    assertRefusedRest(next, 'right after the refill was spent');
    await waitRetryAfter(next);
    // Retried once more: the stored message (200), not a new one.
    const repeat = await sendRest(alice, cid, 'late (again)', clientMsgId);
    assert.equal(repeat.status, 200, repeat.text);
    assert.deepEqual(repeat.json.message, message);
    const stored = await history(alice, cid);
    assert.deepEqual(stored.map((m) => m.seq), seqsFrom1(BURST + 1));
    assert.deepEqual(stored.filter((m) => m.clientMsgId === clientMsgId), [message]);
    const delivered = await settled(bobSaw, 'new_message', BURST + 1);
    assert.deepEqual(delivered.map((m) => m.id), stored.map((m) => m.id), 'the retried message is broadcast once');
    // The repeat spent the refilled token, whatever its outcome: the socket finds the bucket empty.
    assertRefusedAck(await sendSocket(aliceSocket, cid, 'late', clientMsgId), 'the socket shares the emptied bucket');
  });

  test('read receipts: a bucket of their own, shared by REST and socket; refused ones move no watermark', async () => {
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    const cid = await groupOf(alice, [bob, carol], 'Receipts');
    const ids = [];
    for (let i = 0; i < BURST; i++) ids.push((await sendRest(alice, cid, `a${i}`)).json.message.id);
    for (let i = 0; i < 2; i++) ids.push((await sendRest(carol, cid, `c${i}`)).json.message.id);
    assert.equal(ids.length, 5);
    const aliceSocket = await open(alice);
    assert.equal((await aliceSocket.emitWithAck('join_conversation', { conversationId: cid })).ok, true);
    const aliceSaw = record(aliceSocket);
    const bobSocket = await open(bob);

    const r1 = await readRest(bob, ids[0]);
    assert.equal(r1.status, 200, r1.text);
    assert.deepEqual(r1.json, { conversationId: cid, lastReadSeq: 1, unreadCount: 4, mentionCount: 0 });
    assert.deepEqual(assertAccepted(await readSocket(bobSocket, cid, ids[1]), 'receipt 2'), { conversationId: cid, lastReadSeq: 2, unreadCount: 3, mentionCount: 0 });
    const r3 = await readRest(bob, ids[2]);
    assert.equal(r3.status, 200, r3.text);
    assert.deepEqual(r3.json, { conversationId: cid, lastReadSeq: 3, unreadCount: 2, mentionCount: 0 });
    assertRefusedAck(await readSocket(bobSocket, cid, ids[3]), 'receipt 4, on the socket');
    assertRefusedRest(await readRest(bob, ids[4]), 'receipt 5, on REST');
    assertRefusedRest(await readRest(bob, ids[4]), 'receipt 6, on REST');

    // The watermark is what the accepted receipts set.
    const bobView = (await bob.api.get(`/api/conversations/${cid}`)).json.conversation;
    assert.equal(bobView.lastReadSeq, 3);
    assert.equal(bobView.unreadCount, 2);
    assert.equal(bobView.members.find((m) => m.id === bob.user.id).lastReadSeq, 3);
    const receipts = await settled(aliceSaw, 'message_read', BURST);
    assert.deepEqual(receipts, [1, 2, 3].map((seq) => ({ conversationId: cid, userId: bob.user.id, seq })));

    // Sends are not receipts: bob's send bucket is full, and alice (no send token left) may still read.
    for (let i = 0; i < BURST; i++) {
      const sent = await sendRest(bob, cid, `b${i}`);
      assert.equal(sent.status, 201, `bob's send ${i + 1}: ${sent.text}`);
    }
    assertRefusedRest(await sendRest(alice, cid, 'alice is out of send tokens'), 'alice past her send burst');
    const aliceRead = await readRest(alice, ids[4]);
    assert.equal(aliceRead.status, 200, aliceRead.text);
    assert.equal(aliceRead.json.lastReadSeq, 5);
  });
});

// ---- off

describe('--rate-limit off', () => {
  const server = new ParleyServer({ args: ['--rate-limit', 'off'] });
  const sockets = [];
  before(async () => { await server.start(); });
  after(async () => { for (const s of sockets) s.close(); await server.stop(); server.cleanup(); });

  test('bursts of 50 sends on REST, 50 on the socket and 50 read receipts are all accepted', async () => {
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => registerUser(server.url, n)));
    const cid = await directWith(alice, bob);
    const socket = await connect(server.url, alice.token);
    sockets.push(socket);
    const viaRest = await Promise.all(Array.from({ length: 50 }, (_, i) => sendRest(alice, cid, `r${i}`)));
    assert.deepEqual(viaRest.map((r) => r.status), Array(50).fill(201));
    const viaSocket = await Promise.all(Array.from({ length: 50 }, (_, i) => sendSocket(socket, cid, `s${i}`)));
    assert.deepEqual(viaSocket.map((a) => a.ok), Array(50).fill(true));
    const accepted = [...viaRest.map((r) => r.json.message), ...viaSocket.map((a) => a.data)].sort((x, y) => x.seq - y.seq);
    assert.deepEqual(accepted.map((m) => m.seq), seqsFrom1(100));
    const page = await alice.api.get(`/api/messages/${cid}?limit=100`);
    assert.deepEqual(page.json.messages, accepted);
    const reads = await Promise.all(accepted.slice(50).map((m) => readRest(bob, m.id)));
    assert.deepEqual(reads.map((r) => r.status), Array(50).fill(200));
    assert.equal((await bob.api.get(`/api/conversations/${cid}`)).json.conversation.lastReadSeq, 100);
  });
});

// ---- the default and the environment

describe('configuration', () => {
  // PARLEY_RATE_LIMIT unset: the default, bursts of 20 then 2 a second (docs/realtime.md).
  const byDefault = new ParleyServer({ env: { PARLEY_RATE_LIMIT: undefined } });
  const byEnv = new ParleyServer({ env: { PARLEY_RATE_LIMIT: '2,1' } });
  const sockets = [];
  before(async () => { await Promise.all([byDefault.start(), byEnv.start()]); });
  after(async () => {
    for (const s of sockets) s.close();
    await Promise.all([byDefault.stop(), byEnv.stop()]);
    byDefault.cleanup();
    byEnv.cleanup();
  });

  test('the default allows a burst of exactly 20', async () => {
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => registerUser(byDefault.url, n)));
    const cid = await directWith(alice, bob);
    // Over one socket: the sends reach the limiter within milliseconds, well before a token
    // comes back (half a second).
    const socket = await connect(byDefault.url, alice.token);
    sockets.push(socket);
    const acks = await Promise.all(Array.from({ length: 24 }, (_, i) => sendSocket(socket, cid, `d${i}`)));
    const accepted = acks.filter((a) => a.ok).map((a) => a.data).sort((x, y) => x.seq - y.seq);
    assert.deepEqual(accepted.map((m) => m.seq), seqsFrom1(20));
    const refused = acks.filter((a) => !a.ok);
    assert.equal(refused.length, 4);
    for (const ack of refused) {
      assertRefusedAck(ack);
      assert.ok(ack.error.retryAfterMs <= 500, `at 2 a second: ${ack.error.retryAfterMs}`);
    }
  });

  test('PARLEY_RATE_LIMIT sets the limit', async () => {
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => registerUser(byEnv.url, n)));
    const cid = await directWith(alice, bob);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await sendRest(alice, cid, `e${i}`));
    assert.deepEqual(results.map((r) => r.status), [201, 201, 429]);
    assertRefusedRest(results[2]);
  });
});

// ---- the flag

test('--rate-limit refuses what is not BURST,PER_SECOND with both positive, or off', async () => {
  const dataDir = tempDir();
  try {
    for (const value of ['', '3', '3,', ',1', '0,1', '-1,1', '3,0', '3,-1', 'x,1', '3,x', '3.5,1', '3,1x', '3,1,1', 'on', 'OFF']) {
      const res = await runParley(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--rate-limit', value]);
      assert.notEqual(res.code, 0, `--rate-limit '${value}' was accepted`);
      assert.match(res.stderr, /--rate-limit/, `'${value}': ${res.stderr}`);
      assert.equal(res.stderr.trim().split('\n').length, 1, `'${value}': ${res.stderr}`);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
