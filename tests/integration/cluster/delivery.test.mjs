// Cluster mode, delivery across nodes (issue 14): three real nodes on one
// PostgreSQL database and one Redis, the official socket.io-client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Api, registerUser } from '../lib/api.mjs';
import { connect, sleep, waitFor } from '../lib/chat.mjs';
import { Cluster, clusterUnavailable } from '../lib/cluster.mjs';
import { MemberClient, Sender, checkConversation, closeClients, history } from '../lib/cluster_clients.mjs';

const skip = clusterUnavailable();

describe('delivery across three nodes', { skip }, () => {
  let cluster;
  before(async () => { cluster = await new Cluster({ nodes: 3, nodeArgs: ['--rate-limit', 'off'] }).start(); });
  after(async () => {
    closeClients();
    await cluster?.stop();
  });

  // A group of three users registered on different nodes (a token works on every node).
  async function group(title) {
    const users = [];
    for (let i = 0; i < 3; i++) users.push(await registerUser(cluster.node(i).url, `u${i}`));
    const res = await users[0].api.post('/api/conversations',
      { type: 'group', title, memberIds: [users[1].user.id, users[2].user.id] });
    assert.equal(res.status, 201);
    return { users, cid: res.json.conversation.id };
  }

  test('each node delivers every message in seq order; every node serves the same history', async () => {
    const { users, cid } = await group('across');
    const clients = users.map((u, i) => new MemberClient(cluster.node(i).url, u, [cid]));
    await Promise.all(clients.map((c) => c.connected));
    // Every user sends on their own node at once: the seqs interleave.
    const senders = users.map((u, i) => new Sender(cluster.node(i).url, u, cid, `s${i}`).run({ count: 100 }));
    await Promise.all(senders.map((s) => s.done));
    for (const s of senders) assert.deepEqual(s.hung, []);
    await waitFor(() => clients.every((c) => c.seqs(cid).length === 300), { timeoutMs: 10_000, what: 'live delivery of 300 messages on every node' });
    const histories = [];  // as each node serves it
    for (let i = 0; i < 3; i++) {
      const all = await history(new Api(cluster.node(i).url, users[i].token), cid);
      histories.push(all.map((m) => `${m.seq}:${m.id}`));
    }
    assert.deepEqual(histories[1], histories[0]);
    assert.deepEqual(histories[2], histories[0]);
    await checkConversation(cluster, cid, senders, clients);
    for (const c of [...clients, ...senders]) c.close();
  });

  test('a catch-up on another node right after the ack has the message', async () => {
    const { users, cid } = await group('read-your-writes');
    const socket = await connect(cluster.node(0).url, users[0].token);
    const reader = new Api(cluster.node(1).url, users[1].token);
    for (let i = 0; i < 100; i++) {
      const ack = await socket.emitWithAck('new_message', { conversationId: cid, body: `m${i}`, clientMsgId: `c${i}` });
      assert.ok(ack.ok);
      const page = await reader.get(`/api/messages/${cid}?after=${ack.data.seq - 1}`);
      assert.equal(page.status, 200);
      assert.deepEqual(page.json.messages.map((m) => m.id), [ack.data.id], `message ${i} missing on the other node`);
    }
    socket.close();
  });

  test('one clientMsgId sent through two nodes at once is stored once', async () => {
    const { users, cid } = await group('idempotent');
    const a = await connect(cluster.node(0).url, users[0].token);
    const b = await connect(cluster.node(1).url, users[0].token);
    for (let i = 0; i < 20; i++) {
      const payload = { conversationId: cid, body: `same${i}`, clientMsgId: `dup-${i}` };
      const [x, y] = await Promise.all([a.emitWithAck('new_message', payload), b.emitWithAck('new_message', payload)]);
      assert.ok(x.ok && y.ok, JSON.stringify([x, y]));
      assert.equal(x.data.id, y.data.id);
      assert.equal(x.data.seq, y.data.seq);
    }
    const rows = await cluster.sql(`SELECT count(*), max(seq) FROM messages WHERE conversation_id = ${cid}`);
    assert.deepEqual(rows, [['20', '20']]);
    a.close();
    b.close();
  });

  test('8 senders on 3 nodes give seqs 1..N while a reader polling after= misses nothing', async () => {
    const { users, cid } = await group('eight');
    const senders = [];
    for (let k = 0; k < 8; k++) {
      senders.push(new Sender(cluster.node(k % 3).url, users[k % 3], cid, `e${k}`).run({ count: 60 }));
    }
    // A reader on the third node that only polls, as a client catching up would.
    const reader = new Api(cluster.node(2).url, users[2].token);
    const seen = [];
    let stop = false;
    const polling = (async () => {
      let after = 0;
      while (!stop || after < 480) {
        const page = await reader.get(`/api/messages/${cid}?after=${after}&limit=100`);
        assert.equal(page.status, 200);
        for (const m of page.json.messages) {
          assert.equal(m.seq, after + 1, `the reader got seq ${m.seq} after ${after}`);
          seen.push(m.seq);
          after = m.seq;
        }
        if (page.json.messages.length === 0) await sleep(5);
      }
    })();
    await Promise.all(senders.map((s) => s.done));
    stop = true;
    await polling;
    assert.deepEqual(seen, Array.from({ length: 480 }, (_, i) => i + 1));
    const result = await checkConversation(cluster, cid, senders, []);
    assert.equal(result.acknowledged, 480);
    for (const s of senders) s.close();
  });
});
