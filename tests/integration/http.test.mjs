// The HTTP server's own behaviour: errors, limits, keep-alive, timeouts, health.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ParleyServer } from './lib/server.mjs';
import { Api } from './lib/api.mjs';

const server = new ParleyServer({ args: ['--header-timeout', '1', '--max-body', '65536'] });
let api;
before(async () => { await server.start(); api = new Api(server.url); });
after(async () => { await server.stop(); server.cleanup(); });

function rawExchange(payload, { waitMs = 3000 } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let data = '';
    const started = Date.now();
    // Cleared on close: a pending timer would keep the test process alive after the suite.
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (d) => (data += d));
    socket.on('close', () => { clearTimeout(timer); resolve({ data, closedAfterMs: Date.now() - started }); });
    socket.on('error', () => {});
    socket.on('connect', () => payload && socket.write(payload));
  });
}

test('healthz and readyz', async () => {
  const health = await api.get('/healthz');
  assert.equal(health.status, 200);
  assert.equal(health.json.status, 'ok');
  const ready = await api.get('/readyz');
  assert.equal(ready.status, 200);
  assert.equal(ready.json.status, 'ready');
});

test('unknown routes → 404 in the JSON error shape', async () => {
  for (const path of ['/api/nope', '/api/auth', '/api/auth/me/extra', '/api/users/1/status/x']) {
    const res = await api.get(path);
    assert.equal(res.status, 404, path);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(Object.keys(res.json), ['error']);
    assert.equal(res.json.error.code, 'not_found', path);
    assert.ok(res.json.error.message.length > 0, path);
  }
});

test('wrong method → 405 with Allow', async () => {
  const res = await api.delete('/api/auth/register');
  assert.equal(res.status, 405);
  assert.equal(res.headers.get('allow'), 'POST');
  assert.equal(res.json.error.code, 'method_not_allowed');
  const conv = await api.request('PATCH', '/api/conversations/123');
  assert.equal(conv.status, 405);
  assert.equal(conv.headers.get('allow'), 'GET, PUT');
});

test('malformed JSON → 400 invalid_json', async () => {
  for (const raw of ['{', '{"username":', 'null', '[1,2]', '"str"', '{"a":1}}', '\u0000']) {
    const res = await api.request('POST', '/api/auth/register', { raw, headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 400, raw);
    assert.equal(res.json.error.code, 'invalid_json', raw);
  }
});

test('deeply nested JSON is refused, not a crash', async () => {
  const raw = '['.repeat(20000) + ']'.repeat(20000);
  const res = await api.request('POST', '/api/auth/login', { raw: `{"a":${raw}}`, headers: { 'content-type': 'application/json' } });
  assert.equal(res.status, 400);
  assert.equal((await api.get('/healthz')).status, 200);
});

test('wrong content type → 415', async () => {
  const body = JSON.stringify({ username: 'zed', email: 'zed@example.com', password: 'secret-pass' });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
    const headers = type ? { 'content-type': type } : {};
    const res = await api.request('POST', '/api/auth/register', { raw: body, headers });
    assert.equal(res.status, 415, String(type));
    assert.equal(res.json.error.code, 'unsupported_media_type');
  }
  const ok = await api.request('POST', '/api/auth/register', { raw: body, headers: { 'content-type': 'Application/JSON; charset=utf-8' } });
  assert.equal(ok.status, 201);
});

test('an oversized body → 413 and nothing stored', async () => {
  const big = JSON.stringify({ username: 'huge', email: 'huge@example.com', password: 'x'.repeat(70000) });
  const res = await api.request('POST', '/api/auth/register', { raw: big, headers: { 'content-type': 'application/json' } });
  assert.equal(res.status, 413);
  assert.equal(res.json.error.code, 'payload_too_large');
  const login = await api.post('/api/auth/login', { username: 'huge', password: 'x' });
  assert.equal(login.status, 401);
});

test('keep-alive: several requests on one connection', async () => {
  const one = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
  const { data } = await rawExchange(one + one + one, { waitMs: 500 });
  assert.equal(data.match(/HTTP\/1.1 200 OK/g)?.length, 3);
});

test('a client that dribbles its headers is cut off', async () => {
  const result = await new Promise((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1');
    const started = Date.now();
    let timer;
    socket.on('connect', () => {
      socket.write('GET /healthz HTTP/1.1\r\n');
      timer = setInterval(() => socket.write('X-Slow: a\r\n'), 200);
    });
    const limit = setTimeout(() => { clearInterval(timer); socket.destroy(); resolve(Infinity); }, 8000);
    socket.on('error', () => {});
    socket.on('close', () => { clearInterval(timer); clearTimeout(limit); resolve(Date.now() - started); });
  });
  assert.ok(result < 4000, `connection closed after ${result} ms (header timeout is 1 s)`);
});

test('garbage instead of HTTP → 400 and close', async () => {
  const { data } = await rawExchange('\x16\x03\x01 not http at all\r\n\r\n', { waitMs: 2000 });
  assert.match(data, /^HTTP\/1.1 400/);
});

test('huge headers → 431', async () => {
  const { data } = await rawExchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`, { waitMs: 2000 });
  assert.match(data, /^HTTP\/1.1 431/);
});

test('bad percent-encoding in the path → 400', async () => {
  const { data } = await rawExchange('GET /api/users/%zz/status HTTP/1.1\r\nHost: x\r\n\r\n', { waitMs: 1000 });
  assert.match(data, /^HTTP\/1.1 400/);
});

test('the server survives all of the above', async () => {
  assert.equal((await api.get('/healthz')).status, 200);
});

test('/metrics serves Prometheus text that counts requests', async () => {
  const scrape = async () => {
    const res = await api.get('/metrics');
    assert.equal(res.status, 200);
    const value = (re) => Number(re.exec(res.text)[1]);
    return { res, ok: value(/^parley_http_requests_total\{code="2xx"\} (\d+)$/m), notFound: value(/^parley_http_requests_total\{code="4xx"\} (\d+)$/m) };
  };
  const first = await scrape();
  assert.match(first.res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  assert.match(first.res.text, /# TYPE parley_http_requests_total counter/);
  assert.match(first.res.text, /^parley_http_request_duration_seconds_count \d+$/m);
  for (let i = 0; i < 3; i++) assert.equal((await api.get('/healthz')).status, 200);
  assert.equal((await api.get('/api/nope')).status, 404);
  const second = await scrape();
  // Between two scrapes: the three health checks and one scrape (counted either
  // before or after it renders, the same way each time), and the one 404.
  assert.equal(second.ok - first.ok, 4);
  assert.equal(second.notFound - first.notFound, 1);
});

test('/metrics shows the store: group commits, their time, the write queue', async () => {
  const scrape = async () => {
    const res = await api.get('/metrics');
    assert.match(res.text, /# TYPE parley_store_write_transactions_total counter/);
    assert.match(res.text, /# TYPE parley_realtime_frames_sent_total counter/);
    const value = (name) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(res.text)[1]);
    return {
      transactions: value('parley_store_write_transactions_total'), jobs: value('parley_store_write_jobs_total'),
      commitSeconds: value('parley_store_commit_seconds_total'), queued: value('parley_store_queued_writes'),
    };
  };
  const before = await scrape();
  // One registration is one write, committed alone: nothing else writes meanwhile.
  const who = `metrics${Date.now()}`;
  const reg = await api.post('/api/auth/register', { username: who, email: `${who}@example.com`, password: 'a-long-password' });
  assert.equal(reg.status, 201);
  const after = await scrape();
  assert.equal(after.transactions - before.transactions, 1);
  assert.equal(after.jobs - before.jobs, 1);
  assert.ok(after.commitSeconds > before.commitSeconds, 'the commit took some time');
  assert.equal(after.queued, 0);
});
