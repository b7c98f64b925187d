// The monitoring kit against the real tools (issue 17): a real Prometheus on
// loopback scrapes two cluster nodes (PostgreSQL + Redis, so the bus panels
// have data) with a configuration made from deploy/prometheus.yml, loads
// deploy/prometheus/alerts.yml, and after some traffic (sends over a socket and
// over REST, delivery to another node, refusals) every PromQL expression of
// every panel of deploy/grafana/parley.json must return a series with a number:
// a panel that would show "No data" is a bug. Each node's /metrics must also
// pass `promtool check metrics`.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Api, newClientMsgId, registerUser } from '../lib/api.mjs';
import { connect, nextEvent, sleep, waitFor } from '../lib/chat.mjs';
import { Cluster, clusterUnavailable } from '../lib/cluster.mjs';
import { tempDir } from '../lib/server.mjs';

const ROOT = resolve(new URL('../../..', import.meta.url).pathname);
const DASHBOARD = join(ROOT, 'deploy/grafana/parley.json');
const SCRAPE_CONFIG = join(ROOT, 'deploy/prometheus.yml');
const ALERTS = join(ROOT, 'deploy/prometheus/alerts.yml');

function toolMissing() {
  for (const tool of ['prometheus', 'promtool']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `needs ${tool} (Debian package prometheus: scripts/deps.sh test)`;
    }
  }
  return false;
}
const skip = clusterUnavailable() || toolMissing();

function freePort() {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => res(port));
    });
  });
}

// deploy/prometheus.yml with test values: a 1 s scrape and evaluation interval,
// the alert rules by absolute path, and the nodes as targets. Every replaced
// line must be there: the test follows the shipped file, not a copy of it.
function testConfig(text, targets) {
  const replace = (from, to) => {
    assert.ok(from.test(text), `deploy/prometheus.yml has no line matching ${from}`);
    text = text.replace(from, to);
  };
  replace(/scrape_interval: \d+s/, 'scrape_interval: 1s');
  replace(/evaluation_interval: \d+s/, 'evaluation_interval: 1s');
  replace(/- prometheus\/alerts\.yml/, `- ${JSON.stringify(ALERTS)}`);
  replace(/targets: \[.*\]/, `targets: ${JSON.stringify(targets)}`);
  return text;
}

// Every expression of every panel (rows included), with its panel's title.
function dashboardQueries(dashboard) {
  const out = [];
  const walk = (panels) => {
    for (const panel of panels ?? []) {
      for (const target of panel.targets ?? []) out.push({ panel: panel.title, expr: target.expr });
      walk(panel.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

// The dashboard's variables as Grafana would fill them for "all instances of job parley".
const substitute = (expr) => expr
  .replaceAll('$__rate_interval', '1m')
  .replaceAll('$job', 'parley')
  .replaceAll('$instance', '.*');

class Prometheus {
  constructor(dir) { this.dir = dir; this.stderr = ''; }

  async start(config) {
    this.port = await freePort();
    const file = join(this.dir, 'prometheus.yml');
    writeFileSync(file, config);
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    this.child = spawn('prometheus', [`--config.file=${file}`, `--storage.tsdb.path=${join(this.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr.on('data', (d) => { this.stderr += d; });
    this.exited = new Promise((res) => this.child.on('exit', res));
    await waitFor(async () => {
      if (this.child.exitCode !== null) throw new Error(`prometheus exited: ${this.stderr}`);
      try { return (await fetch(`${this.url}/-/ready`)).ok; } catch { return false; }
    }, { timeoutMs: 20_000, stepMs: 200, what: 'prometheus ready' });
  }

  get url() { return `http://127.0.0.1:${this.port}`; }

  async query(expr) {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = await res.json();
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data.result;
  }

  async get(path) { return (await (await fetch(`${this.url}${path}`)).json()).data; }

  async stop() {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

const finite = (result) => result.some((s) => Number.isFinite(Number(s.value[1])));

describe('metrics, dashboard and alerts with a real Prometheus', { skip }, () => {
  let cluster;
  let prometheus;
  const sockets = [];

  before(async () => {
    cluster = await new Cluster({ nodes: 2 }).start();
    const targets = cluster.nodes.map((n) => `127.0.0.1:${n.port}`);
    prometheus = new Prometheus(tempDir('parley-prometheus-'));
    await prometheus.start(testConfig(readFileSync(SCRAPE_CONFIG, 'utf8'), targets));
  });

  after(async () => {
    for (const s of sockets) s.close();
    await prometheus?.stop();
    if (prometheus) rmSync(prometheus.dir, { recursive: true, force: true });
    await cluster?.stop();
  });

  test('every /metrics passes promtool check metrics', async () => {
    for (const node of cluster.nodes) {
      const text = await (await fetch(`${node.url}/metrics`)).text();
      const lint = await new Promise((res) => {
        const child = execFile('promtool', ['check', 'metrics'], (error, stdout, stderr) =>
          res({ code: error ? error.code : 0, out: stdout + stderr }));
        child.stdin.end(text);
      });
      assert.equal(lint.code, 0, `node ${node.name}: ${lint.out}`);
      for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_open_fds',
        'process_max_fds', 'process_start_time_seconds', 'parley_build_info{version=']) {
        assert.ok(text.includes(`\n${name}`), `node ${node.name} lacks ${name}`);
      }
    }
  });

  test('every panel of the dashboard has data after some traffic', async () => {
    const [n0, n1] = cluster.nodes;
    // A first scrape of both nodes before the traffic: rates need a sample from before it.
    await waitFor(async () => (await prometheus.query('up{job="parley"} == 1')).length === 2,
      { timeoutMs: 20_000, stepMs: 250, what: 'both nodes scraped' });
    await sleep(1500);
    // Alice on node 0, Bob on node 1: Alice's messages reach Bob through the bus.
    const alice = await registerUser(n0.url, 'alice');
    const bob = await registerUser(n1.url, 'bob');
    const created = await alice.api.post('/api/conversations',
      { type: 'group', title: 'ops', memberIds: [bob.user.id] });
    assert.equal(created.status, 201);
    const cid = created.json.conversation.id;
    const a = await connect(n0.url, alice.token);
    const b = await connect(n1.url, bob.token);
    sockets.push(a, b);
    assert.equal((await a.emitWithAck('join_conversation', { conversationId: cid })).ok, true);
    for (let i = 0; i < 5; i++) {
      const heard = nextEvent(b, 'new_message', (m) => m.body === `socket ${i}`);
      const ack = await a.emitWithAck('new_message', { conversationId: cid, body: `socket ${i}`, clientMsgId: newClientMsgId() });
      assert.equal(ack.ok, true);
      await heard;
    }
    const rest = await alice.api.post('/api/messages', { conversationId: cid, body: 'over rest', clientMsgId: newClientMsgId() });
    assert.equal(rest.status, 201);
    await a.emitWithAck('typing', { conversationId: cid });
    // Refusals: a bad token over REST and over a socket, a bad payload.
    assert.equal((await new Api(n0.url, 'not-a-token').get('/api/conversations')).status, 401);
    await assert.rejects(connect(n0.url, 'not-a-token'));
    assert.equal((await a.emitWithAck('new_message', { nope: true })).ok, false);

    // Until every expression has a number (a few scrapes), or list those without.
    const queries = dashboardQueries(JSON.parse(readFileSync(DASHBOARD, 'utf8')));
    assert.ok(queries.length >= 30, `only ${queries.length} queries in the dashboard`);
    let missing = [];
    const deadline = Date.now() + 30_000;
    do {
      missing = [];
      for (const q of queries) {
        const result = await prometheus.query(substitute(q.expr));
        if (!finite(result)) missing.push(`${q.panel}: ${q.expr} (${result.length} series)`);
      }
      if (missing.length) await sleep(1000);
    } while (missing.length && Date.now() < deadline);
    assert.deepEqual(missing, [], `panels without data:\n${missing.join('\n')}`);

    // The variables' own queries.
    assert.ok((await prometheus.get('/api/v1/label/job/values')).includes('parley'));
    const instances = await prometheus.query('parley_build_info{job="parley"}');
    assert.equal(instances.length, 2);
  });

  test('Prometheus loads and evaluates every alert rule without error', async () => {
    const alerts = readFileSync(ALERTS, 'utf8').match(/- alert: \w+/g).map((l) => l.slice('- alert: '.length));
    await waitFor(async () => {
      const rules = (await prometheus.get('/api/v1/rules')).groups.flatMap((g) => g.rules);
      return rules.length === alerts.length && rules.every((r) => r.health === 'ok' && r.lastEvaluation !== '0001-01-01T00:00:00Z');
    }, { timeoutMs: 10_000, stepMs: 500, what: 'every rule evaluated' });
    const rules = (await prometheus.get('/api/v1/rules')).groups.flatMap((g) => g.rules);
    assert.deepEqual(rules.map((r) => r.name).sort(), [...alerts].sort());
    // Nothing is wrong with these two nodes: no alert fires.
    const firing = (await prometheus.get('/api/v1/alerts')).alerts.filter((al) => al.state === 'firing');
    assert.deepEqual(firing.map((al) => al.labels.alertname), []);
  });
});
