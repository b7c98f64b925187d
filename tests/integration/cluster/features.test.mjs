// Conversation features across the nodes of a cluster (docs/features.md): edits,
// reactions and deletions made on one node reach sockets on another through
// Redis, and a change whose event Redis lost is repaired by the changedAfter
// catch-up, which reads PostgreSQL on whichever node is asked. Two `parley serve`
// nodes on one database and one Redis (lib/cluster.mjs; skipped without
// PARLEY_TEST_POSTGRES_URL, redis-server or nginx).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Api, registerUser } from '../lib/api.mjs';
import { connect, nextEvent, waitFor } from '../lib/chat.mjs';
import { Cluster, clusterUnavailable } from '../lib/cluster.mjs';
import { group, sent, edit, react, remove, history, search } from '../lib/features.mjs';

const skip = clusterUnavailable();
// The same user, speaking to another node.
const at = (node, user) => ({ ...user, api: new Api(node.url, user.token) });

describe('conversation features across two nodes', { skip }, () => {
  let cluster, a, b;
  const sockets = [];
  const open = async (node, user) => { const s = await connect(node.url, user.token); sockets.push(s); return s; };

  before(async () => {
    cluster = await new Cluster({ nodes: 2, nodeArgs: ['--rate-limit', 'off'] }).start();
    [a, b] = cluster.nodes;
  });
  after(async () => {
    for (const s of sockets) s.close();
    await cluster?.stop();
  });

  test('an edit, a reaction and a deletion on one node reach the members\' sockets on the other', async () => {
    const alice = await registerUser(a.url, 'alice');
    const bob = await registerUser(a.url, 'bob');
    const cid = (await group(alice, [bob], 'Across')).json.conversation.id;
    const bobAtB = await open(b, bob);
    const aliceAtA = await open(a, alice);
    const got = nextEvent(bobAtB, 'new_message', (m) => m.conversationId === cid);
    const m = await sent(alice, cid, 'across the nodes');
    assert.deepEqual(await got, m);
    const updated = nextEvent(bobAtB, 'message_updated', (x) => x.id === m.id);
    const e = (await edit(alice, m.id, 'across the nodes, edited')).json.message;
    assert.deepEqual(await updated, e);
    // Bob reacts on node b; alice hears of it on node a.
    const reacted = nextEvent(aliceAtA, 'reaction_updated', (x) => x.messageId === m.id);
    const r = await react(at(b, bob), m.id, '👍');
    assert.equal(r.status, 200);
    assert.deepEqual(await reacted, r.json);
    assert.equal(r.json.changeSeq, e.changeSeq + 1, 'one change sequence for the conversation, whichever node');
    const deleted = nextEvent(bobAtB, 'message_deleted', (x) => x.id === m.id);
    const tomb = (await remove(alice, m.id)).json.message;
    assert.deepEqual(await deleted, tomb);
    // Both nodes read the same state: changedAfter at once, the history once its cache is voided.
    for (const node of [a, b]) {
      const page = await new Api(node.url, bob.token).get(`/api/messages/${cid}?changedAfter=0`);
      assert.deepEqual(page.json, { messages: [tomb], nextCursor: null });
      await waitFor(async () => JSON.stringify(await history(at(node, bob), cid)) === JSON.stringify([tomb]),
        { what: `the history on node ${node.name}` });
    }
  });

  test('search on one node finds what was sent and edited on the other', async () => {
    const alice = await registerUser(a.url, 'alice');
    const bob = await registerUser(b.url, 'bob');
    const cid = (await group(alice, [bob], 'Found')).json.conversation.id;
    const m = await sent(alice, cid, 'zebracrossing on node a');
    const res = await search(at(b, bob), { q: 'zebracross' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.results.map((x) => x.message.id), [m.id]);
    await edit(at(b, alice), m.id, 'giraffecrossing, edited on node b');
    assert.deepEqual((await search(bob, { q: 'zebracross' })).json.results, []);
    assert.deepEqual((await search(alice, { q: 'giraffe' })).json.results.map((x) => x.message.id), [m.id]);
  });

  test('while Redis is away the events are lost, the changes are not: changedAfter on the other node returns them', async () => {
    const alice = await registerUser(a.url, 'alice');
    const bob = await registerUser(a.url, 'bob');
    const cid = (await group(alice, [bob], 'Repair')).json.conversation.id;
    const kept = await sent(alice, cid, 'before the outage');
    const doomed = await sent(alice, cid, 'deleted during the outage');
    const C = doomed.changeSeq;
    const bobAtB = await open(b, bob);
    await cluster.killRedis();
    try {
      // Every change commits on node a (PostgreSQL alone decides); its event has no way to node b.
      const e = (await edit(alice, kept.id, 'edited during the outage')).json.message;
      const r = (await react(alice, kept.id, '🔥')).json;
      const tomb = (await remove(alice, doomed.id)).json.message;
      const fresh = await sent(alice, cid, 'sent during the outage', { replyToId: kept.id });
      assert.ok(e && r.changeSeq && tomb && fresh, 'the changes were accepted');
      // Node b answers the catch-up from PostgreSQL at once.
      const page = await at(b, bob).api.get(`/api/messages/${cid}?changedAfter=${C}`);
      assert.equal(page.status, 200, page.text);
      assert.deepEqual(page.json.messages.map((x) => [x.id, x.changeSeq]),
        [[doomed.id, tomb.changeSeq], [kept.id, r.changeSeq], [fresh.id, fresh.changeSeq]].sort((x, y) => x[1] - y[1]));
      const k = page.json.messages.find((x) => x.id === kept.id);
      assert.equal(k.body, 'edited during the outage');
      assert.deepEqual(k.reactions, [{ emoji: '🔥', count: 1, userIds: [alice.user.id] }]);
      assert.equal(page.json.messages.find((x) => x.id === doomed.id).deletedAt !== null, true);
      assert.equal(page.json.messages.find((x) => x.id === fresh.id).replyTo.body, 'edited during the outage');
    } finally {
      await cluster.startRedis();
    }
    await waitFor(async () => {
      const ready = await Promise.all(cluster.nodes.map((n) => fetch(`${n.url}/readyz`).then((res) => res.json())));
      return ready.every((x) => x.status === 'ready');
    }, { timeoutMs: 10_000, what: 'every node ready again' });
    // Events flow again once Redis is back.
    const updated = nextEvent(bobAtB, 'message_updated', (x) => x.id === kept.id && x.body === 'after the outage', 10_000);
    await edit(alice, kept.id, 'after the outage');
    await updated;
  });
});
