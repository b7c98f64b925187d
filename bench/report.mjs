// Renders docs/benchmarks.md from the JSON results of `make bench` (scripts/bench.sh):
// the machine, the commands, Parley's figures beside the Node peer's with their ratios,
// the targets of issue 7 and whether each is met, the profile of Parley at fan-out
// saturation, and the hand-written analysis kept in bench/analysis.md.
//
// Usage: node bench/report.mjs RESULTS_DIR OUTPUT.md
import fs from 'node:fs';
import path from 'node:path';

const [resultsDir, outFile] = process.argv.slice(2);
if (!resultsDir || !outFile) {
  console.error('usage: node bench/report.mjs RESULTS_DIR OUTPUT.md');
  process.exit(2);
}

const read = (name) => {
  const file = path.join(resultsDir, name);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
};
const result = (scenario, target) => {
  const text = read(`${scenario}-${target}.json`);
  return text ? JSON.parse(text) : null;
};
const machine = Object.fromEntries(
  (read('machine.txt') || '').split('\n').filter(Boolean).map((l) => {
    const i = l.indexOf('=');
    return [l.slice(0, i), l.slice(i + 1)];
  }),
);

const scenarios = ['idle', 'storm', 'fanout-latency', 'fanout-latency-memdisk', 'fanout-latency-room100', 'fanout-max', 'fanout-rooms1000', 'persist', 'persist-postgres', 'persist-latency'];
const r = {};
for (const s of scenarios) r[s] = { parley: result(s, 'parley'), peer: result(s, 'peer') };

// ---- formatting ----
const int = (x) => (x == null || Number.isNaN(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const ms = (x) => (x == null ? '–' : `${x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x)} ms`);
const kib = (bytes) => (bytes == null ? '–' : `${(bytes / 1024).toFixed(2)} KiB`);
const cores = (x) => (x == null ? '–' : x.toFixed(2));
// Parley's advantage: higher is better for rates, lower for times and memory; null for
// figures that are context, not merit (CPU use).
const ratio = (a, b, higherIsBetter = true) => {
  if (higherIsBetter === null) return '';
  if (a == null || b == null || a === 0 || b === 0) return '–';
  const v = higherIsBetter ? a / b : b / a;
  return `${v >= 10 ? v.toFixed(0) : v.toFixed(1)}×`;
};
const get = (obj, ...keys) => keys.reduce((o, k) => (o == null ? undefined : o[k]), obj);

const traffic = (x) => get(x, 'traffic');
const deliveries = (x) => get(x, 'traffic', 'deliveries_per_s');
const lat = (x, q) => get(x, 'traffic', 'latency_ms', q);
const ackLat = (x, q) => get(x, 'traffic', 'ack_latency_ms', q);
const rssPerConn = (x) => get(x, 'server', 'rss_per_connection_bytes');
const handshakes = (x) => get(x, 'connect', 'handshakes_per_s');
const connected = (x) => get(x, 'connect', 'connected');
const failures = (x) => {
  const f = get(x, 'connect', 'failures');
  if (!f) return '–';
  const total = Object.values(f).reduce((a, b) => a + b, 0);
  return total === 0 ? '0' : `${total} (${Object.entries(f).map(([k, v]) => `${k}: ${v}`).join(', ')})`;
};
const acked = (x) => get(x, 'traffic', 'acked_per_s');
// How many queued WebSocket frames the server hands the kernel per write (Parley's /metrics).
const framesPerWrite = (x) => get(x, 'server', 'realtime_metrics', 'frames_per_write');
const framesPerRead = (x) => get(x, 'traffic', 'generator_frames_per_read');
const lostDup = (x) => (traffic(x) ? `${int(traffic(x).lost)} / ${int(traffic(x).duplicated)}` : '–');

// ---- targets (issue 7) ----
const P = (s) => r[s].parley;
const Q = (s) => r[s].peer;
// Saturation is measured in two room shapes; the better one answers the absolute target.
const fanouts = ['fanout-latency', 'fanout-latency-room100', 'fanout-max', 'fanout-rooms1000'];
const bestFanout = ['fanout-max', 'fanout-rooms1000']
  .filter((s) => deliveries(P(s)) != null)
  .sort((a, b) => deliveries(P(b)) - deliveries(P(a)))[0];
const targets = [
  {
    name: 'Fan-out: deliveries/s at saturation ≥ 1,000,000 (rooms of 100+)',
    value: bestFanout ? `${int(deliveries(P(bestFanout)))} (${bestFanout})` : '–',
    met: bestFanout != null && deliveries(P(bestFanout)) >= 1e6,
    known: bestFanout != null,
  },
  ...['fanout-max', 'fanout-rooms1000'].map((s) => ({
    name: `Fan-out: ≥ 10× the peer's deliveries/s (${s})`,
    value: ratio(deliveries(P(s)), deliveries(Q(s))),
    met: deliveries(P(s)) >= 10 * deliveries(Q(s)),
    known: deliveries(P(s)) != null && deliveries(Q(s)) != null,
  })),
  {
    name: 'Fan-out: p99 ≤ 5 ms at 500,000 deliveries/s (10 rooms of 100: 1,000 sockets)',
    value: `${ms(lat(P('fanout-latency'), 'p99_ms'))} at ${int(deliveries(P('fanout-latency')))}/s`,
    met: lat(P('fanout-latency'), 'p99_ms') <= 5 && deliveries(P('fanout-latency')) >= 0.98 * 500000,
    known: lat(P('fanout-latency'), 'p99_ms') != null,
  },
  {
    name: 'Fan-out: the same with the data folder on tmpfs (fsync free): the fan-out path without the disk',
    value: `${ms(lat(P('fanout-latency-memdisk'), 'p99_ms'))} at ${int(deliveries(P('fanout-latency-memdisk')))}/s`,
    met: lat(P('fanout-latency-memdisk'), 'p99_ms') <= 5 && deliveries(P('fanout-latency-memdisk')) >= 0.98 * 500000,
    known: lat(P('fanout-latency-memdisk'), 'p99_ms') != null,
  },
  {
    name: 'Fan-out: p99 ≤ 5 ms at 500,000 deliveries/s into one room of 100 (100 sockets at 5,000 frames/s each)',
    value: `${ms(lat(P('fanout-latency-room100'), 'p99_ms'))} at ${int(deliveries(P('fanout-latency-room100')))}/s`,
    met: lat(P('fanout-latency-room100'), 'p99_ms') <= 5 && deliveries(P('fanout-latency-room100')) >= 0.98 * 500000,
    known: lat(P('fanout-latency-room100'), 'p99_ms') != null,
  },
  {
    name: 'Fan-out: no delivery lost or duplicated (lost / dup: 500k ; room100 ; max ; rooms1000)',
    value: fanouts.map((s) => lostDup(P(s))).join(' ; '),
    met: fanouts.every((s) => !traffic(P(s)) || (traffic(P(s)).lost === 0 && traffic(P(s)).duplicated === 0)),
    known: traffic(P('fanout-latency')) != null,
  },
  {
    name: 'Fan-out: each socket receives its room in seq order (issue 5; 500k ; room100 ; max ; rooms1000)',
    value: `${fanouts.map((s) => int(get(P(s), 'traffic', 'seq_backwards'))).join(' ; ')} out of order`,
    met: fanouts.every((s) => !traffic(P(s)) || traffic(P(s)).seq_backwards === 0),
    known: traffic(P('fanout-latency')) != null,
  },
  {
    name: 'Memory: ≤ 2 KiB server RSS per idle connection, 15 s after 10,000 connected at once',
    value: kib(rssPerConn(P('idle'))),
    met: rssPerConn(P('idle')) <= 2048,
    known: rssPerConn(P('idle')) != null,
  },
  {
    name: 'Connections: 19,900 in one process, none refused',
    value: `${int(connected(P('storm')))} up, failures ${failures(P('storm'))}`,
    met: connected(P('storm')) >= 19900,
    known: connected(P('storm')) != null,
  },
  {
    name: 'Connections: ≥ 20,000 handshakes/s',
    value: int(handshakes(P('storm'))),
    met: handshakes(P('storm')) >= 20000,
    known: handshakes(P('storm')) != null,
  },
  {
    name: 'Persisted and acknowledged: ≥ 100,000 messages/s (SQLite synchronous=FULL)',
    value: int(acked(P('persist'))),
    met: acked(P('persist')) >= 100000,
    known: acked(P('persist')) != null,
  },
  {
    name: 'Persisted and acknowledged on PostgreSQL (same machine): ≥ 30,000 messages/s (issue 13)',
    value: `${int(acked(P('persist-postgres')))} (ack p99 ${ms(ackLat(P('persist-postgres'), 'p99_ms'))})`,
    met: acked(P('persist-postgres')) >= 30000,
    known: acked(P('persist-postgres')) != null,
  },
  {
    name: 'Persisted: ack latency p99 ≤ 5 ms at 50,000 messages/s (issue 5)',
    value: `${ms(ackLat(P('persist-latency'), 'p99_ms'))} at ${int(acked(P('persist-latency')))}/s`,
    met: ackLat(P('persist-latency'), 'p99_ms') <= 5 && acked(P('persist-latency')) >= 0.98 * 50000,
    known: ackLat(P('persist-latency'), 'p99_ms') != null,
  },
];

// ---- the document ----
const out = [];
const line = (s = '') => out.push(s);
line('# Benchmarks');
line();
line('<!-- Generated by `make bench` (scripts/bench.sh → bench/report.mjs). Do not edit by hand:');
line('     the analysis comes from bench/analysis.md. -->');
line();
line(`Measured ${machine.date || '?'} at commit \`${machine.commit || '?'}\`. Parley and the peer run in turn on the`);
line('same machine, driven by the same load generator (`bench/loadgen`, C++, Socket.IO v5 over');
line('WebSocket, one epoll loop per worker process) with the same arguments; each scenario starts a');
line('fresh server. The peer is the seed\'s stack as a user runs it: Node.js + socket.io in one process,');
line('rooms in memory, no persistence, no auth check (`bench/peers/socketio-node`), so every comparison');
line('favours the peer. Parley runs `parley serve --password-cost minimal --rate-limit off` with its');
line('defaults otherwise: SQLite in WAL mode with `synchronous=FULL`, one IO thread per core.');
line();
line('## Machine');
line();
line('| | |');
line('|---|---|');
line(`| CPU | ${machine.cpu || '?'}, ${machine.nproc || '?'} cores (shared with the generator) |`);
line(`| memory | ${machine.memory || '?'} |`);
line(`| kernel | ${machine.kernel || '?'} |`);
line(`| disk: one fsync where the data folder lives | ${machine.fsync_ms || '?'}: every persisted message waits for at least one |`);
line(`| load average before the run | ${machine.loadavg || '?'} (other work on the machine shows here) |`);
line(`| Node.js / socket.io (peer) | ${machine.node || '?'} / ${machine.socketio || '?'} |`);
line();
line('## Targets (issue 7)');
line();
line('| target | Parley | met |');
line('|---|---|---|');
for (const t of targets) line(`| ${t.name} | ${t.value} | ${!t.known ? 'not measured' : t.met ? 'yes' : '**no**'} |`);
line();
line('## Parley beside the peer');
line();
line('| scenario | figure | Parley | Node peer | Parley/peer |');
line('|---|---|---|---|---|');
const row = (scenario, figure, f, fmt, higherIsBetter = true) => {
  const a = f(P(scenario));
  const b = f(Q(scenario));
  line(`| ${scenario} | ${figure} | ${fmt(a)} | ${fmt(b)} | ${ratio(a, b, higherIsBetter)} |`);
};
row('fanout-max', 'deliveries/s', deliveries, int);
row('fanout-max', 'messages acked/s', acked, int);
row('fanout-max', 'latency p50', (x) => lat(x, 'p50_ms'), ms, false);
row('fanout-max', 'latency p99', (x) => lat(x, 'p99_ms'), ms, false);
row('fanout-max', 'server CPU (cores)', (x) => get(x, 'server', 'cpu_cores'), cores, null);
row('fanout-max', 'generator CPU (cores)', (x) => get(x, 'traffic', 'generator_cpu_cores'), cores, null);
row('fanout-max', 'server frames per write call', framesPerWrite, (x) => (x == null ? '–' : x.toFixed(1)), null);
row('fanout-max', 'generator frames per read', framesPerRead, (x) => (x == null ? '–' : x.toFixed(1)), null);
row('fanout-rooms1000', 'deliveries/s', deliveries, int);
row('fanout-rooms1000', 'messages acked/s', acked, int);
row('fanout-rooms1000', 'latency p99', (x) => lat(x, 'p99_ms'), ms, false);
row('fanout-rooms1000', 'server frames per write call', framesPerWrite, (x) => (x == null ? '–' : x.toFixed(1)), null);
row('fanout-rooms1000', 'server CPU (cores)', (x) => get(x, 'server', 'cpu_cores'), cores, null);
row('fanout-rooms1000', 'generator CPU (cores)', (x) => get(x, 'traffic', 'generator_cpu_cores'), cores, null);
row('fanout-latency', 'deliveries/s (500,000 offered)', deliveries, int);
for (const q of ['p50_ms', 'p90_ms', 'p99_ms', 'p999_ms', 'max_ms']) {
  row('fanout-latency', `latency ${q.replace('_ms', '').replace('p999', 'p99.9')}`, (x) => lat(x, q), ms, false);
}
row('fanout-latency', 'ack latency p99', (x) => ackLat(x, 'p99_ms'), ms, false);
row('fanout-latency', 'server CPU (cores)', (x) => get(x, 'server', 'cpu_cores'), cores, null);
row('fanout-latency', 'generator CPU (cores)', (x) => get(x, 'traffic', 'generator_cpu_cores'), cores, null);
row('fanout-latency-room100', 'deliveries/s (500,000 offered, one room of 100)', deliveries, int);
for (const q of ['p50_ms', 'p99_ms', 'p999_ms']) {
  row('fanout-latency-room100', `latency ${q.replace('_ms', '').replace('p999', 'p99.9')}`, (x) => lat(x, q), ms, false);
}
row('fanout-latency-room100', 'server frames per write call', framesPerWrite, (x) => (x == null ? '–' : x.toFixed(1)), null);
row('fanout-latency-room100', 'server CPU (cores)', (x) => get(x, 'server', 'cpu_cores'), cores, null);
row('fanout-latency-room100', 'generator CPU (cores)', (x) => get(x, 'traffic', 'generator_cpu_cores'), cores, null);
row('fanout-latency-memdisk', 'deliveries/s (data folder on tmpfs)', deliveries, int);
for (const q of ['p50_ms', 'p99_ms', 'p999_ms']) {
  row('fanout-latency-memdisk', `latency ${q.replace('_ms', '').replace('p999', 'p99.9')}`, (x) => lat(x, q), ms, false);
}
row('fanout-latency-memdisk', 'server CPU (cores)', (x) => get(x, 'server', 'cpu_cores'), cores, null);
const allLost = (pick) => fanouts.map((s) => lostDup(pick(s))).join(' ; ');
const seqBack = (pick) => fanouts.map((s) => int(get(pick(s), 'traffic', 'seq_backwards'))).join(' ; ');
line(`| fanout | lost / duplicated (500k ; room100 ; max ; rooms1000) | ${allLost(P)} | ${allLost(Q)} | |`);
line(`| fanout | deliveries out of seq order (500k ; room100 ; max ; rooms1000) | ${seqBack(P)} | ${seqBack(Q)} | |`);
row('persist', 'messages acked/s', acked, int);
row('persist', 'ack latency p50', (x) => ackLat(x, 'p50_ms'), ms, false);
row('persist', 'ack latency p99', (x) => ackLat(x, 'p99_ms'), ms, false);
row('persist', 'server CPU (cores)', (x) => get(x, 'server', 'cpu_cores'), cores, null);
row('persist', 'generator CPU (cores)', (x) => get(x, 'traffic', 'generator_cpu_cores'), cores, null);
row('persist-postgres', 'messages acked/s (PostgreSQL store)', acked, int);
row('persist-postgres', 'ack latency p50 (PostgreSQL store)', (x) => ackLat(x, 'p50_ms'), ms, false);
row('persist-postgres', 'ack latency p99 (PostgreSQL store)', (x) => ackLat(x, 'p99_ms'), ms, false);
row('persist-postgres', 'server CPU (cores, Parley only)', (x) => get(x, 'server', 'cpu_cores'), cores, null);
row('persist-latency', 'messages acked/s (50,000 offered)', acked, int);
for (const q of ['p50_ms', 'p90_ms', 'p99_ms', 'max_ms']) {
  row('persist-latency', `ack latency ${q.replace('_ms', '')}`, (x) => ackLat(x, q), ms, false);
}
row('persist-latency', 'server CPU (cores)', (x) => get(x, 'server', 'cpu_cores'), cores, null);
row('idle', 'RSS per connection (after the settle time)', rssPerConn, kib, false);
row('idle', 'RSS peak during the storm', (x) => get(x, 'server', 'peak_rss_kib'), (v) => (v == null ? '–' : `${(v / 1024).toFixed(1)} MB`), false);
row('idle', 'RSS right after the last CONNECT', (x) => get(x, 'server', 'rss_connected_kib'), (v) => (v == null ? '–' : `${(v / 1024).toFixed(1)} MB`), false);
row('idle', 'RSS after the settle time', (x) => get(x, 'server', 'rss_after_kib'), (v) => (v == null ? '–' : `${(v / 1024).toFixed(1)} MB`), false);
row('idle', 'connections up', connected, int);
row('storm', 'handshakes/s', handshakes, int);
row('storm', 'connections up (19,900 asked)', connected, int);
line(`| storm | failed connections | ${failures(P('storm'))} | ${failures(Q('storm'))} | |`);
row('storm', 'handshake p99', (x) => get(x, 'connect', 'handshake_ms', 'p99_ms'), ms, false);
row('storm', 'RSS per connection', rssPerConn, kib, false);
row('storm', 'server CPU during the storm (cores)', (x) => get(x, 'server', 'connect_cpu_cores'), cores, null);
line();
line('The peer takes the same offered load; where it cannot keep up, its figure is what it delivered');
line('and its latency includes its queueing. "lost" counts deliveries owed (each acknowledged message');
line('times the connected members of its room) that had not arrived when the run ended (10 s of drain');
line('at most); "duplicated" counts a message received twice by one socket; "out of seq order" counts');
line('deliveries whose `seq` is not above the last one the socket had from that room. The generator\'s own CPU use');
line('is shown so that a run where the generator, not the server, ran out of CPU can be seen: both share');
line(`the machine's ${machine.nproc || '?'} cores.`);
line();

// ---- cluster: bench/cluster.sh ----
const clusterRuns = fs.existsSync(resultsDir)
  ? fs.readdirSync(resultsDir).filter((f) => /^cluster-(cross|one)-.*\.json$/.test(f)).sort()
    .map((f) => ({ file: f, layout: f.startsWith('cluster-cross') ? 'cross' : 'one', x: JSON.parse(read(f)) }))
  : [];
if (clusterRuns.length) {
  // Lossless: every acknowledged message reached every member once, in order, and every send was acked.
  const lossless = (t) => t.lost === 0 && t.duplicated === 0 && t.unacked === 0 &&
    t.seq_backwards + t.seq_skipped + t.reordered_per_sender === 0;
  const bestLossless = (target) => clusterRuns
    .filter((c) => c.x.target === target && c.layout === 'cross' && lossless(c.x.traffic))
    .map((c) => c.x.traffic.cross_node?.deliveries_per_s ?? c.x.traffic.deliveries_per_s)
    .reduce((a, b) => Math.max(a, b), 0);
  line('## Cluster: fan-out across three nodes');
  line();
  line('`bench/cluster.sh`: three nodes on one Redis, the senders on the first node and the other members');
  line('spread over the other two (`--recv-targets`), in the fanout shape above (10 rooms of 100, 5 senders');
  line('each); "one node" runs the same load with every socket on the first node of the same three-node');
  line('stack (the cost of the hop). Parley: `parley serve --store postgres://... --bus redis://...` on one');
  line('throwaway PostgreSQL; the peer: three `bench/peers/socketio-redis` processes (socket.io 4.8 with');
  line('the official `@socket.io/redis-adapter`), the seed\'s multi-server stack, messages kept nowhere.');
  line();
  line('| stack | layout | offered/s | delivered/s | across nodes/s | p50 | p99 | lost / dup / order | unacked | CPU (3 nodes + Redis, cores) | µs CPU per delivery | Redis bytes in / out per message |');
  line('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of clusterRuns) {
    const t = c.x.traffic;
    const x = t.cross_node || t;
    const order = t.seq_backwards + t.seq_skipped + t.reordered_per_sender;
    line(`| ${c.x.target} | ${c.layout === 'cross' ? 'across nodes' : 'one node'} | ${int(t.offered_deliveries_per_s)} | ${int(t.deliveries_per_s)} | ${t.cross_node ? int(x.deliveries_per_s) : '–'} | ${x.latency_ms.count ? ms(x.latency_ms.p50_ms) : 'none'} | ${x.latency_ms.count ? ms(x.latency_ms.p99_ms) : 'none'} | ${int(t.lost)} / ${int(t.duplicated)} / ${int(order)} | ${int(t.unacked)} | ${cores(c.x.server.sampled_cpu_cores)} | ${c.x.server.cpu_us_per_delivery ?? '–'} | ${c.x.redis ? `${int(c.x.redis.in_bytes_per_message)} / ${int(c.x.redis.out_bytes_per_message)}` : '–'} |`);
  }
  line();
  const pBest = bestLossless('parley');
  const qBest = bestLossless('peer');
  line(`Highest lossless rate across nodes: Parley **${int(pBest)}** deliveries/s, the peer **${int(qBest)}**` +
    (pBest && qBest ? ` (${(pBest / qBest).toFixed(1)}×).` : '.'));
  line('The generator shares the two cores with the three nodes, Redis and PostgreSQL: the "CPU" column is');
  line('what the stack itself used; the rest of the machine was the generator.');
  line();
  line('```');
  for (const c of clusterRuns) if (c.x.command) line(c.x.command);
  line('```');
  line();
  const pubsub = read('redis-pubsub.txt');
  if (pubsub) {
    line('What one more node costs the bus: every node subscribes to every channel, so Redis writes each');
    line('message once per node. `bench/redis-pubsub.sh` measures Redis\'s own CPU per PUBLISH of a');
    line('message of the bus\'s size by the number of subscribed connections ([scaling.md](scaling.md)):');
    line();
    line('```');
    for (const l of pubsub.split('\n')) if (l.startsWith('redis-pubsub:')) line(l);
    line('```');
    line();
  }
}

// Compression (bench/compression/compression.mjs): permessage-deflate on and off.
const comp = (mode, target, on) => {
  const text = read(`compression-${mode}-${target}-${on ? 'on' : 'off'}.json`);
  return text ? JSON.parse(text) : null;
};
if (comp('traffic', 'parley', false) || comp('traffic', 'parley', true)) {
  line('## Compression (WebSocket permessage-deflate)');
  line();
  const t = comp('traffic', 'parley', true) || comp('traffic', 'parley', false);
  line(`The official socket.io-client (\`perMessageDeflate: {threshold: 1024}\`, socket.io's own default, or off) in one`);
  line(`conversation of ${t.members}; one member sends ${t.rate} messages/s of ${int(t.body_bytes)} bytes of chat text (a new text each`);
  line(`time) for ${t.duration_s} s. Per delivered message: the bytes the receiving sockets read, and the server's CPU time`);
  line('from the first send to the last delivery. Parley runs with `--ws-compression` (no context takeover: one');
  line('compressed frame per broadcast); the peer with socket.io\'s `perMessageDeflate: {threshold: 1024}` (ws\'s');
  line('defaults: each socket compresses with its own context). Idle: sockets connected at once with compression');
  line('negotiated, RSS growth per connection after the settle time (docs/operations.md, "Compression").');
  line();
  line('| figure | Parley off | Parley on | peer off | peer on |');
  line('|---|---|---|---|---|');
  const cell = (x, f) => (x == null ? '–' : f(x));
  const four = (mode, key, fmt) => [['parley', false], ['parley', true], ['peer', false], ['peer', true]]
    .map(([tg, on]) => cell(get(comp(mode, tg, on), key), fmt)).join(' | ');
  line(`| bytes on the wire per delivered message | ${four('traffic', 'wire_bytes_per_delivery', (v) => `${int(v)} B`)} |`);
  line(`| server CPU per delivered message | ${four('traffic', 'server_cpu_us_per_delivery', (v) => `${v.toFixed(1)} µs`)} |`);
  line(`| deliveries (of those owed) | ${[['parley', false], ['parley', true], ['peer', false], ['peer', true]].map(([tg, on]) => { const x = comp('traffic', tg, on); return x ? `${int(x.delivered)} / ${int(x.messages * x.members)}` : '–'; }).join(' | ')} |`);
  line(`| idle RSS per connection (${int(get(comp('idle', 'parley', true), 'connections'))} at once, ${get(comp('idle', 'parley', true), 'settle_s') ?? '?'} s settle) | ${four('idle', 'rss_per_connection_bytes', kib)} |`);
  line();
  line('```');
  for (const tg of ['parley', 'peer']) for (const mode of ['traffic', 'idle']) for (const on of [false, true]) {
    const x = comp(mode, tg, on);
    if (x && x.command) line(`${x.command}   # against ${tg} ${on ? 'with' : 'without'} compression`);
  }
  line('```');
  line();
}

const history = read('history.txt');
if (history) {
  const m = history.match(/history: ([0-9.]+) requests\/s/);
  line('## History reads (REST)');
  line();
  const u = history.match(/history-uncached: ([0-9.]+) requests\/s/);
  line(`\`bench/history.sh\`: \`GET /api/messages/:id?limit=50\` (pages of 50, about 12.7 KB) under wrk with 64 keep-alive connections (Parley only: the peer has no REST API):`);
  line();
  line(`- the latest page, which every member asks for on opening a conversation (served from the page cache): **${m ? int(Number(m[1])) : '?'} requests/s** (target 50,000);`);
  line(`- pages before random seqs (\`-s bench/history-random.lua\`: mostly cache misses, each read from SQLite): **${u ? int(Number(u[1])) : '?'} requests/s**.`);
  line();
}

const uploads = read('uploads.txt');
if (uploads) {
  const rate = uploads.match(/uploads: ([0-9.]+) MB\/s/);
  const shape = uploads.match(/uploads: (\d+) clients x (\d+) MB/);
  const rss = uploads.match(/uploads-rss: (.*)/);
  line('## Uploads (media)');
  line();
  line(`\`bench/uploads.mjs\`: ${shape ? `${shape[1]} clients each stream ${shape[2]} MB` : 'clients stream files'} to \`POST /api/uploads\` at once (local media store, loopback; each upload hashed, written and fsync'd before its answer):`);
  line();
  line(`- throughput: **${rate ? rate[1] : '?'} MB/s** in all;`);
  line(`- server memory: ${rss ? rss[1] : '?'} — uploads stream through a 256 KiB buffer each, never the whole file.`);
  line();
}

const search = read('search.txt');
const searchIndex = read('search-index.txt');
if (search || searchIndex) {
  line('## Search (issue 16)');
  line();
  if (search) {
    const run = search.match(/search-run: (.*)/);
    if (run) line(`Measured ${run[1]} (apart from the rest of this report).`), line();
    const fill = search.match(/fill (\d+) messages \(([0-9]+) bytes.*?in (\d+) conversations.*?: ([0-9.]+) s, ([0-9]+) messages\/s; data folder ([0-9]+) MB/);
    line('`parley-search-bench`: a fresh SQLite store (`store::open_store`, FTS5 index on, `synchronous=FULL`)');
    line(`filled with ${fill ? int(Number(fill[1])) : '?'} messages of chat-like text (${fill ? fill[2] : '?'} bytes on average: words of a`);
    line('50,000-word vocabulary drawn with Zipf frequencies, the 200 commonest being English chat words) in');
    line(`${fill ? int(Number(fill[3])) : '?'} conversations of 3–8 members (activity skewed: a few busy conversations, many quiet),`);
    line('appended with `append_message_async`, 512 in flight. Then up to 200 searches of each shape (fewer once a');
    line('shape\'s searches took `--shape-seconds` in all), one at a time, by');
    line('10 users each a member of 40 conversations, limit 20 (the API\'s default page), through');
    line('`Store::search_messages` (no HTTP: the store\'s own latency).');
    line();
    line('| shape | p50 | p99 | max | mean hits | searches measured |');
    line('|---|---|---|---|---|---|');
    for (const l of search.split('\n')) {
      const m = l.match(/search-bench: (\S+)\s+p50\s+([0-9.]+) ms\s+p99\s+([0-9.]+) ms\s+max\s+([0-9.]+) ms\s+mean hits\s+([0-9.]+)\s+\((.*)\)(?: \[(\d+) searches: --shape-seconds reached\])?$/);
      if (m) line(`| ${m[1]}: ${m[6]} | ${m[2]} ms | ${m[3]} ms | ${m[4]} ms | ${m[5]} | ${m[7] ? `${m[7]} (the time cap)` : 'all'} |`);
    }
    line();
    if (fill) line(`Fill: ${int(Number(fill[5]))} messages/s with the index (${fill[4]} s); data folder ${fill[6]} MB afterwards.`);
    line();
  }
  if (searchIndex) {
    line('`bench/search-index.sh`: the persist scenario (64 senders, 64 unacknowledged sends each, closed loop)');
    line('with 100-byte bodies of chat-like words (`--body-text words`) against `parley serve --search-index on`');
    line('and `--search-index off`, a fresh server each, in pairs run back to back (order alternating). Target:');
    line('with the index on, at least 85% of the acknowledged sends/s with it off.');
    line();
    line('```');
    for (const l of searchIndex.split('\n')) if (l.startsWith('search-index:')) line(l.replace(/^search-index: /, ''));
    line('```');
    line();
  }
  const searchIndexPg = read('search-index-postgres.txt');
  if (searchIndexPg) {
    line('The same pairs on PostgreSQL (`BENCH_SEARCH_STORE=postgres bench/search-index.sh`: a throwaway');
    line('PostgreSQL on the same cores, a fresh database each run; the lag is until every conversation\'s');
    line('`search_progress` reaches its `last_change_seq`):');
    line();
    line('```');
    for (const l of searchIndexPg.split('\n')) if (l.startsWith('search-index:')) line(l.replace(/^search-index: /, ''));
    line('```');
    line();
  }
  line('```');
  const searchCommand = search && search.match(/search-command: (.*)/);
  line(searchCommand ? searchCommand[1] : 'build/release/bench/parley-search-bench --messages 1000000');
  line('bench/search-index.sh 5');
  line('BENCH_SEARCH_STORE=postgres bench/search-index.sh 5');
  line('```');
  line();
  // The hand-written reading of these figures (what bounds them, what to change).
  const searchAnalysis = fs.existsSync('bench/search-analysis.md') ? fs.readFileSync('bench/search-analysis.md', 'utf8').trim() : null;
  if (searchAnalysis) {
    const fts = read('fts5-savepoint.txt');
    line(searchAnalysis.replace('FTS5_SAVEPOINT_RESULTS', fts ? fts.trim().split('\n').map((l) => l.replace(/^fts5-savepoint: /, '')).join('\n') : '(bench/results/fts5-savepoint.txt is missing)'));
    line();
  }
}

const analysis = fs.existsSync('bench/analysis.md') ? fs.readFileSync('bench/analysis.md', 'utf8').trim() : null;
if (analysis) {
  line('## What bounds the figures');
  line();
  line(analysis);
  line();
}

const profile = read('profile-fanout-parley.txt');
if (profile) {
  line('## Profile: Parley at fan-out saturation');
  line();
  line('`perf record -F 499 --call-graph dwarf -p PID` during a separate fanout-max run (so sampling');
  line('does not touch the figures above); `perf report --children --sort symbol`: time spent in each');
  line('function and what it calls (children), then in the function itself (self), as a share of all');
  line('samples of the server process:');
  line();
  line('```');
  line('children     self  symbol');
  for (const l of profile.split('\n')) {
    const m = l.trim().match(/^([0-9.]+%)\s+([0-9.]+%)\s+(.*)$/);
    if (m) line(`${m[1].padStart(8)} ${m[2].padStart(8)}  ${m[3].trim()}`);
  }
  line('```');
  const dso = read('profile-fanout-parley-dso.txt');
  if (dso) {
    line();
    line('By binary (kernel time is the network stack: syscalls, TCP over loopback, wakeups):');
    line();
    line('```');
    for (const l of dso.split('\n')) {
      const m = l.trim().match(/^([0-9.]+%)\s+(.*)$/);
      if (m) line(`${m[1].padStart(8)}  ${m[2].trim()}`);
    }
    line('```');
  }
  line();
}

line('## How to run');
line();
line('```sh');
line('make bench                      # everything: build, both servers, every scenario, this file');
line('BENCH_SCENARIOS="fanout-max" BENCH_TARGETS=parley BENCH_PROFILE=0 BENCH_HISTORY=0 make bench');
line('SEARCH_MESSAGES=100000 SEARCH_PAIRS=3 make bench  # a quicker search section (BENCH_SEARCH=0: none)');
line('```');
line();
line('By hand: start a server (`build/parley serve --listen 127.0.0.1:8080 --data-dir /tmp/p --password-cost minimal --rate-limit off`');
line('or `node bench/peers/socketio-node/server.js --port 3001`), then run the generator against it,');
line('`build/release/bench/parley-loadgen SCENARIO --target parley|peer --server HOST:PORT --server-pid PID`');
line('(`--help` lists every knob). It prints one JSON object; progress goes to stderr.');
line();
line('The exact commands of this run (each against a fresh server):');
line();
line('```');
for (const s of scenarios) {
  for (const t of ['parley', 'peer']) {
    const x = r[s][t];
    if (x && x.command) line(`${x.command}`);
  }
}
line('```');
line();
line('Raw results: `bench/results/<scenario>-<target>.json` (one object per run: options, connect phase,');
line('traffic with latency histograms summarized, server RSS and CPU, generator CPU).');
line();
line('### Scenarios');
line();
line('- **idle**: 10,000 sockets connect at once (a storm: every handshake started together, as after a');
line('  restart or a network blip), authenticate (CONNECT with the JWT) and each join one room of 100;');
line('  after 15 s of settle time, the server\'s RSS growth over its RSS before the first connection, per');
line('  connection (docs/operations.md, "Memory").');
line('- **storm**: 19,900 sockets connect and authenticate as fast as the server accepts them, 2 generator');
line('  processes with 256 handshakes in flight each, from 4 loopback source addresses; handshakes/s from');
line('  the first connect to the last CONNECT acknowledged.');
line('- **fanout-latency / fanout-max**: 10 rooms × 100 members, 5 senders per room sending `new_message`');
line('  with an ack at a fixed rate (open loop: a send is never delayed by the server; a sender with 64');
line('  unacknowledged sends skips and counts); 64-byte bodies carrying the send time, so every receiver');
line('  measures end-to-end latency. 500,000 and 4,000,000 deliveries/s offered.');
line('- **fanout-latency-room100**: the same 500,000 deliveries/s offered into one room of 100 (10 senders');
line('  at 500 messages/s): each socket receives 5,000 frames/s, so the server writes several per call');
line('  without waiting; the latency of the same delivery rate when fewer sockets share it.');
line('- **fanout-rooms1000**: 2 rooms × 1,000 members, 5 senders per room, 4,000,000 deliveries/s offered');
line('  from 4,000 messages/s: the fan-out itself, with a tenth of the commits.');
line('- **persist**: 64 senders, each in its own conversation (one other member, offline), 64 unacknowledged');
line('  `new_message` each (closed loop): acknowledged messages/s and ack latency through the commit.');
line('- **persist-postgres**: the same as persist with `--store postgres://...`, a throwaway PostgreSQL 15');
line('  server (scripts/pg-server.sh, fsync and synchronous_commit on) on the same two cores.');
line('- **persist-latency**: the same senders open loop at 781 sends/s each (50,000/s, spread over the');
line('  interval): the ack latency at half the persisted target.');
line();
fs.writeFileSync(outFile, out.join('\n'));
console.log(`report: wrote ${outFile}`);
