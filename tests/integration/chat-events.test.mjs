// The seed's real-time events over Socket.IO against `parley serve` (issue 5),
// with the official socket.io-client.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { ParleyServer } from './lib/server.mjs';
import { registerUser, newClientMsgId } from './lib/api.mjs';
import { connect, nextEvent, record, sleep, waitFor } from './lib/chat.mjs';

describe('chat events', () => {
  const server = new ParleyServer({ args: ['--typing-timeout', '1s', '--presence-grace', '1s', '--rate-limit', 'off'] });
  let alice, bob, carol, dave, directId, groupId;
  const sockets = [];
  const open = async (user, options) => { const s = await connect(server.url, user.token, options); sockets.push(s); return s; };

  before(async () => {
    await server.start();
    [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => registerUser(server.url, n)));
    directId = (await alice.api.post('/api/conversations', { type: 'direct', memberIds: [bob.user.id] })).json.conversation.id;
    groupId = (await alice.api.post('/api/conversations', { type: 'group', memberIds: [bob.user.id, carol.user.id], title: 'Trio' })).json.conversation.id;
  });
  after(async () => { for (const s of sockets) s.close(); await server.stop(); server.cleanup(); });

  test('unauthorized connects are refused with CONNECT_ERROR {message: "unauthorized"}', async () => {
    for (const auth of [{}, { token: 'garbage' }, { token: 42 }, { token: `${alice.token}x` }]) {
      await assert.rejects(connect(server.url, undefined, { auth }), (e) => e.message === 'unauthorized', JSON.stringify(auth));
    }
  });

  test('a user may hold many connections; messages reach all of them, joined or not', async () => {
    const b1 = await open(bob);
    const b2 = await open(bob, { transports: ['polling'] });
    const a = await open(alice, { transports: ['websocket'] });
    const got1 = nextEvent(b1, 'new_message', (m) => m.body === 'to both devices');
    const got2 = nextEvent(b2, 'new_message', (m) => m.body === 'to both devices');
    const ack = await a.emitWithAck('new_message', { conversationId: directId, body: 'to both devices', clientMsgId: newClientMsgId() });
    assert.equal(ack.ok, true);
    assert.equal(ack.data.body, 'to both devices');
    assert.equal((await got1).id, ack.data.id);
    assert.equal((await got2).id, ack.data.id);
  });

  test('join_conversation: members only; bad payloads answered', async () => {
    const d = await open(dave);
    const refused = await d.emitWithAck('join_conversation', { conversationId: groupId });
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, 'not_found');
    const bad = await d.emitWithAck('join_conversation', { nope: 1 });
    assert.equal(bad.ok, false);
    assert.equal(bad.error.code, 'invalid_payload');
    const c = await open(carol);
    const joined = await c.emitWithAck('join_conversation', { conversationId: groupId });
    assert.deepEqual(joined, { ok: true, data: { conversationId: groupId } });
    const unknown = await c.emitWithAck('no_such_event', {});
    assert.equal(unknown.error.code, 'unknown_event');
  });

  test('typing and stop_typing reach the joined connections except the typist; typing expires', async () => {
    const a = await open(alice);
    const b = await open(bob);
    const c = await open(carol);
    for (const s of [a, b]) assert.equal((await s.emitWithAck('join_conversation', { conversationId: groupId })).ok, true);
    const carolSaw = record(c);  // carol is a member but did not join: no typing for her
    const aliceSaw = record(a);
    const typing = nextEvent(b, 'typing', (p) => p.conversationId === groupId);
    assert.equal((await a.emitWithAck('typing', { conversationId: groupId })).ok, true);
    assert.deepEqual(await typing, { conversationId: groupId, userId: alice.user.id });
    const stopped = nextEvent(b, 'stop_typing', (p) => p.conversationId === groupId);
    await a.emitWithAck('stop_typing', { conversationId: groupId });
    assert.deepEqual(await stopped, { conversationId: groupId, userId: alice.user.id });
    // Expiry: typing without stop_typing lapses after --typing-timeout (1 s here).
    const t0 = Date.now();
    const expired = nextEvent(b, 'stop_typing', (p) => p.userId === alice.user.id, 4000);
    await a.emitWithAck('typing', { conversationId: groupId });
    await expired;
    const waited = Date.now() - t0;
    assert.ok(waited >= 900 && waited < 3000, `expired after ${waited} ms`);
    await sleep(100);
    assert.equal(carolSaw.typing, undefined);
    assert.equal(aliceSaw.typing, undefined, 'the typist does not hear herself');
    const notJoined = await c.emitWithAck('typing', { conversationId: groupId });
    assert.equal(notJoined.error.code, 'not_joined');
  });

  test('read receipts go to joined members only', async () => {
    const a = await open(alice);
    const b = await open(bob);
    const c = await open(carol);
    await a.emitWithAck('join_conversation', { conversationId: groupId });
    await b.emitWithAck('join_conversation', { conversationId: groupId });
    const carolSaw = record(c);
    const sent = await a.emitWithAck('new_message', { conversationId: groupId, body: 'read me', clientMsgId: newClientMsgId() });
    const receipt = nextEvent(a, 'message_read', (p) => p.userId === bob.user.id && p.seq === sent.data.seq);
    const ack = await b.emitWithAck('message_read', { conversationId: groupId, messageId: sent.data.id });
    assert.equal(ack.ok, true);
    assert.equal(ack.data.lastReadSeq, sent.data.seq);
    assert.deepEqual(await receipt, { conversationId: groupId, userId: bob.user.id, seq: sent.data.seq });
    // The REST route emits the same event.
    const viaRest = nextEvent(a, 'message_read', (p) => p.userId === carol.user.id);
    assert.equal((await carol.api.put(`/api/messages/${sent.data.id}/read`, {})).status, 200);
    assert.equal((await viaRest).seq, sent.data.seq);
    await sleep(100);
    assert.equal(carolSaw.message_read, undefined, 'carol never joined the room');
    assert.ok(carolSaw.new_message?.some((m) => m.id === sent.data.id), 'but she got the message');
  });

  test('deletions and conversation changes reach every member; a new member learns of the conversation', async () => {
    const a = await open(alice);
    const c = await open(carol);
    const d = await open(dave);
    const sent = (await bob.api.post('/api/messages', { conversationId: groupId, body: 'oops', clientMsgId: newClientMsgId() })).json.message;
    const deleted = nextEvent(a, 'message_deleted', (m) => m.id === sent.id);
    const answer = await bob.api.delete(`/api/messages/${sent.id}`);
    assert.equal(answer.status, 200);
    const tomb = await deleted;
    assert.deepEqual(tomb, answer.json.message, 'the event carries the tombstone the REST answer shows');
    assert.deepEqual({ ...tomb, deletedAt: null, changeSeq: sent.changeSeq }, { ...sent, body: '' });
    assert.ok(tomb.changeSeq > sent.changeSeq, 'a deletion takes a new changeSeq');
    assert.notEqual(tomb.deletedAt, null);
    const renamed = nextEvent(c, 'conversation_updated', (conv) => conv.id === groupId && conv.title === 'Quartet');
    const added = nextEvent(d, 'conversation_updated', (conv) => conv.id === groupId);
    assert.equal((await alice.api.put(`/api/conversations/${groupId}`, { title: 'Quartet', addMemberIds: [dave.user.id] })).status, 200);
    const memberIds = [alice, bob, carol, dave].map((u) => u.user.id).sort();
    assert.deepEqual((await renamed).members.map((m) => m.id).sort(), memberIds);
    const told = await added;
    assert.equal(told.title, 'Quartet');
    assert.deepEqual(told.members.map((m) => m.id).sort(), memberIds);
    // Removed: told, and their connections leave the room.
    assert.equal((await d.emitWithAck('join_conversation', { conversationId: groupId })).ok, true);
    const removed = nextEvent(d, 'conversation_updated', (conv) => conv.id === groupId && !conv.members.some((m) => m.id === dave.user.id));
    assert.equal((await alice.api.put(`/api/conversations/${groupId}`, { removeMemberIds: [dave.user.id] })).status, 200);
    await removed;
    const daveSaw = record(d);
    await a.emitWithAck('join_conversation', { conversationId: groupId });
    await a.emitWithAck('typing', { conversationId: groupId });
    await a.emitWithAck('new_message', { conversationId: groupId, body: 'dave is gone', clientMsgId: newClientMsgId() });
    await sleep(200);
    assert.equal(daveSaw.typing, undefined);
    assert.equal(daveSaw.new_message, undefined);
    assert.equal((await d.emitWithAck('typing', { conversationId: groupId })).error.code, 'not_joined');
  });

  test('a retried send with the same clientMsgId is stored and broadcast once', async () => {
    const a = await open(alice);
    const b = await open(bob);
    const seen = record(b);
    const clientMsgId = newClientMsgId();
    const first = await a.emitWithAck('new_message', { conversationId: directId, body: 'once', clientMsgId });
    const again = await a.emitWithAck('new_message', { conversationId: directId, body: 'once', clientMsgId });
    assert.deepEqual(again.data, first.data);
    await sleep(200);
    assert.equal(seen.new_message.filter((m) => m.clientMsgId === clientMsgId).length, 1);
  });

  test('every connection receives messages in seq order, with concurrent senders on REST and socket', async () => {
    const senders = await Promise.all([alice, bob, carol].map((u) => open(u, { transports: ['websocket'] })));
    const receivers = await Promise.all([open(alice), open(bob, { transports: ['polling'] }), open(carol)]);
    const seen = receivers.map(() => []);
    receivers.forEach((r, i) => r.on('new_message', (m) => { if (m.conversationId === groupId) seen[i].push(m.seq); }));
    const sends = [];
    for (let i = 0; i < 100; i++) {
      senders.forEach((s, k) => sends.push(s.emitWithAck('new_message', { conversationId: groupId, body: `o${k}-${i}`, clientMsgId: newClientMsgId() })));
      if (i % 10 === 0) sends.push(carol.api.post('/api/messages', { conversationId: groupId, body: `rest-${i}`, clientMsgId: newClientMsgId() }));
    }
    const results = await Promise.all(sends);
    const total = results.length;
    const ackedSeqs = results.map((r) => (r.ok === true ? r.data.seq : r.json.message.seq)).sort((x, y) => x - y);
    assert.deepEqual(ackedSeqs, Array.from({ length: total }, (_, i) => ackedSeqs[0] + i), 'gapless seqs');
    await waitFor(() => seen.every((list) => list.length >= total), { timeoutMs: 10000, what: 'every delivery' });
    await sleep(100);
    // Each connection got every message once, in seq order.
    for (const list of seen) assert.deepEqual(list, ackedSeqs);
  });

  test('bad message payloads are refused and change nothing', async () => {
    const a = await open(alice);
    const lastSeq = async (cid) => (await alice.api.get(`/api/conversations/${cid}`)).json.conversation.lastSeq;
    const before = [await lastSeq(directId), await lastSeq(groupId)];
    for (const payload of [{ conversationId: directId, body: '', clientMsgId: 'x' }, { conversationId: directId, body: 'x'.repeat(4001), clientMsgId: 'y' },
      { conversationId: directId, clientMsgId: 'z' }, 'just a string', null, { conversationId: groupId + '1', body: 'x', clientMsgId: 'w' }]) {
      const ack = await a.emitWithAck('new_message', payload);
      assert.equal(ack.ok, false, JSON.stringify(payload)?.slice(0, 60));
    }
    assert.deepEqual([await lastSeq(directId), await lastSeq(groupId)], before);
  });

  test('presence: online while connected, offline after the grace period, for users sharing a conversation', async () => {
    const a = await open(alice);
    const e = await registerUser(server.url, 'erin');
    await e.api.post('/api/conversations', { type: 'direct', memberIds: [alice.user.id] });
    const online = nextEvent(a, 'user_status', (p) => p.userId === e.user.id && p.online);
    const es = await connect(server.url, e.token);
    await online;
    assert.equal((await alice.api.get(`/api/users/${e.user.id}/status`)).json.online, true);
    const offline = nextEvent(a, 'user_status', (p) => p.userId === e.user.id && !p.online, 5000);
    const closedAt = Date.now();
    es.close();
    const status = await offline;
    assert.ok(Date.now() - closedAt >= 900, 'not before the grace period');
    // Last seen when the connection closed, not when the grace period ended.
    const seen = Date.parse(status.lastSeenAt);
    assert.ok(seen >= closedAt - 50 && seen < closedAt + 900, `lastSeenAt ${status.lastSeenAt}, closed at ${new Date(closedAt).toISOString()}`);
    const rest = (await alice.api.get(`/api/users/${e.user.id}/status`)).json;
    assert.deepEqual(rest, { userId: e.user.id, online: false, lastSeenAt: status.lastSeenAt });
  });

  test('a reconnect within the grace period does not flap', async () => {
    const a = await open(alice);
    const f = await registerUser(server.url, 'frank');
    await f.api.post('/api/conversations', { type: 'direct', memberIds: [alice.user.id] });
    const seen = [];
    a.on('user_status', (p) => { if (p.userId === f.user.id) seen.push(p.online); });
    const s1 = await connect(server.url, f.token);
    await waitFor(() => seen.length === 1, { what: 'online' });
    s1.close();
    await sleep(200);
    const s2 = await connect(server.url, f.token);
    await sleep(1500);
    assert.deepEqual(seen, [true]);
    s2.close();
  });
});

describe('no loss across disconnects', () => {
  const server = new ParleyServer({ args: ['--rate-limit', 'off'] });
  before(() => server.start());
  after(async () => { await server.stop(); server.cleanup(); });

  test('100 disconnect/reconnect cycles while another user sends: every message once, in order, after catch-up', async () => {
    const a = await registerUser(server.url, 'sender');
    const b = await registerUser(server.url, 'flaky');
    const cid = (await a.api.post('/api/conversations', { type: 'direct', memberIds: [b.user.id] })).json.conversation.id;
    const sender = await connect(server.url, a.token);
    let sending = true;
    let acked = 0;
    const pump = (async () => {
      while (sending) {
        const ack = await sender.emitWithAck('new_message', { conversationId: cid, body: `m${acked + 1}`, clientMsgId: newClientMsgId() });
        assert.equal(ack.ok, true);
        acked += 1;
      }
    })();
    const have = new Map();  // seq → message, as the client would keep it
    let lastSeq = 0;
    const take = (m, live) => {
      if (live) assert.ok(m.seq > lastSeq || have.has(m.seq), `live event out of order: ${m.seq} after ${lastSeq}`);
      have.set(m.seq, m);
      lastSeq = Math.max(lastSeq, m.seq);
    };
    for (let cycle = 0; cycle < 100; cycle++) {
      const transports = cycle % 3 === 0 ? ['polling'] : ['websocket'];
      const s = await connect(server.url, b.token, { transports });
      let liveMax = 0;
      s.on('new_message', (m) => {
        assert.ok(m.seq > liveMax, `connection saw seq ${m.seq} after ${liveMax}`);
        liveMax = m.seq;
        take(m, true);
      });
      // Catch up on what was missed while away.
      for (;;) {
        const page = await b.api.get(`/api/messages/${cid}?after=${lastSeq}&limit=100`);
        assert.equal(page.status, 200);
        for (const m of page.json.messages) take(m, false);
        if (page.json.nextCursor === null) break;
      }
      await sleep(5 + (cycle % 4) * 5);
      s.close();
    }
    sending = false;
    await pump;
    // Final catch-up after the sender stopped.
    for (;;) {
      const page = await b.api.get(`/api/messages/${cid}?after=${lastSeq}&limit=100`);
      for (const m of page.json.messages) take(m, false);
      if (page.json.nextCursor === null) break;
    }
    sender.close();
    assert.ok(acked > 100, `only ${acked} messages were sent`);
    const seqs = [...have.keys()].sort((x, y) => x - y);
    assert.equal(seqs.length, acked, 'every acknowledged message, exactly once');
    assert.deepEqual(seqs, Array.from({ length: acked }, (_, i) => i + 1));
    for (const [seq, m] of have) assert.equal(m.body, `m${seq}`);
  });
});

describe('restarts and slow clients', () => {
  test('the server restarted in the middle of sending keeps every acknowledged message', async () => {
    const server = new ParleyServer({ args: ['--rate-limit', 'off'] });
    await server.start();
    try {
      const a = await registerUser(server.url, 'writer');
      const b = await registerUser(server.url, 'reader');
      const cid = (await a.api.post('/api/conversations', { type: 'direct', memberIds: [b.user.id] })).json.conversation.id;
      const s = await connect(server.url, a.token, { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 200 });
      const acknowledged = new Set();
      let stop = false;
      const writers = Array.from({ length: 4 }, (_, w) => (async () => {
        let i = 0;
        while (!stop) {
          const clientMsgId = `w${w}-${i++}`;
          try {
            const ack = await s.timeout(2000).emitWithAck('new_message', { conversationId: cid, body: clientMsgId, clientMsgId });
            if (ack.ok) acknowledged.add(ack.data.id);
          } catch { await sleep(20); }  // no ack (the server went away): not acknowledged, may or may not be stored
        }
      })());
      await waitFor(() => acknowledged.size >= 50, { timeoutMs: 10000, what: '50 acks' });
      assert.equal((await server.restart()).port, server.port);
      const before = acknowledged.size;
      await waitFor(() => acknowledged.size >= before + 50, { timeoutMs: 15000, what: 'acks after the restart' });
      stop = true;
      await Promise.all(writers);
      s.close();
      const stored = new Set();
      const seqs = [];
      const bodies = new Set();
      let after = 0;
      for (;;) {
        const page = await a.api.get(`/api/messages/${cid}?after=${after}&limit=100`);
        for (const m of page.json.messages) {
          stored.add(m.id);
          seqs.push(m.seq);
          assert.ok(!bodies.has(m.clientMsgId), `${m.clientMsgId} stored twice`);
          bodies.add(m.clientMsgId);
          after = m.seq;
        }
        if (page.json.nextCursor === null) break;
      }
      for (const id of acknowledged) assert.ok(stored.has(id), `acknowledged message ${id} is missing`);
      // Sends without an ack may or may not be stored, but the seqs stay gapless.
      assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1));
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  test('a client that never reads is cut off while the others keep receiving', async () => {
    const server = new ParleyServer({ args: ['--rate-limit', 'off', '--send-queue', '262144'] });
    await server.start();
    try {
      const a = await registerUser(server.url, 'flood');
      const b = await registerUser(server.url, 'good');
      const z = await registerUser(server.url, 'stuck');
      const cid = (await a.api.post('/api/conversations', { type: 'group', memberIds: [b.user.id, z.user.id], title: 'Flood' })).json.conversation.id;
      // The stuck client: a raw Engine.IO websocket that authenticates, then stops reading.
      const stuck = new WebSocket(`${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
      let stuckClosed = false;
      await new Promise((resolve, reject) => {
        stuck.on('message', (data) => {
          const text = data.toString();
          if (text.startsWith('0')) stuck.send(`40${JSON.stringify({ token: z.token })}`);
          if (text.startsWith('40')) resolve();
          if (text.startsWith('44')) reject(new Error(text));
        });
        stuck.on('error', () => {});
      });
      stuck.on('close', () => { stuckClosed = true; });
      stuck._socket.pause();  // never read again
      const good = await connect(server.url, b.token);
      let received = 0;
      good.on('new_message', () => { received += 1; });
      const sender = await connect(server.url, a.token);
      const body = 'x'.repeat(3900);
      const total = 3000;
      for (let i = 0; i < total; i += 25) {
        await Promise.all(Array.from({ length: 25 }, (_, j) =>
          sender.emitWithAck('new_message', { conversationId: cid, body, clientMsgId: `f${i + j}` })));
      }
      await waitFor(() => received === total, { timeoutMs: 20000, what: `all ${total} messages at the reading client (got ${received})` });
      const metrics = (await fetch(`${server.url}/metrics`).then((r) => r.text()));
      const cut = Number(/parley_realtime_slow_consumer_disconnects_total (\d+)/.exec(metrics)[1]);
      assert.equal(cut, 1, 'the stuck client was disconnected and counted');
      stuck._socket.resume();
      await waitFor(() => stuckClosed, { timeoutMs: 5000, what: 'the stuck connection to close' });
      good.close();
      sender.close();
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});
