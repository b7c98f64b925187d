// Reads across nodes (issue 14, "caches stay correct" and "read replicas"): a
// message acknowledged by node A is in a catch-up `GET /api/messages/:id?after=`
// (and in the latest page) read from node B immediately after the ack, every
// time, whether or not the cache invalidation travelled through Redis: with
// Redis up, with Redis killed, and on a node whose history reads go to a
// streaming replica that is not replaying at all.
//
// Runs only with PARLEY_TEST_STORE=postgres and PARLEY_TEST_PG_DIR (the
// scripts/pg-server.sh folder of the server PARLEY_TEST_POSTGRES_URL points
// at): it starts a streaming replica of that server (scripts/pg-server.sh
// replica) and a redis-server (scripts/redis-server.sh), and stops both.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { spawnParley, stopParley, tempDir } from './lib/server.mjs';
import { TestDatabase, onPostgres } from './lib/store.mjs';
import { registerUser, newClientMsgId, Api } from './lib/api.mjs';

const execFileAsync = promisify(execFile);
const PG_DIR = process.env.PARLEY_TEST_PG_DIR;
const script = (name) => fileURLToPath(new URL(`../../scripts/${name}`, import.meta.url));
const ROUNDS = 200;

const skip = !onPostgres ? 'needs PARLEY_TEST_STORE=postgres'
  : !PG_DIR ? 'needs PARLEY_TEST_PG_DIR (the scripts/pg-server.sh folder of the test PostgreSQL) to make a replica of it'
    : false;

async function run(name, ...args) {
  try {
    const { stdout } = await execFileAsync(script(name), args, { timeout: 120_000 });
    return stdout.trim();
  } catch (e) {
    throw new Error(`${name} ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

async function psql(url, sql) {
  const { stdout } = await execFileAsync('psql', ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql],
    { timeout: 30_000, env: { ...process.env, PGCONNECT_TIMEOUT: '10' } });
  return stdout.trim();
}

const withDatabase = (url, name) => { const u = new URL(url); u.pathname = `/${name}`; return u.href; };

// One `parley serve` node of the cluster.
class Node {
  constructor(name, args) { this.name = name; this.args = args; this.stderr = ''; this.dataDir = tempDir(); }
  get url() { return `http://127.0.0.1:${this.port}`; }
  async start() {
    this.port = await spawnParley(this, ['serve', '--listen', '127.0.0.1:0', '--data-dir', this.dataDir,
      '--password-cost', 'minimal', '--rate-limit', 'off', '--jwt-secret', 'cluster-reads-secret-0123456789abcdef',
      '--log-level', process.env.PARLEY_TEST_LOG_LEVEL ?? 'warn', ...this.args]);
  }
  async stop() { await stopParley(this); rmSync(this.dataDir, { recursive: true, force: true }); }
}

describe('reads across nodes', { skip }, () => {
  const work = skip ? null : tempDir('parley-cluster-reads-');
  const database = skip ? null : new TestDatabase();
  let redisDir, replicaDir, replicaUrl, a, b, c, ann, bob, conversationId;

  before(async () => {
    redisDir = join(work, 'redis');
    replicaDir = join(work, 'replica');
    const bus = await run('redis-server.sh', 'start', redisDir);
    await database.create();
    replicaUrl = withDatabase(await run('pg-server.sh', 'replica', PG_DIR, replicaDir), database.name);
    const store = ['--store', database.url, '--bus', bus];
    a = new Node('a', [...store, '--node-id', '1']);
    b = new Node('b', [...store, '--node-id', '2']);
    await a.start();  // migrates first
    await b.start();
    // The replica must have the database (and its schema) before node C opens it.
    await waitReplayed();
    c = new Node('c', [...store, '--node-id', '3', '--store-replica', replicaUrl]);
    await c.start();
    ann = await registerUser(a.url, 'ann');
    bob = await registerUser(a.url, 'bob');
    const created = await ann.api.post('/api/conversations', { type: 'group', memberIds: [bob.user.id], title: 'x' });
    assert.equal(created.status, 201, created.text);
    conversationId = created.json.conversation.id;
  });

  after(async () => {
    for (const node of [a, b, c]) if (node) await node.stop();
    if (replicaDir) {
      await psql(replicaUrl, 'SELECT pg_wal_replay_resume()').catch(() => {});
      await run('pg-server.sh', 'stop', replicaDir).catch(() => {});
    }
    if (redisDir) await run('redis-server.sh', 'stop', redisDir).catch(() => {});
    database?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function waitReplayed() {
    const position = await psql(process.env.PARLEY_TEST_POSTGRES_URL, 'SELECT pg_current_wal_flush_lsn()');
    const replica = withDatabase(replicaUrl, 'postgres');
    for (let i = 0; i < 400; i++) {
      if (await psql(replica, `SELECT pg_last_wal_replay_lsn() >= '${position}'::pg_lsn`) === 't') return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the replica did not catch up');
  }

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
      assert.deepEqual(caughtUp.json.messages.map((m) => m.id), [id], `round ${i}: catch-up on ${to.name}`);
      const latest = await reader.get(`/api/messages/${conversationId}`);
      assert.equal(latest.json.messages.at(-1)?.id, id, `round ${i}: latest page on ${to.name}`);
    }
  }

  test(`a message acknowledged on A is read on B at once (${ROUNDS} rounds)`, async () => {
    await sendThenRead(a, b, ROUNDS);
  });

  test(`the same with Redis killed: no invalidation reaches B (${ROUNDS} rounds)`, async () => {
    await run('redis-server.sh', 'kill', redisDir);
    try {
      await sendThenRead(a, b, ROUNDS);
    } finally {
      await run('redis-server.sh', 'start', redisDir);
    }
  });

  test(`with --store-replica on C and replay paused, C still returns it (${ROUNDS} rounds)`, async () => {
    await waitReplayed();
    await psql(replicaUrl, 'SELECT pg_wal_replay_pause()');
    try {
      await sendThenRead(a, c, ROUNDS);
      // The conversation list on C: its last message is the newest acknowledged one.
      const list = await new Api(c.url, bob.token).get('/api/conversations');
      assert.equal(list.status, 200, list.text);
      const entry = list.json.conversations.find((x) => x.id === conversationId);
      assert.equal(entry.lastMessage.body, `round ${ROUNDS - 1}`);
    } finally {
      await psql(replicaUrl, 'SELECT pg_wal_replay_resume()');
    }
  });
});
