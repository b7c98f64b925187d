// The issue-17 storm of refused handshakes: N WebSocket connections opened at once, each
// sending a Socket.IO CONNECT with a token that is not a JWT (answered CONNECT_ERROR); the
// server's RSS before, right after, and 15 s later (docs/operations.md, "Memory").
// Not part of `make bench`; run by hand against a fresh server:
//   node bench/storm-refused.mjs HOST:PORT SERVER_PID [N=10000]
// Sockets come from 127.0.0.2-5 so that 10,000 fit in the ephemeral port range.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
const [addr, pid, n] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] ?? 10000)];
const [host, port] = addr.split(':');
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const frame = (text) => { const d = Buffer.from(text); const k = randomBytes(4); const m = Buffer.alloc(d.length); for (let i = 0; i < d.length; i++) m[i] = d[i] ^ k[i & 3]; return Buffer.concat([Buffer.from([0x81, 0x80 | d.length]), k, m]); };
const before = rss();
let refused = 0, failed = 0;
const one = (i) => new Promise((resolve) => {
  const s = net.connect({ host, port: Number(port), localAddress: `127.0.0.${2 + (i % 4)}` });
  let buf = '';
  s.on('connect', () => s.write(`GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`));
  let sent = false;
  s.on('data', (c) => { buf += c.toString('latin1');
    if (!sent && buf.includes('0{')) { sent = true; s.write(frame('40{"token":"not-a-jwt"}')); }
    if (buf.includes('44{')) { refused++; s.destroy(); resolve(); } });
  s.on('error', () => { failed++; resolve(); });
  s.on('close', () => resolve());
});
const t0 = Date.now();
await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
const after = rss();
await new Promise((r) => setTimeout(r, 15000));
const settled = rss();
console.log(`refused ${refused} of ${n} (failed ${failed}) in ${((Date.now() - t0 - 15000) / 1000).toFixed(1)} s; RSS before ${(before/1024).toFixed(1)} MB, right after ${(after/1024).toFixed(1)} MB, 15 s later ${(settled/1024).toFixed(1)} MB`);
