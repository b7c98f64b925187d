// A real cluster on loopback for the cluster suites (tests/integration/cluster/):
// one fresh database on the test PostgreSQL server (lib/store.mjs), a throwaway
// redis-server (scripts/redis-server.sh), N `parley serve` nodes sharing both,
// and optionally nginx in front of them (scripts/nginx-server.sh). Every node
// gets the same flags (the point of node-id leases and the shared secret): only
// its listen port and data folder differ, and a restarted node keeps its port,
// so that nginx's configuration stays true.
//
// Faults are real: kill -9 of a node, Redis killed (and restarted empty),
// Redis stopped with SIGSTOP and continued.
import { execFile, execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
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

class ClusterNode {
  constructor(cluster, index) {
    this.cluster = cluster;
    this.index = index;
    this.port = 0;
    this.dataDir = join(cluster.dir, `node${index}`);
    this.stderr = '';
    this.stdout = '';
  }

  get url() { return `http://127.0.0.1:${this.port}`; }
  get running() { return this.child && this.child.exitCode === null && this.child.signalCode === null; }

  async start() {
    const c = this.cluster;
    const args = ['serve', '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir,
      '--store', c.database.url, '--bus', c.redisUrl, '--password-cost', 'minimal',
      '--log-level', process.env.PARLEY_TEST_LOG_LEVEL ?? 'warn', ...c.nodeArgs];
    this.stderr = '';
    this.port = await spawnParley(this, args, c.env);
    return this;
  }

  stop() { return stopParley(this); }

  // A crash: SIGKILL, no clean-up of any kind.
  async kill() {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

export class Cluster {
  // nodes: how many; nginx: put nginx in front; nodeArgs: extra flags for every node.
  constructor({ nodes = 3, nginx = false, nodeArgs = [], env = {} } = {}) {
    this.dir = tempDir('parley-cluster-');
    this.redisDir = join(this.dir, 'redis');
    this.nginxDir = join(this.dir, 'nginx');
    this.database = new TestDatabase();
    this.withNginx = nginx;
    this.nodeArgs = nodeArgs;
    this.env = env;
    this.nodes = Array.from({ length: nodes }, (_, i) => new ClusterNode(this, i));
    this.redisUrl = '';
    this.nginxUrl = '';
  }

  // Database, Redis, the nodes (one after another: the first one migrates the
  // schema; the others would wait on its advisory lock anyway), then nginx.
  async start() {
    await this.database.create();
    this.redisUrl = (await execFileAsync(script('redis-server.sh'), ['start', this.redisDir])).stdout.trim();
    for (const node of this.nodes) await node.start();
    if (this.withNginx) {
      const addrs = this.nodes.map((n) => `127.0.0.1:${n.port}`);
      this.nginxUrl = (await execFileAsync(script('nginx-server.sh'), ['start', this.nginxDir, ...addrs])).stdout.trim();
    }
    return this;
  }

  node(i) { return this.nodes[i]; }
  // The URL clients use: nginx when there is one, else node 0.
  get url() { return this.nginxUrl || this.nodes[0].url; }

  // Redis faults. kill: SIGKILL (its data is gone: it keeps none); startRedis: up
  // again, empty, on the same port; pause/resume: SIGSTOP/SIGCONT, a stall in
  // which connections stay open and nothing answers.
  async killRedis() { await execFileAsync(script('redis-server.sh'), ['kill', this.redisDir]); }
  async startRedis() { await execFileAsync(script('redis-server.sh'), ['start', this.redisDir]); }
  redisPid() { return Number(execFileSync('cat', [join(this.redisDir, 'redis.pid')]).toString().trim()); }
  pauseRedis() { process.kill(this.redisPid(), 'SIGSTOP'); }
  resumeRedis() { process.kill(this.redisPid(), 'SIGCONT'); }

  // Rows of one query on the cluster's database, as arrays of strings (psql -At).
  async sql(query) {
    const { stdout } = await execFileAsync('psql', ['-X', '-At', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-d', this.database.url, '-c', query],
      { env: { ...process.env, PGCONNECT_TIMEOUT: '10' }, timeout: 30_000, maxBuffer: 64 << 20 });
    return stdout.split('\n').filter((line) => line !== '').map((line) => line.split('\t'));
  }

  async stop() {
    if (this.withNginx) {
      try { await execFileAsync(script('nginx-server.sh'), ['stop', this.nginxDir]); } catch { /* not started */ }
    }
    try { this.resumeRedis(); } catch { /* not paused, or gone */ }
    await Promise.all(this.nodes.map((n) => n.stop()));
    try { await execFileAsync(script('redis-server.sh'), ['stop', this.redisDir]); } catch { /* killed */ }
    this.database.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
