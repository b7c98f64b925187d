// Cluster mode, tracing (issue 17): a message sent on one node is logged at
// its fan-out on every node under the sender's trace id (the Redis bus carries
// it). Debug logging on every node of this suite's own process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { registerUser, newClientMsgId } from '../lib/api.mjs';
import { connect, nextEvent, waitFor } from '../lib/chat.mjs';
import { Cluster, clusterUnavailable } from '../lib/cluster.mjs';

const skip = clusterUnavailable();
const randomHex = (n) => [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, '0')).join('');

describe('a trace across nodes', { skip }, () => {
  let cluster;
  const sockets = [];
  before(async () => {
    // The harness takes the nodes' log level from here (this test file runs in its own process).
    process.env.PARLEY_TEST_LOG_LEVEL = 'debug';
    cluster = await new Cluster({ nodes: 2, nodeArgs: ['--rate-limit', 'off'] }).start();
  });
  after(async () => {
    for (const s of sockets) s.close();
    await cluster?.stop();
  });

  test('the fan-out line of each node names the trace given with the socket event', async () => {
    const alice = await registerUser(cluster.node(0).url, 'alice');
    const bob = await registerUser(cluster.node(1).url, 'bob');
    const cid = (await alice.api.post('/api/conversations', { type: 'direct', memberIds: [bob.user.id] })).json.conversation.id;
    // Node 1 caches the member list (a history read): a delivery whose list it does not hold is
    // read again from the store by a catch-up repair, which has no trace (docs/operations.md).
    assert.equal((await bob.api.get(`/api/messages/${cid}`)).status, 200);
    const a = await connect(cluster.node(0).url, alice.token, { transports: ['websocket'] });
    const b = await connect(cluster.node(1).url, bob.token, { transports: ['websocket'] });
    sockets.push(a, b);
    const trace = randomHex(16);
    const body = `across ${randomHex(4)}`;
    const got = nextEvent(b, 'new_message', (m) => m.body === body, 10_000);
    const ack = await a.emitWithAck('new_message', { conversationId: cid, body, clientMsgId: newClientMsgId(),
      traceparent: `00-${trace}-${randomHex(8)}-01` });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    assert.equal((await got).id, ack.data.id);
    const fanout = (node) => node.stderr.split('\n').some((l) => l.includes(' debug ')
      && l.includes(`fan-out new_message conversation=${cid} seq=${ack.data.seq} `) && l.endsWith(`trace_id=${trace}`));
    await waitFor(() => fanout(cluster.node(0)) && fanout(cluster.node(1)), { what: 'a fan-out line on both nodes' })
      .catch((e) => { throw new Error(`${e.message}: ${cluster.nodes.map((n) => n.stderr.split('\n').filter((l) => l.includes('fan-out') || l.includes(trace)).join('\n')).join('\n---\n')}`); });
    assert.ok(cluster.node(0).stderr.split('\n').some((l) => l.includes(`committed message ${ack.data.id} `) && l.endsWith(`trace_id=${trace}`)));
  });
});
