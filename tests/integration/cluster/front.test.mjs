// Cluster front (docs/deploy-cluster.md): three `parley serve` nodes with
// identical flags on one PostgreSQL and one Redis, behind the nginx that
// scripts/nginx-server.sh writes. Node ids come from leases, tokens from a
// shared secret, and Engine.IO sessions are routed by the route tag in their sid.
//
// The cluster comes from lib/cluster.mjs (skipped without PARLEY_TEST_POSTGRES_URL,
// redis-server or nginx).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Api, newClientMsgId, registerUser } from '../lib/api.mjs';
import { connect, nextEvent, sleep, waitFor } from '../lib/chat.mjs';
import { Cluster, clusterUnavailable } from '../lib/cluster.mjs';

const skip = clusterUnavailable();

// The node id inside a snowflake id (common/ids.hpp: 12 sequence bits below 10 node bits).
const nodeOf = (id) => Number((BigInt(id) >> 12n) & 1023n);
// The route tag of an Engine.IO sid: what nginx routes on.
const routeOf = (sid) => sid.slice(0, sid.indexOf('.'));

describe('cluster front: three nodes behind nginx', { skip }, () => {
  let cluster;
  let nodes;
  let url;  // nginx
  const sockets = [];

  const open = async (token, options = {}) => {
    const s = await connect(url, token, options);
    sockets.push(s);
    return s;
  };

  before(async () => {
    // Started all at once: what "identical flags" must survive (the leases race).
    cluster = await new Cluster({ nodes: 3, nginx: true, together: true, nodeArgs: ['--rate-limit', 'off'] }).start();
    nodes = cluster.nodes;
    url = cluster.url;
  });

  after(async () => {
    for (const s of sockets) s.close();
    await cluster?.stop();
  });

  test('nodes started with the same flags lease distinct node ids', async () => {
    const users = await Promise.all(nodes.map((n, i) => registerUser(n.url, `lease${i}`)));
    const ids = users.map((u) => nodeOf(u.user.id));
    assert.equal(new Set(ids).size, 3, `node ids of users made on each node: ${ids}`);
  });

  test('a configured node id held by a live node is refused with a clear error', async () => {
    const held = nodeOf((await registerUser(nodes[0].url, 'held')).user.id);
    const node = cluster.extraNode(['--node-id', String(held)]);
    await assert.rejects(node.start(), new RegExp(`--node-id ${held} is held by a live node`));
    assert.equal((await node.exited).code, 1);
  });

  test('a token issued by node 1 is accepted by node 3 and through nginx', async () => {
    const alice = await registerUser(nodes[0].url, 'token');
    for (const base of [nodes[2].url, url]) {
      const me = await new Api(base, alice.token).get('/api/auth/me');
      assert.equal(me.status, 200, `${base}: ${me.text}`);
      assert.equal(me.json.user.id, alice.user.id);
    }
    const s = await connect(nodes[2].url, alice.token, { transports: ['websocket'] });
    s.close();
  });

  test('long-polling-only clients through nginx: many round trips, never "Session ID unknown"', { timeout: 120_000 }, async () => {
    const alice = await registerUser(url, 'pollA');
    const bob = await registerUser(url, 'pollB');
    const directId = (await alice.api.post('/api/conversations', { type: 'direct', memberIds: [bob.user.id] })).json.conversation.id;
    const clients = [];
    for (let i = 0; i < 6; i++) clients.push(await open((i % 2 ? bob : alice).token, { transports: ['polling'] }));
    const routes = new Set(clients.map((s) => routeOf(s.io.engine.id)));
    assert.ok(routes.size >= 2, `handshakes spread over nodes: ${[...routes]}`);
    const disconnects = [];
    clients.forEach((s, i) => s.on('disconnect', (reason) => disconnects.push(`${i}: ${reason}`)));

    const bobs = clients.filter((_, i) => i % 2);
    for (let round = 0; round < 40; round++) {
      const sender = clients[(round * 2) % 6];  // alice's sockets, in turn
      const body = `poll round ${round}`;
      const seen = bobs.map((b) => nextEvent(b, 'new_message', (m) => m.body === body, 10_000));
      const ack = await sender.timeout(10_000).emitWithAck('new_message', { conversationId: directId, body, clientMsgId: newClientMsgId() });
      assert.equal(ack.ok, true, JSON.stringify(ack));
      await Promise.all(seen);
    }
    assert.deepEqual(disconnects, []);
    for (const s of clients) assert.equal(s.io.engine.transport.name, 'polling');
    const log = readFileSync(cluster.nginxAccessLog, 'utf8').split('\n').filter((l) => l.includes('/socket.io/'));
    assert.ok(log.length > 100, `polling requests went through nginx: ${log.length}`);
    const refused = log.filter((l) => / (400|502) /.test(l));
    assert.deepEqual(refused, [], 'no polling request was refused (400 = Session ID unknown)');
  });

  test('polling upgrades to websocket through nginx', async () => {
    const carol = await registerUser(url, 'upgrade');
    const erin = await registerUser(url, 'upgrade2');
    const s = await open(carol.token);  // polling first, then the upgrade (the client's default)
    const sid = s.io.engine.id;
    await waitFor(() => s.io.engine.transport.name === 'websocket', { what: 'the upgrade', timeoutMs: 10_000 });
    const directId = (await carol.api.post('/api/conversations', { type: 'direct', memberIds: [erin.user.id] })).json.conversation.id;
    const ack = await s.timeout(5000).emitWithAck('new_message', { conversationId: directId, body: 'over ws', clientMsgId: newClientMsgId() });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    assert.equal(s.io.engine.id, sid, 'the same session, upgraded');
    // Through nginx: the polls of this session, then its websocket (101, logged
    // by nginx when it closes).
    s.close();
    const lines = () => readFileSync(cluster.nginxAccessLog, 'utf8').split('\n').filter((l) => l.includes(`sid=${sid}`));
    assert.ok(lines().some((l) => l.includes('transport=polling')), 'polled first');
    await waitFor(() => lines().some((l) => l.includes('transport=websocket') && / 101 /.test(l)),
      { what: `the websocket of ${sid} in nginx's log` });
  });

  test('after SIGKILL of the node holding a session, the client reconnects on another node', { timeout: 60_000 }, async () => {
    const dave = await registerUser(url, 'killed');
    const frank = await registerUser(url, 'killed2');
    // Polling: every request goes through the sid's route, the case that needs the routing.
    const s = await open(dave.token, { transports: ['polling'], reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 500 });
    const route = routeOf(s.io.engine.id);
    const victim = nodes.find((n) => String(n.port) === route);
    assert.ok(victim, `sid ${s.io.engine.id} names one of the nodes`);
    const reconnected = new Promise((res) => s.io.once('reconnect', res));
    const killedAt = Date.now();
    await victim.kill();
    await Promise.race([reconnected, sleep(10_000).then(() => { throw new Error('no reconnect within 10 s'); })]);
    const took = Date.now() - killedAt;
    assert.notEqual(routeOf(s.io.engine.id), route, 'the new session is on a live node');
    // The new session works: a message round trip.
    const directId = (await dave.api.post('/api/conversations', { type: 'direct', memberIds: [frank.user.id] })).json.conversation.id;
    const ack = await s.timeout(5000).emitWithAck('new_message', { conversationId: directId, body: 'still here', clientMsgId: newClientMsgId() });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    console.log(`reconnected ${took} ms after the kill`);
  });
});
