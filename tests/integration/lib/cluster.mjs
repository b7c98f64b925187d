// A real cluster on loopback for the cluster suites (tests/integration/cluster/):
// one fresh database on the test PostgreSQL server (lib/store.mjs), a throwaway
// redis-server (scripts/redis-server.sh), N `parley serve` nodes sharing both,
// and optionally nginx in front of them (scripts/nginx-server.sh). Every node
// gets the same flags (the point of node-id leases and the shared secret): only
// its listen port and data folder differ, and a restarted node keeps its port,
// so that nginx's configuration stays true.
//
// Faults are real: kill -9 of a node, Redis killed (and restarted empty),
// Redis stopped with SIGSTOP and continued, WAL replay paused on the read
// replica.
//
// The read replica is not started here: it is the streaming replica of the test
// PostgreSQL server, given by PARLEY_TEST_POSTGRES_REPLICA_URL (scripts/pg-server.sh
// replica prints one); it carries every database of that server, so a cluster's
// replica URL is that server with the cluster's database name.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { spawnParley, stopParley, tempDir } from './server.mjs';
import { TestDatabase } from './store.mjs';

const execFileAsync = promisify(execFile);
const ROOT = resolve(new URL('../../..', import.meta.url).pathname);
const script = (name) => join(ROOT, 'scripts', name);

// Why a cluster suite cannot run here, or false: it needs the test PostgreSQL
// server, and redis-server and nginx installed (scripts/deps.sh test).
export function clusterUnavailable() {
  if (!process.env.PARLEY_TEST_POSTGRES_URL) return 'needs PARLEY_TEST_POSTGRES_URL (a PostgreSQL server to test on)';
  for (const tool of ['redis-server', 'nginx']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`], { stdio: 'ignore' });
    } catch {
      return `needs ${tool} (scripts/deps.sh test)`;
    }
  }
  return false;
}

const REPLICA_ADMIN_URL = process.env.PARLEY_TEST_POSTGRES_REPLICA_URL;

// Why a suite that needs the read replica cannot run here, or false.
export function replicaUnavailable() {
  return clusterUnavailable() || (REPLICA_ADMIN_URL ? false
    : 'needs PARLEY_TEST_POSTGRES_REPLICA_URL (a streaming replica of PARLEY_TEST_POSTGRES_URL: scripts/pg-server.sh replica)');
}

// `url` with its database part replaced by `name`.
function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.href;
}

// Rows of one query, as arrays of strings (psql -At).
async function psql(url, query) {
  let stdout;
  try {
    ({ stdout } = await execFileAsync('psql', ['-X', '-At', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', query],
      { env: { ...process.env, PGCONNECT_TIMEOUT: '10' }, timeout: 30_000, maxBuffer: 64 << 20 }));
  } catch (e) {
    throw new Error(`psql ${query}: ${e.stderr || e.message}`);
  }
  return stdout.split('\n').filter((line) => line !== '').map((line) => line.split('\t'));
}

class ClusterNode {
  // name: for messages and the data folder; args: its flags after the cluster's own.
  constructor(cluster, name, args = []) {
    this.cluster = cluster;
    this.name = name;
    this.args = args;
    this.port = 0;
    this.dataDir = join(cluster.dir, `node-${name}`);
    this.stderr = '';
    this.stdout = '';
  }

  get url() { return `http://127.0.0.1:${this.port}`; }
  get running() { return this.child && this.child.exitCode === null && this.child.signalCode === null; }

  async start() {
    const c = this.cluster;
    const args = ['serve', '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir,
      '--store', c.database.url, '--bus', c.redisUrl, '--password-cost', 'minimal',
      '--log-level', process.env.PARLEY_TEST_LOG_LEVEL ?? 'warn', ...c.nodeArgs, ...this.args];
    this.stderr = '';
    this.port = await spawnParley(this, args, c.env);
    return this;
  }

  // SIGTERM (options: stopParley's), then the exit status.
  stop(options) { return stopParley(this, options); }

  // Stopped (or killed) and started again on the same port and data folder.
  async restart() {
    await this.stop();
    return this.start();
  }

  // A crash: SIGKILL, no clean-up of any kind.
  async kill() {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

export class Cluster {
  // nodes: how many; nginx: put nginx in front; nodeArgs: extra flags for every
  // node; perNode: {index: [flags]} for some nodes only; replicaNodes: indexes
  // of the nodes that read from the replica (--store-replica, see
  // replicaUnavailable()); together: start the nodes all at once rather than
  // one after another.
  constructor({ nodes = 3, nginx = false, nodeArgs = [], perNode = {}, replicaNodes = [], together = false, env = {} } = {}) {
    this.dir = tempDir('parley-cluster-');
    this.redisDir = join(this.dir, 'redis');
    this.nginxDir = join(this.dir, 'nginx');
    this.database = new TestDatabase();
    this.replicaUrl = replicaNodes.length ? withDatabase(REPLICA_ADMIN_URL, this.database.name) : '';
    this.withNginx = nginx;
    this.nodeArgs = nodeArgs;
    this.together = together;
    this.env = env;
    this.nodes = Array.from({ length: nodes }, (_, i) => new ClusterNode(this, String(i), [
      ...(perNode[i] ?? []), ...(replicaNodes.includes(i) ? ['--store-replica', this.replicaUrl] : [])]));
    this.replicaNodes = replicaNodes.map((i) => this.nodes[i]);
    this.extraNodes = [];
    this.replayPaused = false;
    this.redisUrl = '';
    this.nginxUrl = '';
  }

  // Database, Redis, the nodes (one after another: the first one migrates the
  // schema; the others would wait on its advisory lock anyway; or all at once),
  // then nginx. The nodes that read from the replica start last, once the
  // replica has replayed the schema.
  async start() {
    await this.database.create();
    this.redisUrl = (await execFileAsync(script('redis-server.sh'), ['start', this.redisDir])).stdout.trim();
    const primaryOnly = this.nodes.filter((n) => !this.replicaNodes.includes(n));
    if (this.together) await Promise.all(primaryOnly.map((n) => n.start()));
    else for (const node of primaryOnly) await node.start();
    if (this.replicaNodes.length) {
      await this.waitReplayed();
      for (const node of this.replicaNodes) await node.start();
    }
    if (this.withNginx) {
      const addrs = this.nodes.map((n) => `127.0.0.1:${n.port}`);
      this.nginxUrl = (await execFileAsync(script('nginx-server.sh'), ['start', this.nginxDir, ...addrs])).stdout.trim();
    }
    return this;
  }

  node(i) { return this.nodes[i]; }
  // The URL clients use: nginx when there is one, else node 0.
  get url() { return this.nginxUrl || this.nodes[0].url; }
  // nginx's access log (one line per request; a websocket's when it closes).
  get nginxAccessLog() { return join(this.nginxDir, 'access.log'); }

  // One more node on the same database and Redis, not behind nginx, not started:
  // for a node that must fail to start, or to join later. Stopped by stop().
  extraNode(args = []) {
    const node = new ClusterNode(this, `extra${this.extraNodes.length}`, args);
    this.extraNodes.push(node);
    return node;
  }

  // Redis faults. kill: SIGKILL (its data is gone: it keeps none); startRedis: up
  // again, empty, on the same port; pause/resume: SIGSTOP/SIGCONT, a stall in
  // which connections stay open and nothing answers.
  async killRedis() { await execFileAsync(script('redis-server.sh'), ['kill', this.redisDir]); }
  async startRedis() { await execFileAsync(script('redis-server.sh'), ['start', this.redisDir]); }
  redisPid() { return Number(readFileSync(join(this.redisDir, 'redis.pid'), 'utf8').trim()); }
  pauseRedis() { process.kill(this.redisPid(), 'SIGSTOP'); }
  resumeRedis() { process.kill(this.redisPid(), 'SIGCONT'); }

  // The lines of every running node's /metrics that match `pattern`, by node:
  // the evidence for a failure's message.
  async metrics(pattern) {
    const out = [];
    for (const node of this.nodes.filter((n) => n.running)) {
      try {
        const text = await (await fetch(`${node.url}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
        out.push(`node ${node.name}: ${text.split('\n').filter((l) => pattern.test(l) && !l.startsWith('#')).join(', ')}`);
      } catch (e) {
        out.push(`node ${node.name}: ${e.message}`);
      }
    }
    return out.join('; ');
  }

  // Rows of one query on the cluster's database, as arrays of strings (psql -At).
  sql(query) { return psql(this.database.url, query); }

  // The replica (replicaNodes). waitReplayed: until it has replayed all the WAL
  // the primary had flushed when called (20 s at most); pauseReplay/resumeReplay:
  // a replica that lags as long as needed (the whole replica server, which
  // stop() resumes).
  async waitReplayed({ timeoutMs = 20_000 } = {}) {
    const [[position]] = await psql(process.env.PARLEY_TEST_POSTGRES_URL, 'SELECT pg_current_wal_flush_lsn()');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [[done]] = await psql(REPLICA_ADMIN_URL, `SELECT pg_last_wal_replay_lsn() >= '${position}'::pg_lsn`);
      if (done === 't') return;
      if (Date.now() > deadline) throw new Error(`the replica did not replay up to ${position} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  async pauseReplay() { this.replayPaused = true; await psql(REPLICA_ADMIN_URL, 'SELECT pg_wal_replay_pause()'); }
  async resumeReplay() { await psql(REPLICA_ADMIN_URL, 'SELECT pg_wal_replay_resume()'); this.replayPaused = false; }

  // Everything down and removed. nginx and Redis, which keep nothing, get a
  // signal that ends them at once (nginx: TERM, not the graceful QUIT; Redis:
  // KILL) and are not waited for past their death: a daemon's zombie waits for
  // init to reap it, up to seconds on some machines.
  async stop() {
    const nginx = this.withNginx ? endDaemon(join(this.nginxDir, 'nginx.pid'), 'SIGTERM') : null;
    try { this.resumeRedis(); } catch { /* not paused, or gone */ }
    if (this.replayPaused) await this.resumeReplay().catch(() => {});
    await Promise.all([...this.nodes, ...this.extraNodes].map((n) => n.stop()));
    await endDaemon(join(this.redisDir, 'redis.pid'), 'SIGKILL');
    await nginx;
    this.database.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// Sends `signal` to the daemon whose pid is in `pidFile`, then waits (5 s at
// most) until it is gone or a zombie.
async function endDaemon(pidFile, signal) {
  let pid;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
    process.kill(pid, signal);
  } catch {
    return;  // never started, or gone already
  }
  const dead = () => {
    try { return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] === 'Z'; } catch { return true; }
  };
  for (let i = 0; i < 500 && !dead(); i++) await new Promise((r) => setTimeout(r, 10));
}
