// Tracing (issue 17): W3C traceparent on HTTP requests, a message's trace from
// the socket event or REST call through the store commit to its fan-out, in
// the server's own log lines (stderr, text and JSON), and the slow-operation log.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ParleyServer } from './lib/server.mjs';
import { Api, registerUser, newClientMsgId } from './lib/api.mjs';
import { connect, nextEvent, waitFor } from './lib/chat.mjs';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const traceparentRe = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;
const randomHex = (n) => [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, '0')).join('');

const linesWith = (server, text) => server.stderr.split('\n').filter((l) => l.includes(text));
async function waitForLine(server, predicate, what) {
  let found;
  await waitFor(() => (found = server.stderr.split('\n').find(predicate)) !== undefined, { what });
  return found;
}

describe('tracing in text logs (debug)', () => {
  const server = new ParleyServer({ logLevel: 'debug', args: ['--rate-limit', 'off'] });
  let alice, bob, directId;
  const sockets = [];

  before(async () => {
    await server.start();
    [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => registerUser(server.url, n)));
    directId = (await alice.api.post('/api/conversations', { type: 'direct', memberIds: [bob.user.id] })).json.conversation.id;
  });
  after(async () => { for (const s of sockets) s.close(); await server.stop(); server.cleanup(); });

  test('a REST send continues the caller\'s trace: response header, access line, commit and fan-out lines', async () => {
    const body = `traced ${randomHex(4)}`;
    const res = await alice.api.post('/api/messages', { conversationId: directId, body, clientMsgId: newClientMsgId() },
      { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } });
    assert.equal(res.status, 201, res.text);
    const m = traceparentRe.exec(res.headers.get('traceparent'));
    assert.ok(m, res.headers.get('traceparent'));
    assert.equal(m[1], TRACE);
    assert.notEqual(m[2], PARENT, 'the response names this server\'s span, not the caller\'s');
    assert.equal(m[3], '01');
    const id = res.json.message.id;
    await waitForLine(server, (l) => l.includes(' access ') && l.includes('POST /api/messages 201') && l.endsWith(`trace_id=${TRACE}`), 'access line');
    const committed = await waitForLine(server, (l) => l.includes(`committed message ${id} `), 'commit line');
    assert.match(committed, / debug /);
    assert.ok(committed.endsWith(`trace_id=${TRACE}`), committed);
    const fanout = await waitForLine(server, (l) => l.includes('fan-out new_message') && l.endsWith(`trace_id=${TRACE}`), 'fan-out line');
    assert.match(fanout, / debug /);
  });

  test('an invalid traceparent starts a new trace; so does none', async () => {
    for (const header of [`00-${TRACE.toUpperCase()}-${PARENT}-01`, `00-${'0'.repeat(32)}-${PARENT}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`, `ff-${TRACE}-${PARENT}-01`, `00-${TRACE}-${PARENT}-01-extra`, undefined]) {
      const headers = header === undefined ? {} : { traceparent: header };
      const res = await alice.api.get('/api/auth/me', { headers });
      assert.equal(res.status, 200);
      const m = traceparentRe.exec(res.headers.get('traceparent'));
      assert.ok(m, `${header}: ${res.headers.get('traceparent')}`);
      assert.notEqual(m[1], TRACE, String(header));
      assert.equal(m[3], '00');
      await waitForLine(server, (l) => l.includes('GET /api/auth/me 200') && l.endsWith(`trace_id=${m[1]}`), 'access line of the new trace');
    }
    // A later version is read as version 00 (the spec's rule).
    const later = await alice.api.get('/api/auth/me', { headers: { traceparent: `01-${TRACE}-${PARENT}-01-extra` } });
    assert.equal(traceparentRe.exec(later.headers.get('traceparent'))[1], TRACE);
  });

  test('a socket new_message with a traceparent field is logged at the commit and the fan-out with its trace id', async () => {
    const a = await connect(server.url, alice.token, { transports: ['websocket'] });
    const b = await connect(server.url, bob.token, { transports: ['websocket'] });
    sockets.push(a, b);
    const trace = randomHex(16);
    const body = `socket traced ${randomHex(4)}`;
    const got = nextEvent(b, 'new_message', (msg) => msg.body === body);
    const ack = await a.emitWithAck('new_message', {
      conversationId: directId, body, clientMsgId: newClientMsgId(), traceparent: `00-${trace}-${randomHex(8)}-01`,
    });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    assert.equal((await got).id, ack.data.id);
    const received = await waitForLine(server, (l) => l.includes('new_message event') && l.endsWith(`trace_id=${trace}`), 'event line');
    assert.match(received, /continued/);
    const committed = await waitForLine(server, (l) => l.includes(`committed message ${ack.data.id} `), 'commit line');
    assert.match(committed, / debug /);
    assert.ok(committed.endsWith(`trace_id=${trace}`), committed);
    await waitForLine(server, (l) => l.includes(' debug ') && l.includes(`fan-out new_message conversation=${directId} seq=${ack.data.seq} `) && l.endsWith(`trace_id=${trace}`), 'fan-out line');
  });

  test('a socket new_message without one gets a generated trace, logged at each stage', async () => {
    const a = await connect(server.url, alice.token, { transports: ['websocket'] });
    sockets.push(a);
    const body = `socket untraced ${randomHex(4)}`;
    const ack = await a.emitWithAck('new_message', { conversationId: directId, body, clientMsgId: newClientMsgId() });
    assert.equal(ack.ok, true);
    const committed = await waitForLine(server, (l) => l.includes(`committed message ${ack.data.id} `), 'commit line');
    const trace = /trace_id=([0-9a-f]{32})$/.exec(committed)?.[1];
    assert.ok(trace, committed);
    assert.equal(linesWith(server, `trace_id=${trace}`).filter((l) => l.includes('new_message event') && l.includes('absent (started)')).length, 1);
    await waitForLine(server, (l) => l.includes(`fan-out new_message conversation=${directId} seq=${ack.data.seq} `) && l.endsWith(`trace_id=${trace}`), 'fan-out line');
    // An invalid field is not an error: the send goes on under a new trace.
    const bad = await a.emitWithAck('new_message', { conversationId: directId, body, clientMsgId: newClientMsgId(), traceparent: 'nonsense' });
    assert.equal(bad.ok, true);
    await waitForLine(server, (l) => l.includes('new_message event') && l.includes('invalid (started)'), 'invalid field line');
  });
});

describe('tracing in JSON logs and the slow-operation log', () => {
  // Real password hashing (interactive cost) makes registration take longer
  // than 1 ms on any machine: a slow request for --slow-ms 1.
  const server = new ParleyServer({ logLevel: 'info', passwordCost: 'interactive', args: ['--slow-ms', '1', '--log-format', 'json'] });
  before(async () => { await server.start(); });
  after(async () => { await server.stop(); server.cleanup(); });

  const jsonLines = () => server.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

  test('a slow request is logged once at warn with its stages and trace id; its access line carries the trace id', async () => {
    const trace = randomHex(16);
    const username = `slow${randomHex(4)}`;
    const res = await new Api(server.url).post('/api/auth/register',
      { username, email: `${username}@example.com`, password: 'correct horse', displayName: username },
      { headers: { traceparent: `00-${trace}-${randomHex(8)}-00` } });
    assert.equal(res.status, 201, res.text);
    assert.equal(traceparentRe.exec(res.headers.get('traceparent'))[1], trace);
    await waitFor(() => jsonLines().some((l) => l.logger === 'access' && l.trace_id === trace), { what: 'access line' });
    const access = jsonLines().filter((l) => l.logger === 'access' && l.trace_id === trace);
    assert.equal(access.length, 1);
    assert.match(access[0].msg, /POST \/api\/auth\/register 201/);
    const warnings = jsonLines().filter((l) => l.level === 'warning' || l.level === 'warn').filter((l) => l.trace_id === trace);
    // The request's own line, once; the store calls it made may be logged too, each under its trace.
    const slow = warnings.filter((l) => l.msg.startsWith('slow request'));
    assert.equal(slow.length, 1, JSON.stringify(warnings));
    for (const other of warnings.filter((l) => !l.msg.startsWith('slow request')))
      assert.match(other.msg, /^slow store operation: \w+ took [\d.]+ ms/);
    assert.match(slow[0].msg, /^slow request: POST \/api\/auth\/register 201 total=[\d.]+ms read=[\d.]+ms queue=[\d.]+ms handler=[\d.]+ms answer=[\d.]+ms$/);
  });
});
