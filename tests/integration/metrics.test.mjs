// The chat metrics of /metrics count what happened, exactly (issue 17): sends
// accepted by transport with their ack latency, events delivered per recipient
// socket, connected sockets and users, refusals by reason, auth failures. Each
// test reads the counters before and after its own traffic.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Api, newClientMsgId, registerUser } from './lib/api.mjs';
import { connect, nextEvent, waitFor } from './lib/chat.mjs';
import { ParleyServer } from './lib/server.mjs';

async function scrape(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (series) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    assert.ok(line, `no ${series} in /metrics`);
    return Number(line.slice(series.length + 1));
  };
  return { text, value };
}

describe('chat metrics', () => {
  // Burst of 3 sends, then 1 a second: the 4th quick send is refused.
  const server = new ParleyServer({ args: ['--rate-limit', '3,1'] });
  let alice, bob, cid;
  const sockets = [];

  before(async () => {
    await server.start();
    alice = await registerUser(server.url, 'alice');
    bob = await registerUser(server.url, 'bob');
    cid = (await alice.api.post('/api/conversations', { type: 'group', title: 'm', memberIds: [bob.user.id] })).json.conversation.id;
  });
  after(async () => { for (const s of sockets) s.close(); await server.stop(); server.cleanup(); });

  test('connected sockets and distinct users', async () => {
    const before = await scrape(server.url);
    assert.equal(before.value('parley_connected_sockets'), 0);
    assert.equal(before.value('parley_connected_users'), 0);
    // Bob twice, Alice once: three sockets, two users.
    for (const user of [bob, bob, alice]) sockets.push(await connect(server.url, user.token));
    await waitFor(async () => (await scrape(server.url)).value('parley_connected_sockets') === 3, { what: '3 sockets' });
    assert.equal((await scrape(server.url)).value('parley_connected_users'), 2);
  });

  test('a socket send and a REST send: accepted by transport, ack timed, new_message delivered per recipient socket', async () => {
    const [bob1, bob2, a] = sockets;
    const before = await scrape(server.url);
    const heard = Promise.all([bob1, bob2, a].map((s) => nextEvent(s, 'new_message', (m) => m.body === 'over the socket')));
    const ack = await a.emitWithAck('new_message', { conversationId: cid, body: 'over the socket', clientMsgId: newClientMsgId() });
    assert.equal(ack.ok, true);
    await heard;
    const restHeard = nextEvent(bob1, 'new_message', (m) => m.body === 'over rest');
    assert.equal((await alice.api.post('/api/messages', { conversationId: cid, body: 'over rest', clientMsgId: newClientMsgId() })).status, 201);
    await restHeard;
    // The delivery is counted on the IO thread after the frames are queued: it may trail the client by a moment.
    await waitFor(async () => (await scrape(server.url)).value('parley_events_delivered_total{event="new_message"}')
      - before.value('parley_events_delivered_total{event="new_message"}') === 6, { what: '6 new_message deliveries' });
    const now = await scrape(server.url);
    const delta = (series) => now.value(series) - before.value(series);
    assert.equal(delta('parley_messages_accepted_total{transport="socket"}'), 1);
    assert.equal(delta('parley_messages_accepted_total{transport="rest"}'), 1);
    assert.equal(delta('parley_message_ack_seconds_count{transport="socket"}'), 1);
    assert.equal(delta('parley_message_ack_seconds_count{transport="rest"}'), 1);
    assert.ok(delta('parley_message_ack_seconds_sum{transport="socket"}') > 0);
    // Two messages, each to the three sockets on one IO thread or more: at least one observation each.
    assert.ok(delta('parley_message_delivery_seconds_count') >= 2, now.text);
  });

  test('refusals by reason and authentication failures, over REST and the socket', async () => {
    const a = sockets[2];
    const before = await scrape(server.url);
    assert.equal((await new Api(server.url, 'not-a-token').get('/api/conversations')).status, 401);
    assert.equal((await new Api(server.url).post('/api/auth/login', { username: alice.user.username, password: 'wrong password' })).status, 401);
    assert.equal((await alice.api.get('/api/conversations/12345')).status, 404);
    await assert.rejects(connect(server.url, 'not-a-token'));
    assert.equal((await a.emitWithAck('new_message', { nope: true })).error.code, 'invalid_payload');
    // The burst is 3 and two sends of the test before used it: the 2nd or 3rd of these is refused.
    let limited = 0;
    for (let i = 0; i < 3; i++) {
      const r = await a.emitWithAck('new_message', { conversationId: cid, body: `burst ${i}`, clientMsgId: newClientMsgId() });
      if (!r.ok && r.error.code === 'rate_limited') limited += 1;
    }
    assert.ok(limited >= 1);
    const now = await scrape(server.url);
    const delta = (series) => now.value(series) - before.value(series);
    assert.equal(delta('parley_auth_failures_total{transport="rest"}'), 2);
    assert.equal(delta('parley_auth_failures_total{transport="socket"}'), 1);
    assert.equal(delta('parley_requests_refused_total{transport="rest",reason="unauthorized"}'), 2);
    assert.equal(delta('parley_requests_refused_total{transport="rest",reason="not_found"}'), 1);
    assert.equal(delta('parley_requests_refused_total{transport="socket",reason="unauthorized"}'), 1);
    assert.equal(delta('parley_requests_refused_total{transport="socket",reason="bad_request"}'), 1);
    assert.equal(delta('parley_requests_refused_total{transport="socket",reason="rate_limited"}'), limited);
  });

  test('process metrics and the build', async () => {
    const { value, text } = await scrape(server.url);
    assert.ok(value('process_resident_memory_bytes') > 1e6);
    assert.ok(value('process_open_fds') >= 3);
    assert.ok(value('process_max_fds') > value('process_open_fds'));
    assert.ok(Math.abs(value('process_start_time_seconds') - Date.now() / 1000) < 3600);
    assert.match(text, /^parley_build_info\{version="[^"]+"\} 1$/m);
    assert.match(text, /^parley_event_loop_lag_seconds_count\{thread="0"\} \d+$/m);
  });
});
