// Cluster mode under faults (issue 14): a node killed with SIGKILL behind nginx,
// Redis killed and restarted empty, Redis stalled with SIGSTOP, all under send
// load. Each test ends with the checker (lib/cluster_clients.mjs): acknowledged
// messages = PostgreSQL rows exactly once, seqs contiguous, each client's
// delivered set = the history.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { registerUser } from '../lib/api.mjs';
import { sleep, waitFor } from '../lib/chat.mjs';
import { Cluster, clusterUnavailable } from '../lib/cluster.mjs';
import { MemberClient, Sender, checkConversation, closeClients } from '../lib/cluster_clients.mjs';

const skip = clusterUnavailable();
const nodeArgs = ['--rate-limit', 'off'];

// Three users in one group, registered through `url`.
async function group(url, title) {
  const users = [];
  for (let i = 0; i < 3; i++) users.push(await registerUser(url, `f${i}`));
  const res = await users[0].api.post('/api/conversations',
    { type: 'group', title, memberIds: [users[1].user.id, users[2].user.id] });
  assert.equal(res.status, 201);
  return { users, cid: res.json.conversation.id };
}

const completed = (clients, cid, count) => clients.every((c) => c.seqs(cid).length === count);
// For a timeout's message: what each client lacks of 1..count, and how often it connected.
function lacking(clients, cid, count) {
  return clients.map((c) => {
    const have = new Set(c.seqs(cid));
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((seq) => !have.has(seq));
    const ranges = [];
    for (const seq of missing) {
      if (ranges.length && ranges.at(-1)[1] === seq - 1) ranges.at(-1)[1] = seq;
      else ranges.push([seq, seq]);
    }
    return `user ${c.userId}: ${c.connections} connections, missing ${ranges.map(([a, b]) => (a === b ? a : `${a}-${b}`)).join(',') || 'none'}`
      + (missing.length ? ` [${c.log.join(' | ')}]` : '');
  }).join('; ');
}
const waitComplete = (cluster, clients, cid, count, what) =>
  waitFor(() => completed(clients, cid, count), { timeoutMs: 10_000, what }).catch(async (e) => {
    throw new Error(`${e.message} (${count} stored): ${lacking(clients, cid, count)}; ${await cluster.metrics(/^parley_bus_/)}`);
  });
const totalAcked = (senders) => senders.reduce((n, s) => n + s.acked.size, 0);

describe('faults under send load', { skip }, () => {
  let cluster;
  afterEach(async () => {
    closeClients();
    await cluster?.stop();
    cluster = undefined;
  });

  test('kill -9 of a node: every acknowledged message reaches every member after reconnecting through nginx', async () => {
    cluster = await new Cluster({ nodes: 3, nginx: true, nodeArgs }).start();
    const { users, cid } = await group(cluster.url, 'kill');
    // Through nginx: new handshakes spread over the nodes, so the victim holds some of them.
    const clients = users.map((u) => new MemberClient(cluster.url, u, [cid]));
    const senders = users.map((u, i) => new Sender(cluster.url, u, cid, `k${i}`).run({ pauseMs: 5 }));
    await Promise.all(clients.map((c) => c.connected));
    await waitFor(() => totalAcked(senders) >= 150, { timeoutMs: 10_000, what: '150 acknowledged sends' });
    await cluster.node(1).kill();
    const atKill = totalAcked(senders);
    await waitFor(() => totalAcked(senders) >= atKill + 150, { timeoutMs: 15_000, what: 'sends acknowledged after the kill' });
    await Promise.all(senders.map((s) => s.stop()));
    const acked = await cluster.sql(`SELECT count(*) FROM messages WHERE conversation_id = ${cid}`);
    const stored = Number(acked[0][0]);
    // Within 10 s every client holds every stored message (live, or by catch-up after reconnecting).
    await waitComplete(cluster, clients, cid, stored, 'every member has every message');
    for (const s of senders) assert.deepEqual(s.hung, [], `${s.name}: sends without an ack on a live connection`);
    const result = await checkConversation(cluster, cid, senders, clients);
    assert.ok(result.acknowledged >= atKill + 150);
    for (const c of [...clients, ...senders]) c.close();
  });

  // Members and senders connect straight to the nodes (no nginx): their sockets
  // stay up, so what they receive is live delivery alone, repaired from
  // PostgreSQL while Redis is away.
  async function redisFault(title, fault) {
    cluster = await new Cluster({ nodes: 3, nodeArgs }).start();
    const { users, cid } = await group(cluster.node(0).url, title);
    const clients = users.map((u, i) => new MemberClient(cluster.node(i).url, u, [cid]));
    await Promise.all(clients.map((c) => c.connected));
    const senders = users.map((u, i) => new Sender(cluster.node((i + 1) % 3).url, u, cid, `${title}${i}`).run({ pauseMs: 5 }));
    await waitFor(() => totalAcked(senders) >= 100, { timeoutMs: 10_000, what: '100 acknowledged sends' });
    const before = totalAcked(senders);
    await fault(async () => {
      // Sends keep succeeding while Redis is away: they depend on PostgreSQL only.
      await waitFor(() => totalAcked(senders) >= before + 100, { timeoutMs: 10_000, what: 'sends acknowledged while Redis is away' });
    });
    const resumed = totalAcked(senders);
    await waitFor(() => totalAcked(senders) >= resumed + 100, { timeoutMs: 10_000, what: 'sends acknowledged after Redis is back' });
    await Promise.all(senders.map((s) => s.stop()));
    const stored = Number((await cluster.sql(`SELECT count(*) FROM messages WHERE conversation_id = ${cid}`))[0][0]);
    await waitComplete(cluster, clients, cid, stored, 'live delivery of every message');
    for (const c of clients) assert.equal(c.connections, 1, 'a member socket reconnected: delivery was not live');
    for (const s of senders) assert.deepEqual(s.hung, [], `${s.name}: a send hung`);
    await checkConversation(cluster, cid, senders, clients);
    for (const c of [...clients, ...senders]) c.close();
  }

  test('Redis killed and restarted empty: sends never hang, nothing is lost, delivery resumes', async () => {
    await redisFault('rkill', async (whileAway) => {
      await cluster.killRedis();
      await whileAway();
      await cluster.startRedis();
      // The nodes reconnect and resubscribe: /readyz stops saying degraded.
      await waitFor(async () => {
        const ready = await Promise.all(cluster.nodes.map((n) => fetch(`${n.url}/readyz`).then((r) => r.json())));
        return ready.every((r) => r.status === 'ready');
      }, { timeoutMs: 10_000, what: 'every node ready again' });
    });
  });

  test('Redis stalled with SIGSTOP for 15 s then continued: sends never hang, nothing is lost', async () => {
    await redisFault('rstop', async (whileAway) => {
      cluster.pauseRedis();
      const stalledAt = Date.now();
      await whileAway();
      // The nodes notice the stall and say so while it lasts.
      await waitFor(async () => {
        const ready = await Promise.all(cluster.nodes.map((n) => fetch(`${n.url}/readyz`).then((r) => r.json())));
        return ready.every((r) => r.status === 'degraded');
      }, { timeoutMs: 10_000, what: 'every node degraded during the stall' });
      await sleep(Math.max(0, 15_000 - (Date.now() - stalledAt)));
      cluster.resumeRedis();
    });
  });
});
