// A deliberately small WebSocket client over node:net for protocol tests: it shows every
// frame the server sends (text, binary, ping, close with its code) and can send anything,
// including frames a real client never would (unmasked, reserved bits, oversized control
// frames, bytes split at any point).
import net from 'node:net';
import { randomBytes } from 'node:crypto';

export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 };

export function encodeFrame({ opcode, payload = Buffer.alloc(0), fin = true, mask = true, rsv = 0 }) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const len = data.length;
  const head = [((fin ? 0x80 : 0) | (rsv << 4) | opcode) & 0xff];
  const m = mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len <= 0xffff) head.push(m | 126, len >> 8, len & 0xff);
  else {
    head.push(m | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(len));
    head.push(...big);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), data]);
  const key = randomBytes(4);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = data[i] ^ key[i & 3];
  return Buffer.concat([Buffer.from(head), key, masked]);
}

export class RawWebSocket {
  static connect(url, { headers = {}, timeoutMs = 5000 } = {}) {
    const u = new URL(url);
    const ws = new RawWebSocket();
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(u.port), u.hostname);
      ws.socket = socket;
      const key = randomBytes(16).toString('base64');
      const all = { Host: u.host, Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': key,
        'Sec-WebSocket-Version': '13', ...headers };
      const lines = Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      socket.on('connect', () => { socket.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\n${lines}\r\n`); });
      const timer = setTimeout(() => { socket.destroy(); reject(new Error('handshake timeout')); }, timeoutMs);
      let buffer = Buffer.alloc(0);
      const onData = (chunk) => {
        buffer = Buffer.concat([buffer, chunk]);
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString();
        const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]);
        socket.off('data', onData);
        clearTimeout(timer);
        if (status !== 101) {
          const rest = buffer.subarray(end + 4);
          socket.destroy();
          const error = new Error(`upgrade refused: ${status}`);
          error.status = status;
          error.body = rest.toString();
          return reject(error);
        }
        ws.head = head;  // the 101 answer's status line and headers
        ws.attach(buffer.subarray(end + 4));
        resolve(ws);
      };
      socket.on('data', onData);
      socket.on('error', (e) => { clearTimeout(timer); reject(e); });
    });
  }

  attach(initial) {
    this.buffer = Buffer.alloc(0);
    this.events = [];
    this.waiters = [];
    this.ended = false;
    this.closed = new Promise((res) => { this.resolveClosed = res; });
    this.socket.on('data', (chunk) => this.feed(chunk));
    this.socket.on('close', () => { this.ended = true; this.push({ type: 'end' }); this.resolveClosed(); });
    this.socket.on('error', () => {});
    if (initial.length) this.feed(initial);
  }

  feed(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 2) {
      const b0 = this.buffer[0];
      const b1 = this.buffer[1];
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) { if (this.buffer.length < 4) return; len = this.buffer.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (this.buffer.length < 10) return; len = Number(this.buffer.readBigUInt64BE(2)); off = 10; }
      if (b1 & 0x80) throw new Error('server frames must not be masked');
      if (this.buffer.length < off + len) return;
      const payload = this.buffer.subarray(off, off + len);
      this.buffer = this.buffer.subarray(off + len);
      const opcode = b0 & 0x0f;
      // RSV1: a permessage-deflate message, handed out as it came (the test inflates it).
      if ((b0 & 0x40) && (opcode === OP.text || opcode === OP.binary)) {
        this.push({ type: opcode === OP.text ? 'text' : 'binary', compressed: true, raw: Buffer.from(payload) });
        continue;
      }
      if (opcode === OP.text) this.push({ type: 'text', data: payload.toString('utf8') });
      else if (opcode === OP.binary) this.push({ type: 'binary', data: Buffer.from(payload) });
      else if (opcode === OP.close) this.push({ type: 'close', code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005 });
      else if (opcode === OP.ping) this.push({ type: 'ping', data: Buffer.from(payload) });
      else if (opcode === OP.pong) this.push({ type: 'pong', data: Buffer.from(payload) });
    }
  }

  push(event) {
    const waiter = this.waiters.shift();
    if (waiter) waiter(event); else this.events.push(event);
  }

  // The next event: {type: 'text'|'binary'|'close'|'ping'|'pong'|'end', data?, code?}.
  next(timeoutMs = 3000) {
    if (this.events.length) return Promise.resolve(this.events.shift());
    if (this.ended) return Promise.resolve({ type: 'end' });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wrapped);
        reject(new Error('no frame within ' + timeoutMs + ' ms'));
      }, timeoutMs);
      const wrapped = (e) => { clearTimeout(timer); resolve(e); };
      this.waiters.push(wrapped);
    });
  }

  // The next data message, skipping Engine.IO pings ("2") unless asked for.
  async nextMessage({ timeoutMs = 3000, skipPings = true } = {}) {
    for (;;) {
      const e = await this.next(timeoutMs);
      if (e.type === 'text' && skipPings && e.data === '2') continue;
      return e;
    }
  }

  // Resolves with the close code the server sent (or 'end' without one) once TCP closes.
  async waitClosed(timeoutMs = 3000) {
    let code = null;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const e = await this.next(Math.max(1, deadline - Date.now()));
      if (e.type === 'close') code = e.code;
      if (e.type === 'end') return code;
    }
  }

  sendText(text) { this.socket.write(encodeFrame({ opcode: OP.text, payload: Buffer.from(text) })); }
  sendBinary(bytes) { this.socket.write(encodeFrame({ opcode: OP.binary, payload: Buffer.from(bytes) })); }
  sendFrame(frame) { this.socket.write(encodeFrame(frame)); }
  sendRaw(bytes) { this.socket.write(bytes); }
  close(code = 1000) {
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.sendFrame({ opcode: OP.close, payload });
  }
  destroy() { this.socket.destroy(); }
}
