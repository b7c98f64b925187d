// The notification webhook (issue 16; docs/features.md "Notifications",
// docs/operations.md "Notifications"): a node HTTP receiver on a random port
// checks every request's signature and timestamp as a real receiver would.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ParleyServer } from './lib/server.mjs';
import { registerUser, newClientMsgId } from './lib/api.mjs';
import { connect, sleep, waitFor } from './lib/chat.mjs';

const SECRET = 'a-webhook-secret-of-enough-length';

// Verifies as docs/operations.md tells a receiver to.
function verify(headers, raw) {
  const timestamp = headers['x-parley-timestamp'] ?? '';
  const expected = Buffer.from('sha256=' + createHmac('sha256', SECRET).update(`${timestamp}.`).update(raw).digest('hex'));
  const given = Buffer.from(headers['x-parley-signature'] ?? '');
  const signed = given.length === expected.length && timingSafeEqual(given, expected);
  const fresh = /^\d+$/.test(timestamp) && Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
  return { signed, fresh };
}

// Records every request; `answer(request)` decides: a status, or null to never answer.
class Receiver {
  constructor() {
    this.requests = [];
    this.held = [];
    this.answer = () => 200;
    this.server = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        let json;
        try { json = JSON.parse(raw.toString('utf8')); } catch { json = undefined; }
        const request = { method: req.method, url: req.url, headers: req.headers, raw, json, ...verify(req.headers, raw) };
        this.requests.push(request);
        const status = this.answer(request);
        if (status === null) { this.held.push(res); return; }
        request.status = status;
        res.writeHead(status).end();
      });
    });
  }
  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${this.server.address().port}/hooks/parley`;
  }
  forMessage(id) { return this.requests.filter((r) => r.json?.message?.id === id); }
  async stop() {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function metric(url, series) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line, `no ${series} in /metrics`);
  return Number(line.split(' ')[1]);
}

describe('notification webhook', () => {
  const receiver = new Receiver();
  let server, alice, bob, carol, groupId, directBob, directCarol;
  const sockets = [];

  const send = async (user, conversationId, body) => {
    const res = await user.api.post('/api/messages', { conversationId, body, clientMsgId: newClientMsgId() });
    assert.equal(res.status, 201, res.text);
    return res.json.message;
  };
  // A message notified to bob alone, sent after `earlier`: the sender's one
  // thread posts in order, so once it arrived, an earlier notification would have.
  const barrier = async (label) => {
    const m = await send(alice, directBob, `barrier ${label}`);
    await waitFor(() => receiver.forMessage(m.id).some((r) => r.status === 200), { timeoutMs: 15_000, what: `barrier ${label}` });
  };

  before(async () => {
    const url = await receiver.start();
    server = new ParleyServer({
      args: ['--rate-limit', 'off', '--presence-grace', '1s', '--notify-webhook', url, '--notify-secret', SECRET],
      logLevel: 'info',
    });
    await server.start();
    [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => registerUser(server.url, n)));
    groupId = (await alice.api.post('/api/conversations', { type: 'group', memberIds: [bob.user.id, carol.user.id], title: 'Trio' })).json.conversation.id;
    directBob = (await alice.api.post('/api/conversations', { type: 'direct', memberIds: [bob.user.id] })).json.conversation.id;
    directCarol = (await alice.api.post('/api/conversations', { type: 'direct', memberIds: [carol.user.id] })).json.conversation.id;
    // carol is online (a socket); bob never connects; alice only uses REST.
    sockets.push(await connect(server.url, carol.token));
  });

  after(async () => {
    for (const s of sockets) s.close();
    // With a request still hanging at the receiver: the server must stop cleanly.
    const status = await server.stop();
    server.cleanup();
    await receiver.stop();
    assert.deepEqual(status, { code: 0, signal: null });
  });

  test('the start-up log names the webhook without the secret', () => {
    assert.match(server.stderr + server.stdout, /notifications: webhook http:\/\/127\.0\.0\.1:\d+\/hooks\/parley/);
    assert.ok(!(server.stderr + server.stdout).includes(SECRET));
  });

  test('a message to an offline member arrives once, signed, with its recipients', async () => {
    const m = await send(alice, groupId, `hello @${bob.user.username} and carol`);
    await waitFor(() => receiver.forMessage(m.id).length > 0, { timeoutMs: 15_000, what: 'the notification' });
    await barrier('once');
    const got = receiver.forMessage(m.id);
    assert.equal(got.length, 1, 'delivered once');
    const [r] = got;
    assert.equal(r.method, 'POST');
    assert.equal(r.url, '/hooks/parley');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.ok(r.signed, 'X-Parley-Signature verifies');
    assert.ok(r.fresh, 'X-Parley-Timestamp is now');
    assert.equal(r.json.type, 'message');
    assert.equal(r.headers['x-parley-delivery'], r.json.id);
    assert.ok(!Number.isNaN(Date.parse(r.json.createdAt)));
    assert.deepEqual(r.json.conversation, { id: groupId, type: 'group', title: 'Trio' });
    assert.equal(r.json.message.id, m.id);
    assert.equal(r.json.message.body, m.body);
    assert.equal(r.json.message.senderId, alice.user.id);
    assert.equal(r.json.message.seq, m.seq);
    // carol is online, alice is the sender: bob alone, and he is mentioned.
    assert.deepEqual(r.json.recipients, [{ userId: bob.user.id, mentioned: true }]);
  });

  test('a message whose recipients are all online notifies nobody', async () => {
    const m = await send(alice, directCarol, 'carol is here');
    await barrier('online');
    assert.equal(receiver.forMessage(m.id).length, 0);
  });

  test('a muted conversation is not notified; unmuted, it is again', async () => {
    const muted = await bob.api.put(`/api/conversations/${groupId}/mute`, { muted: true });
    assert.equal(muted.status, 200, muted.text);
    const m = await send(alice, groupId, 'nobody hears this');
    await barrier('muted');
    assert.equal(receiver.forMessage(m.id).length, 0);

    assert.equal((await bob.api.put(`/api/conversations/${groupId}/mute`, { muted: false })).status, 200);
    const again = await send(alice, groupId, 'bob hears this');
    await waitFor(() => receiver.forMessage(again.id).length > 0, { timeoutMs: 15_000, what: 'the notification after unmute' });
    assert.deepEqual(receiver.forMessage(again.id)[0].json.recipients, [{ userId: bob.user.id, mentioned: false }]);
  });

  test('a receiver answering 500 twice gets the notification on the third attempt, same delivery id', async () => {
    const failedBefore = await metric(server.url, 'parley_notify_failed_total');
    let failures = 0;
    receiver.answer = (r) => (r.json?.message?.body === 'retry me' && failures++ < 2 ? 500 : 200);
    const m = await send(alice, directBob, 'retry me');
    // 1 s then 2 s of backoff.
    await waitFor(() => receiver.forMessage(m.id).some((r) => r.status === 200), { timeoutMs: 20_000, what: 'the third attempt' });
    receiver.answer = () => 200;
    const got = receiver.forMessage(m.id);
    assert.deepEqual(got.map((r) => r.status), [500, 500, 200]);
    assert.equal(new Set(got.map((r) => r.headers['x-parley-delivery'])).size, 1);
    assert.ok(got.every((r) => r.signed && r.fresh));
    assert.equal(await metric(server.url, 'parley_notify_failed_total'), failedBefore + 2);
    assert.ok(await metric(server.url, 'parley_notify_sent_total') >= 4);
  });

  test('a receiver that never answers does not hold up sends', async () => {
    receiver.answer = () => null;
    const alicesSocket = await connect(server.url, alice.token);
    sockets.push(alicesSocket);
    for (let i = 0; i < 30; i += 1) {
      const m = await send(alice, directBob, `into the void ${i}`);
      assert.equal(m.body, `into the void ${i}`);
      const ack = await alicesSocket.timeout(10_000).emitWithAck('new_message', { conversationId: groupId, body: `socket ${i}`, clientMsgId: newClientMsgId() });
      assert.equal(ack.ok, true, JSON.stringify(ack));
    }
    // One request hangs at the receiver; the others wait in the queue.
    await waitFor(async () => (await metric(server.url, 'parley_notify_queue_depth')) > 0, { what: 'a queue' });
    assert.ok(receiver.held.length >= 1);
    await sleep(100);
  });
});
