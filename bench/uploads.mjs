// Upload benchmark (issue 15): N clients each stream an M MB file to
// POST /api/uploads at once, against a release build on loopback, with the
// local media store in a temporary data folder. Prints the aggregate
// throughput and the server's resident memory (sampled every 20 ms, and the
// kernel's peak VmHWM), which should stay near its idle size: uploads stream
// through one 256 KiB buffer each, not the file.
// Usage: node bench/uploads.mjs [CLIENTS] [MB_EACH]   (PARLEY_BIN: the server)
// Summary lines: "uploads: X MB/s ..." and "uploads-rss: ...".
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const clients = Number(process.argv[2] ?? 20);
const mbEach = Number(process.argv[3] ?? 50);
const bin = process.env.PARLEY_BIN ?? 'build/parley';
const data = mkdtempSync(join(tmpdir(), 'parley-bench-uploads-'));

const server = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', data, '--password-cost', 'minimal',
  '--log-level', 'warn', '--rate-limit', 'off', '--max-upload', `${mbEach + 1}M`, '--upload-quota', '100G'],
{ stdio: ['ignore', 'pipe', 'inherit'] });
const killTimer = setTimeout(() => { console.error('uploads: timed out'); server.kill('SIGKILL'); process.exit(1); }, 600_000);
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = /running at (http:\/\/[^/]+)\//.exec(out);
    if (m) resolve(m[1]);
  });
  server.on('exit', (code) => reject(new Error(`parley exited with ${code}`)));
});

function memory() {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  const kb = (f) => Number(new RegExp(`^${f}:\\s+(\\d+) kB`, 'm').exec(status)[1]) / 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

async function post(path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url + path, { method: 'POST', headers, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

try {
  const register = (i) => post('/api/auth/register', { username: `up${i}`, email: `up${i}@example.com`, password: 'bench-password' });
  const reader = await register('reader');
  const users = [];
  for (let i = 0; i < clients; i++) {
    const user = await register(i);
    const conversation = await post('/api/conversations', { type: 'direct', memberIds: [reader.user.id] }, user.token);
    users.push({ token: user.token, conversation: conversation.conversation.id });
  }
  const piece = Buffer.alloc(1 << 20, 0x5a);
  const size = mbEach * piece.length;
  const idle = memory();
  let peak = idle.rss;
  const sampler = setInterval(() => { peak = Math.max(peak, memory().rss); }, 20);
  const started = process.hrtime.bigint();
  await Promise.all(users.map(async ({ token, conversation }, i) => {
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (sent >= size) return controller.close();
        controller.enqueue(piece);
        sent += piece.length;
      },
    });
    const res = await fetch(`${url}/api/uploads?conversationId=${conversation}&name=file${i}.bin`, {
      method: 'POST', body, duplex: 'half',
      headers: { authorization: `Bearer ${token}`, 'content-length': String(size) },
    });
    const json = await res.json();
    if (res.status !== 201 || json.attachment.size !== size) throw new Error(`upload ${i}: ${res.status} ${JSON.stringify(json)}`);
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  const end = memory();
  const total = (clients * size) / 1e6;
  console.log(`uploads: ${clients} clients x ${mbEach} MB in ${seconds.toFixed(2)} s`);
  console.log(`uploads: ${(total / seconds).toFixed(1)} MB/s`);
  console.log(`uploads-rss: idle ${idle.rss.toFixed(1)} MiB, peak sampled ${peak.toFixed(1)} MiB, VmHWM ${end.hwm.toFixed(1)} MiB (${(total / 1.048576).toFixed(0)} MiB uploaded)`);
} finally {
  clearTimeout(killTimer);
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(data, { recursive: true, force: true });
}
