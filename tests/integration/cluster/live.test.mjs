// Presence, typing and rate limits across the nodes of a cluster: two `parley serve
// --bus redis://...` nodes sharing one PostgreSQL database and one Redis
// (docs/cluster-presence.md), from lib/cluster.mjs (skipped without
// PARLEY_TEST_POSTGRES_URL, redis-server or nginx).
//
// The nodes run with a 1 s presence grace, a 1 s typing timeout and a send limit of
// 5 messages with a slow refill, so that a burst meets exactly the single limit.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Api, registerUser, newClientMsgId } from '../lib/api.mjs';
import { connect, nextEvent, sleep, waitFor } from '../lib/chat.mjs';
import { Cluster, clusterUnavailable } from '../lib/cluster.mjs';

const skip = clusterUnavailable();
const BURST = 5;
const GRACE_MS = 1000;
const TYPING_MS = 1000;

const on = (node, user) => new Api(node.url, user.token);
const isOnline = async (node, viewer, user) => (await on(node, viewer).get(`/api/users/${user.user.id}/status`)).json.online;

// Every user_status a socket hears about `userId`, as a list of `online` values.
function statusLog(socket, userId) {
  const seen = [];
  socket.on('user_status', (p) => { if (p.userId === userId) seen.push(p); });
  return seen;
}

describe('presence, typing and rate limits across three nodes', { skip }, () => {
  let cluster;
  let a;
  let b;
  let c;
  const sockets = [];
  const onlineOnBoth = (viewer, user) => waitFor(async () => (await isOnline(a, viewer, user)) && (await isOnline(b, viewer, user)),
    { what: 'online per GET /api/users/:id/status on both nodes', timeoutMs: 2000 });
  const open = async (node, user) => {
    const s = await connect(node.url, user.token);
    sockets.push(s);
    return s;
  };

  before(async () => {
    cluster = await new Cluster({ nodes: 3, nodeArgs: ['--presence-grace', `${GRACE_MS}ms`,
      '--typing-timeout', `${TYPING_MS}ms`, '--rate-limit', `${BURST},0.01`] }).start();
    [a, b, c] = cluster.nodes;
  });

  after(async () => {
    for (const s of sockets) s.close();
    await cluster?.stop();
  });

  test('online on every node while connected to one; offline announced once on the other after the grace', async () => {
    const alice = await registerUser(a.url, 'alice');
    const erin = await registerUser(a.url, 'erin');
    assert.equal((await erin.api.post('/api/conversations', { type: 'direct', memberIds: [alice.user.id] })).status, 201);
    const atB = await open(b, alice);
    const seen = statusLog(atB, erin.user.id);

    const es = await open(a, erin);
    await waitFor(() => seen.length === 1, { what: 'online on node B', timeoutMs: 5000 });
    assert.equal(seen[0].online, true);
    // The event comes over the bus; the status endpoint reads the node's mirror of the
    // online set, which follows within about one presence tick.
    await onlineOnBoth(alice, erin);

    // A second connection, on the other node: no new announcement; closing the first changes nothing.
    const es2 = await open(b, erin);
    es.close();
    await sleep(GRACE_MS + 1000);
    assert.deepEqual(seen.map((p) => p.online), [true]);
    assert.equal((await on(a, alice).get(`/api/users/${erin.user.id}/status`)).json.online, true);

    const closedAt = Date.now();
    es2.close();
    await waitFor(() => seen.length === 2, { what: 'offline on node B', timeoutMs: 6000 });
    assert.equal(seen[1].online, false);
    assert.ok(Date.now() - closedAt >= GRACE_MS - 100, 'not before the grace period');
    await sleep(1500);  // a second announcement (from the other node) would have come by now
    assert.deepEqual(seen.map((p) => p.online), [true, false]);
    const statuses = [];
    for (const node of [a, b, c]) statuses.push((await on(node, alice).get(`/api/users/${erin.user.id}/status`)).json);
    assert.equal(statuses[0].online, false);
    assert.deepEqual(statuses[1], statuses[0], 'node B agrees');
    assert.deepEqual(statuses[2], statuses[0], 'node C agrees');
    const lastSeen = Date.parse(seen[1].lastSeenAt);
    assert.ok(lastSeen >= closedAt - 100 && lastSeen < closedAt + GRACE_MS, `lastSeenAt ${seen[1].lastSeenAt}`);
  });

  test('typing from node A is seen on node B and expires after the timeout; a stop through another node ends it', async () => {
    const alice = await registerUser(a.url, 'alice');
    const bob = await registerUser(a.url, 'bob');
    const res = await alice.api.post('/api/conversations', { type: 'group', memberIds: [bob.user.id], title: 'typing' });
    const cid = res.json.conversation.id;
    const a1 = await open(a, alice);
    const a2 = await open(b, alice);
    const bs = await open(b, bob);
    for (const s of [a1, a2, bs]) assert.equal((await s.emitWithAck('join_conversation', { conversationId: cid })).ok, true);
    const events = [];
    bs.on('typing', (p) => { if (p.conversationId === cid) events.push(['typing', Date.now()]); });
    bs.on('stop_typing', (p) => { if (p.conversationId === cid) events.push(['stop', Date.now()]); });

    // Typing through A, never stopped: B hears typing, then stop_typing once after the timeout.
    const typedAt = Date.now();
    assert.equal((await a1.emitWithAck('typing', { conversationId: cid })).ok, true);
    await waitFor(() => events.length === 2, { what: 'typing then stop_typing on node B', timeoutMs: 5000 });
    assert.deepEqual(events.map((e) => e[0]), ['typing', 'stop']);
    assert.ok(events[1][1] - typedAt >= TYPING_MS - 100, 'stop_typing not before the timeout');
    await sleep(TYPING_MS + 500);
    assert.equal(events.length, 2, 'stop_typing once');

    // Typing through alice's connection on A, stopped through her connection on B.
    events.length = 0;
    await a1.emitWithAck('typing', { conversationId: cid });
    await waitFor(() => events.length === 1, { what: 'typing', timeoutMs: 3000 });
    const stoppedAt = Date.now();
    await a2.emitWithAck('stop_typing', { conversationId: cid });
    await waitFor(() => events.length === 2, { what: 'stop_typing through the other node', timeoutMs: 3000 });
    assert.equal(events[1][0], 'stop');
    assert.ok(events[1][1] - stoppedAt < TYPING_MS, 'ended by the stop, not by the timeout');
    await sleep(TYPING_MS + 500);
    assert.equal(events.length, 2, 'stop_typing once');
  });

  test('a send limit spread over three nodes refuses at the single limit', async () => {
    const alice = await registerUser(a.url, 'alice');
    const bob = await registerUser(a.url, 'bob');
    const cid = (await alice.api.post('/api/conversations', { type: 'direct', memberIds: [bob.user.id] })).json.conversation.id;
    const nodes = [a, b, c];
    const theirs = [await open(a, alice), await open(b, alice), await open(c, alice)];
    const results = [];
    // Socket sends and REST sends in turn, each through the next node.
    for (let i = 0; i < 3 * BURST; i += 1) {
      const k = i % 3;
      if (Math.floor(i / 3) % 2 === 0) {
        results.push((await theirs[k].emitWithAck('new_message', { conversationId: cid, body: `m${i}`, clientMsgId: newClientMsgId() })).ok);
      } else {
        const res = await on(nodes[k], alice).post('/api/messages', { conversationId: cid, body: `m${i}`, clientMsgId: newClientMsgId() });
        assert.ok(res.status === 201 || res.status === 429, `${res.status} ${res.text}`);
        results.push(res.status === 201);
      }
    }
    assert.equal(results.filter(Boolean).length, BURST, `accepted: ${JSON.stringify(results)}`);
    const history = (await on(b, alice).get(`/api/messages/${cid}?limit=100`)).json.messages;
    assert.equal(history.length, BURST);
    const metrics = (await new Api(a.url).get('/metrics')).text;
    assert.match(metrics, /parley_rate_limit_redis_decisions_total [1-9]/);
    assert.match(metrics, /parley_rate_limit_fallbacks_total 0\b/);
    assert.match(metrics, /parley_presence_redis_connected 1\b/);
  });

  test('Redis killed, then restarted empty: sends go on with per-node limits, presence registers again', async () => {
    const alice = await registerUser(a.url, 'alice');
    const gina = await registerUser(a.url, 'gina');
    const cid = (await gina.api.post('/api/conversations', { type: 'direct', memberIds: [alice.user.id] })).json.conversation.id;
    const atB = await open(b, alice);
    const seen = statusLog(atB, gina.user.id);
    const gs = await open(a, gina);
    await waitFor(() => seen.length === 1, { what: 'online on node B', timeoutMs: 5000 });
    await onlineOnBoth(alice, gina);

    await cluster.killRedis();
    const results = [];
    for (let i = 0; i < 4 * BURST; i += 1) {
      const res = await on(i % 2 === 0 ? a : b, gina).post('/api/messages', { conversationId: cid, body: `m${i}`, clientMsgId: newClientMsgId() });
      assert.ok(res.status === 201 || res.status === 429, `${res.status} ${res.text}`);
      results.push(res.status === 201);
    }
    // Each node's own bucket: the limit once per node.
    assert.equal(results.filter(Boolean).length, 2 * BURST, `accepted: ${JSON.stringify(results)}`);
    assert.equal((await on(b, alice).get(`/api/users/${gina.user.id}/status`)).json.online, true, 'the last view is kept');
    const metrics = (await new Api(a.url).get('/metrics')).text;
    assert.match(metrics, /parley_rate_limit_fallbacks_total [1-9]/);

    await cluster.startRedis();  // same port, empty
    // Every node: presence registered again, and its bus back, since B hears the
    // offline through the bus of whichever node decides it (a node whose bus is
    // still reconnecting leaves the decision to the others).
    const registeredAgain = async (node) => {
      const text = (await new Api(node.url).get('/metrics')).text;
      return /parley_presence_redis_connected 1\b/.test(text) && !/parley_presence_registrations_total 1\b/.test(text)
        && /parley_bus_redis_connected 1\b/.test(text);
    };
    await waitFor(async () => (await registeredAgain(a)) && (await registeredAgain(b)) && (await registeredAgain(c)),
      { what: 'registered again', timeoutMs: 10_000 });
    await waitFor(async () => (await on(b, alice).get(`/api/users/${gina.user.id}/status`)).json.online, { what: 'online again', timeoutMs: 3000 });

    const offlineBefore = seen.filter((p) => !p.online).length;
    gs.close();
    await waitFor(() => seen.filter((p) => !p.online).length === offlineBefore + 1, { what: 'offline on node B', timeoutMs: 6000 });
    await sleep(1500);
    assert.equal(seen.filter((p) => !p.online).length, offlineBefore + 1, 'offline once');
  });

  // Last: it kills node A.
  test('kill -9 of the node holding the last connection: offline announced once by the survivor, typing ends', async () => {
    const alice = await registerUser(a.url, 'alice');
    const frank = await registerUser(a.url, 'frank');
    const cid = (await frank.api.post('/api/conversations', { type: 'direct', memberIds: [alice.user.id] })).json.conversation.id;
    const atB = await open(b, alice);
    const seen = statusLog(atB, frank.user.id);
    const fs = await open(a, frank);
    await waitFor(() => seen.length === 1, { what: 'online on node B', timeoutMs: 5000 });
    for (const s of [atB, fs]) assert.equal((await s.emitWithAck('join_conversation', { conversationId: cid })).ok, true);
    const typing = nextEvent(atB, 'typing', (p) => p.conversationId === cid);
    await fs.emitWithAck('typing', { conversationId: cid });
    await typing;

    // Frank is typing when his node dies: node B ends it after the timeout.
    const stopped = nextEvent(atB, 'stop_typing', (p) => p.conversationId === cid, TYPING_MS + 3000);
    const offline = nextEvent(atB, 'user_status', (p) => p.userId === frank.user.id && !p.online, 20_000);
    await a.kill();
    fs.close();
    await stopped;
    await offline;
    await sleep(2000);
    assert.deepEqual(seen.map((p) => p.online), [true, false]);
    assert.equal((await on(b, alice).get(`/api/users/${frank.user.id}/status`)).json.online, false);
    // One survivor reaped the dead node, whichever noticed first.
    let reaped = 0;
    for (const node of [b, c]) {
      const metrics = (await new Api(node.url).get('/metrics')).text;
      reaped += Number(/parley_presence_nodes_reaped_total (\d+)/.exec(metrics)?.[1] ?? 0);
    }
    assert.equal(reaped, 1, 'the dead node was reaped once');
  });
});
