// The process: flags, start-up errors, restarts, ports, graceful shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, statSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ParleyServer, runParley, tempDir } from './lib/server.mjs';
import { onPostgres, sqliteFileOnly } from './lib/store.mjs';
import { Api } from './lib/api.mjs';

test('--help and version', async () => {
  const help = await runParley(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /serve/);
  const serveHelp = await runParley(['serve', '--help']);
  assert.equal(serveHelp.code, 0);
  for (const flag of ['--listen', '--data-dir', '--threads', '--jwt-secret', '--token-ttl', '--log-level', '--log-format'])
    assert.match(serveHelp.stdout, new RegExp(flag));
  assert.match(serveHelp.stdout, /PARLEY_LISTEN/);
  const version = await runParley(['version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^parley \d+\.\d+\.\d+/);
});

test('a bad flag: one line on stderr, non-zero exit', async () => {
  for (const args of [['serve', '--no-such-flag'], ['serve', '--listen', 'nonsense'], ['serve', '--threads', 'many'],
    ['serve', '--token-ttl', '-5'], ['serve', '--log-format', 'xml'], ['frobnicate']]) {
    const res = await runParley(args);
    assert.notEqual(res.code, 0, args.join(' '));
    assert.equal(res.stderr.trim().split('\n').length, 1, `${args.join(' ')}: ${res.stderr}`);
  }
});

test('PARLEY_* variables configure serve; flags win', async () => {
  const dataDir = tempDir();
  const server = new ParleyServer({ dataDir, env: { PARLEY_TOKEN_TTL: '1', PARLEY_LOG_FORMAT: 'json', PARLEY_LOG_LEVEL: 'info' } });
  // The harness passes --log-level warn, which wins over the variable.
  await server.start();
  const api = new Api(server.url);
  const res = await api.post('/api/auth/register', { username: 'envy', email: 'envy@example.com', password: 'secret-pass' });
  const claims = JSON.parse(Buffer.from(res.json.token.split('.')[1], 'base64url'));
  assert.equal(claims.exp - claims.iat, 1, 'PARLEY_TOKEN_TTL applies');
  assert.equal((await server.stop()).code, 0);
  rmSync(dataDir, { recursive: true, force: true });
});

test('an unwritable data dir: one clear line, non-zero exit', async () => {
  const parent = tempDir();
  const dir = join(parent, 'ro');
  mkdirSync(dir);
  chmodSync(dir, 0o500);
  // Root ignores permission bits, so also try a path under a regular file.
  writeFileSync(join(parent, 'file'), 'x');
  for (const dataDir of [join(parent, 'file', 'sub'), ...(process.getuid() === 0 ? [] : [dir])]) {
    const res = await runParley(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir]);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /data dir/);
    assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
  }
  rmSync(parent, { recursive: true, force: true });
});

test('the JWT secret is generated once, mode 0600, and kept', async () => {
  // On PostgreSQL the secret is shared by every node through the database
  // (docs/deploy-cluster.md), not kept in the data dir: only the restart part applies.
  const server = new ParleyServer();
  await server.start();
  const file = join(server.dataDir, 'jwt-secret');
  assert.equal(existsSync(file), !onPostgres);
  const secret = onPostgres ? null : readFileSync(file, 'utf8');
  if (!onPostgres) assert.equal(statSync(file).mode & 0o777, 0o600);
  const api = new Api(server.url);
  const { json } = await api.post('/api/auth/register', { username: 'sam', email: 'sam@example.com', password: 'secret-pass' });
  await server.restart();
  if (!onPostgres) assert.equal(readFileSync(file, 'utf8'), secret);
  const me = await new Api(server.url).get('/api/auth/me', { token: json.token });
  assert.equal(me.status, 200, 'a token survives a restart');
  await server.stop();
  server.cleanup();
});

test('accounts survive a restart', async () => {
  const server = new ParleyServer();
  await server.start();
  let api = new Api(server.url);
  const reg = await api.post('/api/auth/register', { username: 'tom', email: 'tom@example.com', password: 'tom-password' });
  assert.equal(reg.status, 201);
  assert.equal((await server.stop()).code, 0, 'SIGTERM exits 0');
  await server.start();
  api = new Api(server.url);
  const login = await api.post('/api/auth/login', { username: 'tom', password: 'tom-password' });
  assert.equal(login.status, 200);
  assert.equal(login.json.user.id, reg.json.user.id);
  const dup = await api.post('/api/auth/register', { username: 'tom', email: 'tom2@example.com', password: 'tom-password' });
  assert.equal(dup.status, 409);
  await server.stop();
  server.cleanup();
});

test('two servers refuse to share one port', async () => {
  const first = new ParleyServer();
  await first.start();
  const dataDir = tempDir();
  const res = await runParley(['serve', '--listen', `127.0.0.1:${first.port}`, '--data-dir', dataDir]);
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /in use/);
  assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
  assert.equal((await new Api(first.url).get('/healthz')).status, 200, 'the first one still serves');
  await first.stop();
  first.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

test('SIGINT and SIGTERM shut down gracefully with exit 0, finishing in-flight requests', async () => {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    const server = new ParleyServer();
    await server.start();
    const api = new Api(server.url);
    // Registration with real work in flight while the signal arrives.
    // The catch is attached at once: a connection refused before the stop below
    // returns must not count as an unhandled rejection.
    const inflight = api
      .post('/api/auth/register', { username: `sig${signal.toLowerCase()}`, email: `${signal}@example.com`, password: 'secret-pass' })
      .catch((e) => ({ status: 'error', e }));
    await new Promise((r) => setTimeout(r, 5));
    const status = await server.stop({ signal });
    assert.equal(status.code, 0, `${signal}: ${server.stderr}`);
    const res = await inflight;
    // Either it completed (201) or the signal came before the request reached the server.
    assert.ok(res.status === 201 || res.status === 'error', String(res.status));
    server.cleanup();
  }
});

test('a database from a newer version is refused, untouched',
  { skip: sqliteFileOnly('it writes PRAGMA user_version into parley.db') }, async () => {
  const server = new ParleyServer();
  await server.start();
  await server.stop();
  const db = join(server.dataDir, 'parley.db');
  const { execFileSync } = await import('node:child_process');
  execFileSync('sqlite3', [db, 'PRAGMA user_version = 9999;']);
  const before = readFileSync(db);
  const res = await runParley(['serve', '--listen', '127.0.0.1:0', '--data-dir', server.dataDir]);
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /newer|version/i);
  assert.deepEqual(readFileSync(db), before);
  server.cleanup();
});

test('a corrupt database file is refused, untouched',
  { skip: sqliteFileOnly('it writes garbage into parley.db') }, async () => {
  const dataDir = tempDir();
  const db = join(dataDir, 'parley.db');
  writeFileSync(db, Buffer.alloc(8192, 0x5a));
  const before = readFileSync(db);
  const res = await runParley(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir]);
  assert.notEqual(res.code, 0);
  assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
  assert.deepEqual(readFileSync(db), before);
  rmSync(dataDir, { recursive: true, force: true });
});
