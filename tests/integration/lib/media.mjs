// Helpers for the media suites: uploads (buffered, chunked, raw), the files a
// server keeps under its data dir, the memory of its process, and small images
// made here (a PNG encoder of a few lines; one JPEG, 64x48, made with libjpeg).
import { createConnection } from 'node:net';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

export const JPEG_64x48 = Buffer.from('/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAAwAEADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwD57htOnFXYrT2rSitParsVp04r7WeJOLC4szYrT2q5Fae1acVp7VditPauOpiT6XC4szIrT2q7DadOK0orT2q7Fae1cU8SfSYXFmbFae1XIrTpxWnDadOKuxWntXHPEn0uFxZwsNp04q5Fae1acVp7VdhtOnFb1MSfzXhcWZkNp04q7Fae1aUVp7VditPauKeJPpcLizNitParkNp04rTitParsVp7Vx1MSfSYXFmZFae1XYbTpxWnFadOKuRWntXHUxJ9LhcWcLFadOKuxWntWnFae1XIbTpxW88SfzXhcX5mbFadOKuxWntWlFae1XYrT2riqYk+kwuL8zMitParsVp7VpxWntVyK09q454k+lwuL8zNitParsNp04rShtOnFXYrT2rjniT6TC4vzP/Z', 'base64');

// A JPEG cut a few bytes into its scan data: the header is fine, the pixels are not there.
export function truncatedJpeg() {
  const sos = JPEG_64x48.indexOf(Buffer.from([0xff, 0xda]));
  return JPEG_64x48.subarray(0, sos + 20);
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

// An RGB PNG of width x height; only `rows` rows of pixel data are encoded
// (all of them by default): fewer makes a header that promises more than it has.
export function png(width, height, { rows = height } = {}) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const raw = Buffer.alloc(rows * (1 + width * 3));
  for (let y = 0; y < rows; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = (x * 255) / width;
      raw[row + 2 + x * 3] = (y * 255) / height;
      raw[row + 3 + x * 3] = 100;
    }
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// POST /api/uploads with the body in memory (Content-Length).
export async function upload(baseUrl, token, conversationId, name, body, { contentType = 'application/octet-stream' } = {}) {
  const query = new URLSearchParams({ conversationId, name });
  const headers = { 'content-type': contentType };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${baseUrl}/api/uploads?${query}`, { method: 'POST', headers, body });
  const text = await response.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: response.status, headers: response.headers, json, text };
}

// Sends a request by hand on a fresh connection: `head` (the request line and
// headers, without the blank line), then each piece of `body` in turn, and
// resolves with everything the server sent once it closes the connection or
// after `settleMs` of quiet after a full response head.
export function rawRequest(port, head, body = [], { settleMs = 300, timeoutMs = 15_000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let received = '';
    let quiet;
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer within ${timeoutMs} ms: ${received}`)); }, timeoutMs);
    const done = () => { clearTimeout(timer); clearTimeout(quiet); socket.destroy(); resolve(received); };
    socket.on('data', (d) => {
      received += d.toString('latin1');
      clearTimeout(quiet);
      if (received.includes('\r\n\r\n')) quiet = setTimeout(done, settleMs);
    });
    socket.on('close', done);
    socket.on('error', () => {}); // a reset after the answer: the answer is what counts
    socket.write(`${head}\r\n\r\n`);
    for (const piece of body) socket.write(piece);
  });
}

// Every file under dir (recursively), as paths relative to it; [] if absent.
export function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  const walk = (d, prefix) => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${entry}/`);
      else out.push(`${prefix}${entry}`);
    }
  };
  walk(dir, '');
  return out;
}

// VmRSS and VmHWM of a process, in bytes.
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)[1]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}
