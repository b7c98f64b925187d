// PostgreSQL going away under a running server (issue 13): restarted while sockets
// and REST clients keep sending, and stopped long enough to watch /readyz and the
// `unavailable` answers. No acknowledged message may be lost or stored twice, and
// every send retried with its clientMsgId succeeds once the database is back.
//
// Runs only with PARLEY_TEST_STORE=postgres and PARLEY_TEST_PG_DIR set to the
// folder of the scripts/pg-server.sh server the suites use (the one
// PARLEY_TEST_POSTGRES_URL points at): the test stops and starts that server.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ParleyServer } from './lib/server.mjs';
import { onPostgres } from './lib/store.mjs';
import { registerUser } from './lib/api.mjs';
import { connect, sleep, waitFor } from './lib/chat.mjs';

const execFileAsync = promisify(execFile);
const PG_DIR = process.env.PARLEY_TEST_PG_DIR;
const PG_SERVER = fileURLToPath(new URL('../../scripts/pg-server.sh', import.meta.url));

const skip = !onPostgres ? 'needs PARLEY_TEST_STORE=postgres'
  : !PG_DIR ? 'needs PARLEY_TEST_PG_DIR (the scripts/pg-server.sh folder of the test PostgreSQL) to restart it'
    : false;

// `scripts/pg-server.sh VERB PG_DIR`; a failure throws with its stderr.
async function pg(verb) {
  try {
    await execFileAsync(PG_SERVER, [verb, PG_DIR], { timeout: 120_000 });
  } catch (e) {
    throw new Error(`pg-server.sh ${verb} failed: ${e.stderr || e.message}`);
  }
}

// The status of GET /readyz, or 'error' if the request itself failed.
async function readyStatus(server) {
  try {
    const res = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 'error';
  }
}

async function waitReady(server, status, timeoutMs) {
  let last;
  await waitFor(async () => (last = await readyStatus(server)) === status,
    { timeoutMs, stepMs: 100, what: `/readyz ${status} (last answer: ${last})` });
}

// Every message of a conversation, oldest first, as a client catching up pages them.
async function history(user, conversationId) {
  const all = [];
  let after = 0;
  for (;;) {
    const page = await user.api.get(`/api/messages/${conversationId}?after=${after}&limit=100`);
    assert.equal(page.status, 200, page.text);
    all.push(...page.json.messages);
    if (page.json.nextCursor === null) return all;
    assert.equal(page.json.nextCursor, page.json.messages.at(-1).seq);
    after = page.json.nextCursor;
  }
}

// One send as a socket client makes it: the stored message, or why it failed.
// `unavailable` and a missing ack (the transport) are the retryable failures.
async function socketSend(socket, payload) {
  let ack;
  try {
    ack = await socket.timeout(10_000).emitWithAck('new_message', payload);
  } catch (e) {
    return { retry: 'transport', detail: e.message };
  }
  if (ack?.ok === true) return { message: ack.data };
  if (ack?.ok === false && ack.error?.code === 'unavailable') return { retry: 'unavailable' };
  return { fatal: `socket ack ${JSON.stringify(ack)}` };
}

async function restSend(user, payload) {
  let res;
  try {
    res = await user.api.post('/api/messages', payload);
  } catch (e) {
    return { retry: 'transport', detail: e.message };
  }
  if (res.status === 201 || res.status === 200) return { message: res.json.message };
  if (res.status === 503 && res.json?.error?.code === 'unavailable') return { retry: 'unavailable' };
  return { fatal: `REST ${res.status} ${res.text}` };
}

describe('PostgreSQL outages', { skip }, () => {
  // Not rate-limited: the senders below send as fast as answers come.
  const server = new ParleyServer({ args: ['--rate-limit', 'off'] });
  let pgDown = false;
  const sockets = [];

  before(() => server.start());
  after(async () => {
    for (const s of sockets) s.close();
    // Whatever failed, the suites after this one need their database back.
    if (pgDown) await pg('start');
    await server.stop();
    server.cleanup();
  });

  test('a restart under send load: retried sends succeed, every acknowledged message is stored once, seqs stay gapless',
    { timeout: 240_000 }, async (t) => {
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => registerUser(server.url, n)));
    const groupId = (await alice.api.post('/api/conversations',
      { type: 'group', memberIds: [bob.user.id, carol.user.id], title: 'Outage' })).json.conversation.id;
    const directId = (await alice.api.post('/api/conversations', { type: 'direct', memberIds: [bob.user.id] })).json.conversation.id;
    const open = async (user, options) => {
      const s = await connect(server.url, user.token, { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 500, ...options });
      sockets.push(s);
      return s;
    };
    // Three sockets (one on long-polling) and two REST clients, over both conversations.
    const senders = [
      { name: 'sock-alice', conversationId: groupId, send: socketSend.bind(null, await open(alice, { transports: ['websocket'] })) },
      { name: 'sock-bob', conversationId: directId, send: socketSend.bind(null, await open(bob, { transports: ['polling'] })) },
      { name: 'sock-carol', conversationId: groupId, send: socketSend.bind(null, await open(carol)) },
      { name: 'rest-bob', conversationId: groupId, send: (payload) => restSend(bob, payload) },
      { name: 'rest-alice', conversationId: directId, send: (payload) => restSend(alice, payload) },
    ];

    const sent = new Map();       // clientMsgId → conversationId, for every id ever sent
    const acknowledged = new Map();  // clientMsgId → the stored message its (last) success returned
    const failures = { unavailable: 0, transport: 0 };
    let stop = false;
    // Sends with fresh clientMsgIds until told to stop; a failed send is retried with
    // the same clientMsgId until it succeeds. Gives up (and fails the test) after 60 s
    // of failures for one message.
    const pump = async ({ name, conversationId, send }) => {
      for (let i = 0; !stop; i++) {
        const clientMsgId = `${name}-${i}`;
        const payload = { conversationId, body: clientMsgId, clientMsgId };
        sent.set(clientMsgId, conversationId);
        const deadline = Date.now() + 60_000;
        for (;;) {
          const result = await send(payload);
          if (result.fatal) throw new Error(`${clientMsgId}: ${result.fatal}`);
          if (result.message) {
            assert.equal(result.message.clientMsgId, clientMsgId);
            assert.equal(result.message.conversationId, conversationId);
            assert.equal(result.message.body, clientMsgId);
            acknowledged.set(clientMsgId, result.message);
            break;
          }
          failures[result.retry] += 1;
          if (Date.now() > deadline) throw new Error(`${clientMsgId}: still failing after 60 s (${result.retry} ${result.detail ?? ''})`);
          await sleep(50);
        }
      }
    };
    // The first pump to throw stops the others, and the waits below end with its error.
    let failure = null;
    const pumping = Promise.all(senders.map(pump)).catch((e) => { stop = true; failure = e; });
    const acks = (n) => () => { if (failure) throw failure; return acknowledged.size >= n; };

    try {
      await waitFor(acks(50), { timeoutMs: 15_000, what: '50 acknowledged sends before the restart' });
      await pg('restart');
      await waitFor(acks(acknowledged.size + 50), { timeoutMs: 60_000, what: '50 acknowledged sends after the restart' });
    } finally {
      stop = true;
      await pumping;
    }
    if (failure) throw failure;
    t.diagnostic(`${acknowledged.size} messages, ${failures.unavailable} unavailable answers, ${failures.transport} transport errors`);
    await waitReady(server, 200, 30_000);

    // Every id sent was retried until acknowledged: sent and acknowledged are the same set.
    assert.deepEqual([...acknowledged.keys()].sort(), [...sent.keys()].sort());
    for (const conversationId of [groupId, directId]) {
      const ids = [...sent].filter(([, c]) => c === conversationId).map(([id]) => id);
      const stored = await history(alice, conversationId);
      assert.deepEqual(stored.map((m) => m.seq), Array.from({ length: stored.length }, (_, i) => i + 1), 'seqs 1..N without gaps');
      assert.equal(stored.length, ids.length, 'one message per distinct clientMsgId');
      assert.deepEqual(stored.map((m) => m.clientMsgId).sort(), ids.sort(), 'each clientMsgId exactly once');
      for (const m of stored) {
        const ack = acknowledged.get(m.clientMsgId);
        assert.equal(m.id, ack.id, `${m.clientMsgId}: the acknowledged id`);
        assert.equal(m.seq, ack.seq, `${m.clientMsgId}: the acknowledged seq`);
        assert.equal(m.body, m.clientMsgId);
        assert.equal(m.deletedAt, null);
      }
    }
  });

  test('stopped: /readyz is 503, sends answer unavailable; started: ready again and the same clientMsgIds succeed',
    { timeout: 240_000 }, async () => {
    const [alice, bob] = await Promise.all(['ann', 'ben'].map((n) => registerUser(server.url, n)));
    const cid = (await alice.api.post('/api/conversations', { type: 'direct', memberIds: [bob.user.id] })).json.conversation.id;
    const socket = await connect(server.url, bob.token, { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 500 });
    sockets.push(socket);
    const first = await alice.api.post('/api/messages', { conversationId: cid, body: 'before', clientMsgId: 'before' });
    assert.equal(first.status, 201);
    assert.equal(await readyStatus(server), 200);

    pgDown = true;
    await pg('kill');
    await waitReady(server, 503, 30_000);

    const restPayload = { conversationId: cid, body: 'during (REST)', clientMsgId: 'during-rest' };
    const refused = await alice.api.post('/api/messages', restPayload);
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.json.error.code, 'unavailable');
    const socketPayload = { conversationId: cid, body: 'during (socket)', clientMsgId: 'during-socket' };
    const nack = await socket.timeout(30_000).emitWithAck('new_message', socketPayload);
    assert.equal(nack.ok, false, JSON.stringify(nack));
    assert.equal(nack.error.code, 'unavailable');
    assert.equal(await readyStatus(server), 503, 'still unready while PostgreSQL is down');

    await pg('start');
    pgDown = false;
    await waitReady(server, 200, 60_000);

    const retried = await alice.api.post('/api/messages', restPayload);
    assert.equal(retried.status, 201, retried.text);
    assert.equal(retried.json.message.seq, 2);
    const reAck = await socket.timeout(10_000).emitWithAck('new_message', socketPayload);
    assert.equal(reAck.ok, true, JSON.stringify(reAck));
    assert.equal(reAck.data.seq, 3);
    // A second retry of each is answered with the stored message, not a new one.
    const again = await alice.api.post('/api/messages', restPayload);
    assert.equal(again.status, 200);
    assert.deepEqual(again.json.message, retried.json.message);
    assert.deepEqual((await socket.timeout(10_000).emitWithAck('new_message', socketPayload)).data, reAck.data);

    const stored = await history(bob, cid);
    assert.deepEqual(stored.map((m) => [m.seq, m.clientMsgId, m.body]),
      [[1, 'before', 'before'], [2, 'during-rest', 'during (REST)'], [3, 'during-socket', 'during (socket)']]);
    assert.deepEqual(stored.map((m) => m.id), [first.json.message.id, retried.json.message.id, reAck.data.id]);
  });
});
