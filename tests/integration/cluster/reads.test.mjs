// Reads across nodes (issue 14, "caches stay correct" and "read replicas"): a
// message acknowledged by node A is in a catch-up `GET /api/messages/:id?after=`
// (and in the latest page) read from node B immediately after the ack, every
// time, whether or not the cache invalidation travelled through Redis: with
// Redis up, with Redis killed, and on a node whose history reads go to a
// streaming replica that is not replaying at all.
//
// The cluster comes from lib/cluster.mjs; node C reads from the replica of the
// test PostgreSQL server: skipped without PARLEY_TEST_POSTGRES_URL,
// PARLEY_TEST_POSTGRES_REPLICA_URL, redis-server or nginx.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { registerUser, newClientMsgId, Api } from '../lib/api.mjs';
import { Cluster, replicaUnavailable } from '../lib/cluster.mjs';

const ROUNDS = 200;
const skip = replicaUnavailable();

describe('reads across nodes', { skip }, () => {
  let cluster, a, b, c, ann, bob, conversationId;

  before(async () => {
    // C (node 2) reads history and lists from the replica; it starts once the
    // replica has the database and its schema.
    cluster = await new Cluster({ nodes: 3, replicaNodes: [2], nodeArgs: ['--rate-limit', 'off'] }).start();
    [a, b, c] = cluster.nodes;
    ann = await registerUser(a.url, 'ann');
    bob = await registerUser(a.url, 'bob');
    const created = await ann.api.post('/api/conversations', { type: 'group', memberIds: [bob.user.id], title: 'x' });
    assert.equal(created.status, 201, created.text);
    conversationId = created.json.conversation.id;
  });

  after(async () => { await cluster?.stop(); });

  // Sends on `from`, then at once reads on `to` as bob: the catch-up after the
  // previous seq and the latest page must both hold the acknowledged message.
  async function sendThenRead(from, to, rounds) {
    const reader = new Api(to.url, bob.token);
    for (let i = 0; i < rounds; i++) {
      // The page as B has it cached before the send (a later read is a cache hit).
      const latestBefore = await reader.get(`/api/messages/${conversationId}`);
      assert.equal(latestBefore.status, 200, latestBefore.text);
      const sent = await new Api(from.url, ann.token).post('/api/messages',
        { conversationId, body: `round ${i}`, clientMsgId: newClientMsgId() });
      assert.equal(sent.status, 201, sent.text);
      const { id, seq } = sent.json.message;
      const caughtUp = await reader.get(`/api/messages/${conversationId}?after=${seq - 1}`);
      assert.equal(caughtUp.status, 200, caughtUp.text);
      assert.deepEqual(caughtUp.json.messages.map((m) => m.id), [id], `round ${i}: catch-up on node ${to.name}`);
      const latest = await reader.get(`/api/messages/${conversationId}`);
      assert.equal(latest.json.messages.at(-1)?.id, id, `round ${i}: latest page on node ${to.name}`);
    }
  }

  test(`a message acknowledged on A is read on B at once (${ROUNDS} rounds)`, async () => {
    await sendThenRead(a, b, ROUNDS);
  });

  test(`the same with Redis killed: no invalidation reaches B (${ROUNDS} rounds)`, async () => {
    await cluster.killRedis();
    try {
      await sendThenRead(a, b, ROUNDS);
    } finally {
      await cluster.startRedis();
    }
  });

  test(`with --store-replica on C and replay paused, C still returns it (${ROUNDS} rounds)`, async () => {
    await cluster.waitReplayed();
    await cluster.pauseReplay();
    try {
      await sendThenRead(a, c, ROUNDS);
      // The conversation list on C: its last message is the newest acknowledged one.
      const list = await new Api(c.url, bob.token).get('/api/conversations');
      assert.equal(list.status, 200, list.text);
      const entry = list.json.conversations.find((x) => x.id === conversationId);
      assert.equal(entry.lastMessage.body, `round ${ROUNDS - 1}`);
    } finally {
      await cluster.resumeReplay();
    }
  });
});
