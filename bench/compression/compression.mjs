// make bench's compression runs (scripts/bench.sh): the official socket.io-client, with
// or without perMessageDeflate (socket.io's default offer, threshold 1024), against one
// fresh server (Parley started with or without --ws-compression; the peer with or
// without perMessageDeflate).
//
//   traffic: M members connect over WebSocket and join one conversation; one of them sends
//            `rate` messages/s of `body` bytes of chat text for `duration` s; the figures
//            are, per delivered message, the bytes the clients' sockets read and the
//            server's CPU time, from the first send until every delivery arrived.
//   idle:    N sockets connect at once, authenticate and join rooms of 100; RSS growth per
//            connection after `settle` s (as the idle scenario, with compression on).
//
// Usage: node compression.mjs traffic|idle --target parley|peer --server HOST:PORT
//          --server-pid PID --compression on|off [--members 100 --rate 40 --duration 5
//          --body 2048 --connections 2000 --settle 15] --out FILE
import { io } from 'socket.io-client';
import { readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

const argv = process.argv.slice(2);
const mode = argv[0];
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const target = opt('target', 'parley');
const server = `http://${opt('server')}`;
const pid = Number(opt('server-pid'));
const compression = opt('compression', 'off') === 'on';
const members = Number(opt('members', 100));
const rate = Number(opt('rate', 40));
const duration = Number(opt('duration', 5));
const bodyBytes = Number(opt('body', 2048));
const connections = Number(opt('connections', 2000));
const settle = Number(opt('settle', 15));
const out = opt('out');

const log = (...a) => console.error(`compression ${mode}/${target}/${compression ? 'on' : 'off'}:`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ticks = Number(process.env.CLK_TCK ?? 100);
const cpuSeconds = () => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks;  // utime + stime
};
const rssKib = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

// Chat-like text: common words at random (compresses about as well as real messages).
const WORDS = ('the be to of and a in that have it for not on with he as you do at this but his by from they we say her she ' +
  'or an will my one all would there their what so up out if about who get which go me when make can like time no just him ' +
  'know take people into year your good some could them see other than then now look only come its over think also back ' +
  'after use two how our work first well way even new want because any these give day most us meeting tomorrow release ' +
  'server deploy review ticket customer message thanks please update build test done').split(' ');
let seed = 42;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
function chatText(bytes) {
  let text = '';
  while (text.length < bytes) text += WORDS[Math.floor(random() * WORDS.length)] + (random() < 0.1 ? '. ' : ' ');
  return text.slice(0, bytes);
}

async function post(path, body, token) {
  const res = await fetch(server + path, {
    method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

// Users and rooms of `size`: Parley registers them and makes group conversations; the
// peer takes any token as the user id and any conversation id.
async function setup(count, size) {
  const users = [];
  const run = `${Date.now() % 1e6}`;
  if (target === 'peer') {
    for (let i = 0; i < count; i++) users.push({ token: `u${i}`, id: `u${i}` });
  } else {
    for (let i = 0; i < count; i += 16) {
      const batch = [];
      for (let j = i; j < Math.min(count, i + 16); j++) {
        const username = `z${run}x${j}`;
        batch.push(post('/api/auth/register', { username, email: `${username}@example.com`, password: 'correct horse', displayName: username })
          .then((r) => ({ token: r.token, id: r.user.id })));
      }
      users.push(...await Promise.all(batch));
    }
  }
  const rooms = [];
  for (let i = 0; i < count; i += size) {
    const group = users.slice(i, i + size);
    if (target === 'peer') { rooms.push({ id: `room${i}`, users: group }); continue; }
    const created = await post('/api/conversations',
      { type: 'group', title: `bench ${i}`, memberIds: group.slice(1).map((u) => u.id) }, group[0].token);
    rooms.push({ id: created.conversation.id, users: group });
  }
  return rooms;
}

function connect(token) {
  const socket = io(server, {
    transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true,
    perMessageDeflate: compression ? { threshold: 1024 } : false,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

async function joinAll(rooms) {
  const sockets = await Promise.all(rooms.flatMap((room) => room.users.map(async (u) => {
    const s = await connect(u.token);
    const ack = await s.timeout(30000).emitWithAck('join_conversation', { conversationId: room.id });
    if (!ack.ok) throw new Error(`join: ${JSON.stringify(ack)}`);
    return s;
  })));
  return sockets;
}

const bytesRead = (sockets) => sockets.reduce((sum, s) => sum + (s.io.engine.transport.ws?._socket?.bytesRead ?? 0), 0);

async function traffic() {
  const [room] = await setup(members, members);
  const sockets = await joinAll([room]);
  const negotiated = sockets[0].io.engine.transport.ws.extensions;
  let delivered = 0;
  for (const s of sockets) s.on('new_message', () => { delivered += 1; });
  // A new text for every message: repeating one would flatter a compressor that keeps its
  // context from message to message.
  const bodies = Array.from({ length: Math.round(rate * duration) }, () => chatText(bodyBytes));
  const total = Math.round(rate * duration);
  await sleep(500);
  delivered = 0;
  const bytes0 = bytesRead(sockets);
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  let acked = 0;
  for (let i = 0; i < total; i++) {
    sockets[0].timeout(30000).emitWithAck('new_message', { conversationId: room.id, body: bodies[i], clientMsgId: randomUUID() })
      .then((a) => { if (a.ok) acked += 1; }, () => {});
    await sleep(Math.max(0, t0 + ((i + 1) * 1000) / rate - performance.now()));
  }
  const deadline = performance.now() + 30000;
  while (delivered < total * members && performance.now() < deadline) await sleep(20);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - cpu0;
  const bytes = bytesRead(sockets) - bytes0;
  for (const s of sockets) s.close();
  const result = {
    scenario: 'compression-traffic', target, compression, negotiated, members, rate, duration_s: duration,
    body_bytes: bodyBytes, messages: total, acked, delivered, seconds: +seconds.toFixed(3),
    wire_bytes_per_delivery: Math.round(bytes / Math.max(delivered, 1)),
    server_cpu_us_per_delivery: +((cpu * 1e6) / Math.max(delivered, 1)).toFixed(2),
    server_cpu_s: +cpu.toFixed(3),
  };
  log(`${delivered} of ${total * members} delivered, ${result.wire_bytes_per_delivery} B and ` +
      `${result.server_cpu_us_per_delivery} µs server CPU per delivery (${negotiated || 'no extension'})`);
  return result;
}

async function idle() {
  const rooms = await setup(connections, 100);
  await sleep(1000);
  const before = rssKib();
  const sockets = await joinAll(rooms);  // every handshake started at once
  const connected = rssKib();
  await sleep(settle * 1000);
  const after = rssKib();
  const negotiated = sockets[0].io.engine.transport.ws.extensions;
  for (const s of sockets) s.close();
  const result = {
    scenario: 'compression-idle', target, compression, negotiated, connections: sockets.length, settle_s: settle,
    rss_before_kib: before, rss_connected_kib: connected, rss_after_kib: after,
    rss_per_connection_bytes: Math.round(((after - before) * 1024) / sockets.length),
  };
  log(`${sockets.length} connected, ${result.rss_per_connection_bytes} B RSS per connection after ${settle} s (${negotiated || 'no extension'})`);
  return result;
}

const result = mode === 'idle' ? await idle() : await traffic();
result.command = `node bench/compression/compression.mjs ${argv.filter((a, i) => !['--server', '--server-pid', '--out'].includes(argv[i - 1]) && !['--server', '--server-pid', '--out'].includes(a)).join(' ')}`;
if (out) writeFileSync(out, JSON.stringify(result, null, 1) + '\n');
process.exit(0);
