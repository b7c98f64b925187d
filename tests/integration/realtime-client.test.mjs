// The official socket.io-client 4.8 against `parley conformance`, over WebSocket only,
// HTTP long-polling only, and polling upgraded to WebSocket: acks both ways, binary both
// ways, 1 MB UTF-8 strings, two namespaces on one connection, refused connects, and
// automatic reconnection across a server restart.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io, Manager } from 'socket.io-client';
import { ConformanceServer } from './lib/conformance.mjs';

const MODES = {
  websocket: { transports: ['websocket'] },
  polling: { transports: ['polling'], upgrade: false },
  upgrade: { transports: ['polling', 'websocket'], upgrade: true },
};

const once = (emitter, event, timeoutMs = 5000) => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no '${event}' within ${timeoutMs} ms`)), timeoutMs);
  emitter.once(event, (...args) => { clearTimeout(timer); resolve(args); });
});

// Resolves once the connection runs on WebSocket (the upgrade may already be done).
async function upgraded(socket) {
  if (socket.io.engine.transport.name !== 'websocket') await once(socket.io.engine, 'upgrade');
}

// A string of exactly `bytes` UTF-8 bytes mixing 1- to 4-byte characters.
function utf8String(bytes) {
  const unit = 'aé€😀';  // 1 + 2 + 3 + 4 bytes
  return unit.repeat(Math.floor(bytes / 10)) + 'a'.repeat(bytes % 10);
}

const server = new ConformanceServer();
before(async () => { await server.start(); });
after(async () => { await server.stopCleanly(); });

for (const [mode, transportOptions] of Object.entries(MODES)) {
  describe(`socket.io-client over ${mode}`, () => {
    const sockets = [];
    const connect = (nsp = '/', options = {}) => {
      const socket = io(server.url + nsp, { ...transportOptions, forceNew: true, reconnection: false, ...options });
      sockets.push(socket);
      return socket;
    };
    after(() => { for (const socket of sockets) socket.close(); });

    it('connects, hands over the auth payload, and uses the expected transport', async () => {
      const socket = connect('/', { auth: { token: 'secret' } });
      const [auth] = await once(socket, 'auth');
      assert.deepEqual(auth, { token: 'secret' });
      assert.ok(socket.connected);
      assert.equal(typeof socket.id, 'string');
      if (mode === 'upgrade') await upgraded(socket);
      assert.equal(socket.io.engine.transport.name, mode === 'polling' ? 'polling' : 'websocket');
    });

    it('acks client → server and server → client', async () => {
      const socket = connect();
      await once(socket, 'connect');
      const ackArgs = await new Promise((resolve) => socket.emit('message-with-ack', 1, '2', { 3: [false] }, (...args) => resolve(args)));
      assert.deepEqual(ackArgs, [1, '2', { 3: [false] }]);
      assert.deepEqual(await socket.timeout(3000).emitWithAck('message-with-ack', 'only'), 'only');

      socket.on('ack-request', (...args) => {
        const callback = args.pop();
        callback('pong', ...args);
      });
      socket.emit('request-ack', 'ping', 42);
      const response = await once(socket, 'ack-response');
      assert.deepEqual(response, ['pong', 'ping', 42]);
    });

    it('sends binary both ways, also inside objects and with acks', async () => {
      const socket = connect();
      await once(socket, 'connect');
      const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
      socket.emit('message', bytes, { nested: [bytes, 'text'] });
      const [first, second] = await once(socket, 'message-back');
      assert.deepEqual(Buffer.from(first), bytes);
      assert.deepEqual(Buffer.from(second.nested[0]), bytes);
      assert.equal(second.nested[1], 'text');
      const acked = await new Promise((resolve) => socket.emit('message-with-ack', bytes, (...args) => resolve(args)));
      assert.deepEqual(Buffer.from(acked[0]), bytes);
      // Server → client ack carrying binary.
      socket.on('ack-request', (...args) => args.pop()(Buffer.from('back')));
      socket.emit('request-ack', bytes);
      const [ackBytes] = await once(socket, 'ack-response');
      assert.deepEqual(Buffer.from(ackBytes), Buffer.from('back'));
    });

    it('carries UTF-8 strings of about 1 MB intact', async () => {
      const socket = connect();
      await once(socket, 'connect');
      const text = utf8String(999_000);
      assert.equal(Buffer.byteLength(text), 999_000);
      socket.emit('message', text);
      const [echoed] = await once(socket, 'message-back', 10_000);
      assert.equal(echoed.length, text.length);
      assert.ok(echoed === text);
    });

    it('joins two namespaces over one connection', async () => {
      const manager = new Manager(server.url, { ...transportOptions, reconnection: false });
      const main = manager.socket('/', { auth: { who: 'main' } });
      const custom = manager.socket('/custom', { auth: { who: 'custom' } });
      sockets.push(main, custom);
      after(() => manager.engine?.close());
      main.connect();
      custom.connect();
      const [[mainAuth], [customAuth]] = await Promise.all([once(main, 'auth'), once(custom, 'auth')]);
      assert.deepEqual(mainAuth, { who: 'main' });
      assert.deepEqual(customAuth, { who: 'custom' });
      assert.equal(main.io.engine.id, custom.io.engine.id);
      custom.emit('message', 'to custom');
      main.emit('message', 'to main');
      const [[fromCustom], [fromMain]] = await Promise.all([once(custom, 'message-back'), once(main, 'message-back')]);
      assert.equal(fromCustom, 'to custom');
      assert.equal(fromMain, 'to main');
      // Leaving one namespace keeps the other.
      custom.disconnect();
      main.emit('message', 'still here');
      assert.deepEqual(await once(main, 'message-back'), ['still here']);
    });

    it('is refused by an unknown namespace', async () => {
      const socket = connect('/random');
      const [error] = await once(socket, 'connect_error');
      assert.equal(error.message, 'Invalid namespace');
      assert.equal(socket.connected, false);
    });

    it('keeps order across many events', async () => {
      const socket = connect();
      await once(socket, 'connect');
      const received = [];
      const done = new Promise((resolve) => socket.on('message-back', (n) => { received.push(n); if (received.length === 200) resolve(); }));
      for (let i = 0; i < 200; i++) socket.emit('message', i);
      await done;
      assert.deepEqual(received, Array.from({ length: 200 }, (_, i) => i));
    });
  });
}

describe('automatic reconnection', () => {
  for (const [mode, transportOptions] of Object.entries(MODES)) {
    it(`reconnects over ${mode} after the server restarts`, async () => {
      const own = await new ConformanceServer().start();
      const socket = io(own.url, { ...transportOptions, forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 200 });
      try {
        await once(socket, 'connect');
        if (mode === 'upgrade') await upgraded(socket);
        const port = own.port;
        const disconnected = once(socket, 'disconnect');
        await own.stop();
        const [reason] = await disconnected;
        // A poll in flight gets the close packet ("transport close"); between two polls the
        // client only sees its next request fail ("transport error").
        assert.ok(reason === 'transport close' || (mode === 'polling' && reason === 'transport error'), reason);
        const again = new ConformanceServer({ port });
        await again.start();
        try {
          await once(socket, 'connect', 10_000);
          socket.emit('message', 'after restart');
          assert.deepEqual(await once(socket, 'message-back'), ['after restart']);
        } finally {
          socket.close();
          await again.stopCleanly();
        }
      } finally {
        socket.close();
        await own.stop();
      }
    });
  }
});
