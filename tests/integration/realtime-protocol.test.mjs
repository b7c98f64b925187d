// Raw Engine.IO v4 / Socket.IO v5 protocol checks against `parley conformance`: the same
// assertions as the official test suites (socketio/engine.io-protocol and
// socketio/socket.io-protocol test-suite/test-suite.js), written for node:test, plus the
// limits and edge cases those suites leave out.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ConformanceServer } from './lib/conformance.mjs';
import { RawWebSocket, OP } from './lib/rawws.mjs';

const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const server = new ConformanceServer();
let URL_ = '';
let WS_URL = '';
before(async () => { await server.start(); URL_ = server.url; WS_URL = server.wsUrl; });
after(async () => { await server.stopCleanly(); });

async function openPolling(path = 'engine.io') {
  const response = await fetch(`${URL_}/${path}/?EIO=4&transport=polling`);
  const content = await response.text();
  return JSON.parse(content.substring(1)).sid;
}
const poll = (sid, path = 'engine.io', extra = '') => fetch(`${URL_}/${path}/?EIO=4&transport=polling&sid=${sid}${extra}`);
const push = (sid, body, path = 'engine.io') =>
  fetch(`${URL_}/${path}/?EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body });

function checkHandshake(value, upgrades) {
  assert.deepEqual(Object.keys(value).sort(), ['maxPayload', 'pingInterval', 'pingTimeout', 'sid', 'upgrades']);
  assert.equal(typeof value.sid, 'string');
  assert.deepEqual(value.upgrades, upgrades);
  assert.equal(value.pingInterval, PING_INTERVAL);
  assert.equal(value.pingTimeout, PING_TIMEOUT);
  assert.equal(value.maxPayload, 1000000);
}

for (const path of ['engine.io', 'socket.io']) {
  describe(`Engine.IO at /${path}/`, () => {
    describe('handshake', () => {
      it('opens a polling session', async () => {
        const response = await fetch(`${URL_}/${path}/?EIO=4&transport=polling`);
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type'), /^text\/plain/);
        const content = await response.text();
        assert.ok(content.startsWith('0'));
        checkHandshake(JSON.parse(content.substring(1)), ['websocket']);
      });

      it('refuses a bad EIO, transport, method or sid with the reference error codes', async () => {
        const cases = [
          [`?transport=polling`, 'GET', 5],
          [`?EIO=abc&transport=polling`, 'GET', 5],
          [`?EIO=3&transport=polling`, 'GET', 5],
          [`?EIO=4`, 'GET', 0],
          [`?EIO=4&transport=abc`, 'GET', 0],
          [`?EIO=4&transport=polling`, 'POST', 2],
          [`?EIO=4&transport=polling`, 'PUT', 2],
          [`?EIO=4&transport=websocket`, 'GET', 3],
          [`?EIO=4&transport=polling&sid=nope`, 'GET', 1],
          [`?EIO=4&transport=polling&sid=AAAAAAAAAAAA`, 'GET', 1],
        ];
        for (const [query, method, code] of cases) {
          const response = await fetch(`${URL_}/${path}/${query}`, { method });
          assert.equal(response.status, 400, `${method} ${query}`);
          const body = await response.json();
          assert.equal(body.code, code, `${method} ${query}`);
          assert.equal(typeof body.message, 'string');
        }
      });

      it('opens a WebSocket session', async () => {
        const ws = await RawWebSocket.connect(`${WS_URL}/${path}/?EIO=4&transport=websocket`);
        const open = await ws.next();
        assert.equal(open.type, 'text');
        assert.ok(open.data.startsWith('0'));
        checkHandshake(JSON.parse(open.data.substring(1)), []);
        ws.destroy();
      });

      it('refuses a WebSocket with a bad EIO or transport', async () => {
        for (const query of ['?transport=websocket', '?EIO=abc&transport=websocket', '?EIO=4', '?EIO=4&transport=abc']) {
          await assert.rejects(RawWebSocket.connect(`${WS_URL}/${path}/${query}`), (e) => e.status === 400, query);
        }
      });

      it('answers a CORS preflight and sets the CORS header on every answer', async () => {
        const preflight = await fetch(`${URL_}/${path}/?EIO=4&transport=polling`, {
          method: 'OPTIONS', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' },
        });
        assert.equal(preflight.status, 204);
        assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
        assert.match(preflight.headers.get('access-control-allow-methods'), /POST/);
        const bad = await fetch(`${URL_}/${path}/?EIO=9&transport=polling`, { headers: { origin: 'https://x.example' } });
        assert.equal(bad.headers.get('access-control-allow-origin'), '*');
      });
    });

    describe('heartbeat', () => {
      it('sends pings on polling and keeps the session alive with pongs', async () => {
        const sid = await openPolling(path);
        for (let i = 0; i < 3; i++) {
          const pollResponse = await poll(sid, path);
          assert.equal(pollResponse.status, 200);
          assert.equal(await pollResponse.text(), '2');
          const pushResponse = await push(sid, '3', path);
          assert.equal(pushResponse.status, 200);
          assert.equal(await pushResponse.text(), 'ok');
        }
      });

      it('closes a polling session without pong after pingInterval + pingTimeout', async () => {
        const sid = await openPolling(path);
        await sleep(PING_INTERVAL + PING_TIMEOUT);
        const pollResponse = await poll(sid, path);
        assert.equal(pollResponse.status, 400);
      });

      it('sends pings on WebSocket', async () => {
        const ws = await RawWebSocket.connect(`${WS_URL}/${path}/?EIO=4&transport=websocket`);
        await ws.next();
        const started = Date.now();
        for (let i = 0; i < 3; i++) {
          const ping = await ws.next();
          assert.equal(ping.data, '2');
          ws.sendText('3');
        }
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 3 * PING_INTERVAL - 40 && elapsed < 3 * PING_INTERVAL + 300, `3 pings in ${elapsed} ms`);
        ws.destroy();
      });

      it('closes a WebSocket session without pong', async () => {
        const ws = await RawWebSocket.connect(`${WS_URL}/${path}/?EIO=4&transport=websocket`);
        const started = Date.now();
        await ws.waitClosed(3000);
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= PING_INTERVAL + PING_TIMEOUT - 40, `closed after ${elapsed} ms`);
      });
    });

    describe('close', () => {
      it('ends a pending poll with a noop when the client closes', async () => {
        const sid = await openPolling(path);
        const [pollResponse, pushResponse] = await Promise.all([poll(sid, path), sleep(20).then(() => push(sid, '1', path))]);
        assert.equal(pollResponse.status, 200);
        assert.equal(await pollResponse.text(), '6');
        assert.equal(pushResponse.status, 200);
        assert.equal((await poll(sid, path)).status, 400);
      });

      it('closes a WebSocket session on a close packet', async () => {
        const ws = await RawWebSocket.connect(`${WS_URL}/${path}/?EIO=4&transport=websocket`);
        await ws.next();
        ws.sendText('1');
        assert.equal(await ws.waitClosed(), 1000);
      });
    });

    describe('upgrade', () => {
      it('ignores polling requests and a second WebSocket after the upgrade', async () => {
        const sid = await openPolling(path);
        const ws = await RawWebSocket.connect(`${WS_URL}/${path}/?EIO=4&transport=websocket&sid=${sid}`);
        ws.sendText('2probe');
        assert.equal((await ws.next()).data, '3probe');
        ws.sendText('5');
        await sleep(20);
        assert.equal((await poll(sid, path)).status, 400);
        // The suites' "ignores WebSocket connection with same sid after upgrade": the handshake
        // completes, then the server closes that connection without any Engine.IO packet.
        const second = await RawWebSocket.connect(`${WS_URL}/${path}/?EIO=4&transport=websocket&sid=${sid}`);
        assert.deepEqual(await second.next(), { type: 'close', code: 1000 });
        assert.equal(await second.waitClosed(), null);
        // The session stays on its first WebSocket: it is still pinged there and answers.
        assert.deepEqual(await ws.next(), { type: 'text', data: '2' });
        ws.sendText('3');
        assert.deepEqual(await ws.next(), { type: 'text', data: '2' });
        ws.destroy();
      });

      it('ignores a second WebSocket with the same sid while a probe is in progress', async () => {
        const sid = await openPolling(path);
        const probe = await RawWebSocket.connect(`${WS_URL}/${path}/?EIO=4&transport=websocket&sid=${sid}`);
        probe.sendText('2probe');
        assert.equal((await probe.next()).data, '3probe');
        const second = await RawWebSocket.connect(`${WS_URL}/${path}/?EIO=4&transport=websocket&sid=${sid}`);
        assert.deepEqual(await second.next(), { type: 'close', code: 1000 });
        // The first probe still completes the upgrade.
        probe.sendText('5');
        assert.deepEqual(await probe.next(), { type: 'text', data: '2' });
        probe.destroy();
      });

      it('refuses a WebSocket with an unknown sid with 400', async () => {
        await assert.rejects(RawWebSocket.connect(`${WS_URL}/${path}/?EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA`),
          (e) => e.status === 400);
      });
    });
  });
}

describe('Engine.IO echo (/engine.io/)', () => {
  it('sends and receives one, several, and text with binary packets over polling', async () => {
    for (const body of ['4hello', '4test1\x1e4test2\x1e4test3', '4hello\x1ebAQIDBA==', '4€ 亜 Б 😀']) {
      const sid = await openPolling();
      const pushResponse = await push(sid, body);
      assert.equal(pushResponse.status, 200);
      assert.equal(await pushResponse.text(), 'ok');
      const pollResponse = await poll(sid);
      assert.equal(pollResponse.status, 200);
      assert.equal(await pollResponse.text(), body);
    }
  });

  it('closes the session on an invalid polling payload', async () => {
    for (const body of ['abc', '', '4a\x1e', 'b!!!!']) {
      const sid = await openPolling();
      const pushResponse = await push(sid, body);
      assert.equal(pushResponse.status, 400, JSON.stringify(body));
      assert.equal((await poll(sid)).status, 400);
    }
  });

  it('refuses overlapping polls: the first gets the close packet, the second 400', async () => {
    const sid = await openPolling();
    const responses = await Promise.all([poll(sid), sleep(5).then(() => poll(sid, 'engine.io', '&t=burst'))]);
    assert.equal(responses[0].status, 200);
    assert.equal(await responses[0].text(), '1');
    assert.equal(responses[1].status, 400);
    assert.equal((await poll(sid)).status, 400);
  });

  it('closes the session when a poll is cancelled and another arrives', async () => {
    const sid = await openPolling();
    const controller = new AbortController();
    poll(sid, 'engine.io').catch(() => {});
    fetch(`${URL_}/engine.io/?EIO=4&transport=polling&sid=${sid}`, { signal: controller.signal }).catch(() => {});
    await sleep(5);
    controller.abort();
    assert.equal((await poll(sid)).status, 400);
  });

  it('answers 413 to a POST larger than maxPayload and closes the session', async () => {
    const sid = await openPolling();
    const response = await push(sid, '4' + 'x'.repeat(1000000));
    assert.equal(response.status, 413);
    assert.equal((await poll(sid)).status, 400);
    // Exactly maxPayload bytes is fine.
    const sid2 = await openPolling();
    const ok = await push(sid2, '4' + 'y'.repeat(999999));
    assert.equal(ok.status, 200);
    assert.equal((await (await poll(sid2)).text()).length, 1000000);
  });

  it('echoes text and binary over WebSocket', async () => {
    const ws = await RawWebSocket.connect(`${WS_URL}/engine.io/?EIO=4&transport=websocket`);
    await ws.next();
    ws.sendText('4hello');
    assert.deepEqual(await ws.nextMessage(), { type: 'text', data: '4hello' });
    ws.sendBinary([1, 2, 3, 4]);
    assert.deepEqual(await ws.nextMessage(), { type: 'binary', data: Buffer.from([1, 2, 3, 4]) });
    ws.sendText('bAQIDBA==');  // base64 binary in a text frame
    assert.deepEqual(await ws.nextMessage(), { type: 'binary', data: Buffer.from([1, 2, 3, 4]) });
    ws.destroy();
  });

  it('closes the session on an invalid packet over WebSocket', async () => {
    const ws = await RawWebSocket.connect(`${WS_URL}/engine.io/?EIO=4&transport=websocket`);
    await ws.next();
    ws.sendText('abc');
    assert.notEqual(await ws.waitClosed(), null);
  });

  it('upgrades polling to WebSocket and flushes what was queued', async () => {
    const sid = await openPolling();
    const ws = await RawWebSocket.connect(`${WS_URL}/engine.io/?EIO=4&transport=websocket&sid=${sid}`);
    ws.sendText('2probe');
    assert.equal((await ws.next()).data, '3probe');
    const pollResponse = await poll(sid);
    assert.equal(pollResponse.status, 200);
    assert.equal(await pollResponse.text(), '6');
    // Queued on polling during the upgrade, delivered on the WebSocket after it.
    assert.equal((await push(sid, '4queued')).status, 200);
    ws.sendText('5');
    assert.equal((await ws.nextMessage()).data, '4queued');
    ws.sendText('4hello');
    assert.equal((await ws.nextMessage()).data, '4hello');
    ws.destroy();
  });

  it('upgrades whichever IO thread the polling requests and the WebSocket land on', async () => {
    // With two IO threads (SO_REUSEPORT), requests of one session arrive on either thread
    // and are forwarded to the owner; so is the upgraded socket. Twenty rounds make both
    // paths all but certain.
    for (let i = 0; i < 20; i++) {
      const sid = await openPolling();
      assert.equal((await push(sid, `4round${i}`)).status, 200);
      assert.equal(await (await poll(sid)).text(), `4round${i}`);
      const ws = await RawWebSocket.connect(`${WS_URL}/engine.io/?EIO=4&transport=websocket&sid=${sid}`);
      ws.sendText('2probe');
      assert.equal((await ws.next()).data, '3probe');
      ws.sendText('5');
      ws.sendText(`4ws${i}`);
      assert.equal((await ws.nextMessage()).data, `4ws${i}`);
      ws.destroy();
    }
  });

  it('answers a pending poll with a noop when the probe arrives', async () => {
    const sid = await openPolling();
    const pending = poll(sid);
    await sleep(20);
    const ws = await RawWebSocket.connect(`${WS_URL}/engine.io/?EIO=4&transport=websocket&sid=${sid}`);
    ws.sendText('2probe');
    assert.equal((await ws.next()).data, '3probe');
    assert.equal(await (await pending).text(), '6');
    ws.sendText('5');
    ws.sendText('4after');
    assert.equal((await ws.nextMessage()).data, '4after');
    ws.destroy();
  });
});

describe('WebSocket framing (RFC 6455)', () => {
  async function open() {
    const ws = await RawWebSocket.connect(`${WS_URL}/engine.io/?EIO=4&transport=websocket`);
    await ws.next();
    return ws;
  }

  it('reassembles fragmented messages with control frames in between, and bytes split anywhere', async () => {
    const ws = await open();
    ws.sendFrame({ opcode: OP.text, payload: '4he', fin: false });
    ws.sendFrame({ opcode: OP.ping, payload: 'x' });
    ws.sendFrame({ opcode: OP.continuation, payload: 'll', fin: false });
    ws.sendFrame({ opcode: OP.continuation, payload: 'o €', fin: true });
    assert.deepEqual(await ws.next(), { type: 'pong', data: Buffer.from('x') });
    assert.equal((await ws.nextMessage()).data, '4hello €');
    // One message written a byte at a time.
    const { encodeFrame } = await import('./lib/rawws.mjs');
    const bytes = encodeFrame({ opcode: OP.text, payload: '4' + 'z'.repeat(300) });
    for (const b of bytes) { ws.sendRaw(Buffer.from([b])); }
    assert.equal((await ws.nextMessage()).data, '4' + 'z'.repeat(300));
    ws.destroy();
  });

  const violations = [
    ['an unmasked frame', { opcode: OP.text, payload: '4x', mask: false }, 1002],
    ['reserved bits', { opcode: OP.text, payload: '4x', rsv: 4 }, 1002],
    ['a reserved opcode', { opcode: 3, payload: '4x' }, 1002],
    ['a fragmented ping', { opcode: OP.ping, payload: 'x', fin: false }, 1002],
    ['a control frame over 125 bytes', { opcode: OP.ping, payload: 'x'.repeat(126) }, 1002],
    ['a continuation without a message', { opcode: OP.continuation, payload: 'x' }, 1002],
    ['invalid UTF-8 in a text message', { opcode: OP.text, payload: Buffer.from([0x34, 0xc3, 0x28]) }, 1007],
    ['a message over maxPayload', { opcode: OP.binary, payload: Buffer.alloc(1000001) }, 1009],
  ];
  for (const [name, frame, code] of violations) {
    it(`closes with ${code} on ${name}`, async () => {
      const ws = await open();
      ws.sendFrame(frame);
      assert.equal(await ws.waitClosed(), code);
    });
  }

  it('answers a close frame with the same code', async () => {
    const ws = await open();
    ws.close(4000);
    assert.equal(await ws.waitClosed(), 4000);
  });

  it('refuses an upgrade with a bad Sec-WebSocket-Version', async () => {
    await assert.rejects(
      RawWebSocket.connect(`${WS_URL}/engine.io/?EIO=4&transport=websocket`, { headers: { 'Sec-WebSocket-Version': '8' } }),
      (e) => e.status === 400 || e.status === 426);
  });
});

describe('Socket.IO protocol (/socket.io/)', () => {
  async function connect(packet = '40') {
    const ws = await RawWebSocket.connect(`${WS_URL}/socket.io/?EIO=4&transport=websocket`);
    await ws.next();  // Engine.IO handshake
    ws.sendText(packet);
    return ws;
  }
  async function initSocketIO() {
    const ws = await connect();
    await ws.nextMessage();  // Socket.IO handshake
    await ws.nextMessage();  // auth
    return ws;
  }

  it('connects to the main namespace, with and without a payload', async () => {
    for (const [packet, auth] of [['40', '{}'], ['40{"token":"123"}', '{"token":"123"}']]) {
      const ws = await connect(packet);
      const { data } = await ws.nextMessage();
      assert.ok(data.startsWith('40'));
      assert.deepEqual(Object.keys(JSON.parse(data.substring(2))), ['sid']);
      assert.equal((await ws.nextMessage()).data, `42["auth",${auth}]`);
      ws.destroy();
    }
  });

  it('connects to a custom namespace, with and without a payload', async () => {
    for (const [packet, auth] of [['40/custom,', '{}'], ['40/custom,{"token":"abc"}', '{"token":"abc"}']]) {
      const ws = await connect(packet);
      const { data } = await ws.nextMessage();
      assert.ok(data.startsWith('40/custom,'));
      assert.equal(typeof JSON.parse(data.substring(10)).sid, 'string');
      assert.equal((await ws.nextMessage()).data, `42/custom,["auth",${auth}]`);
      ws.destroy();
    }
  });

  it('refuses an unknown namespace', async () => {
    const ws = await connect('40/random');
    assert.equal((await ws.nextMessage()).data, '44/random,{"message":"Invalid namespace"}');
    ws.destroy();
  });

  it('closes the connection on an invalid handshake', async () => {
    const ws = await connect('4abc');
    assert.notEqual(await ws.waitClosed(), undefined);
  });

  it('closes the connection when no namespace is joined within connectTimeout', async () => {
    const ws = await RawWebSocket.connect(`${WS_URL}/socket.io/?EIO=4&transport=websocket`);
    await ws.next();
    const started = Date.now();
    for (;;) {
      const e = await ws.next(3000);
      if (e.type === 'text' && e.data === '2') { ws.sendText('3'); continue; }
      if (e.type === 'end') break;
    }
    const elapsed = Date.now() - started;
    assert.ok(elapsed > 900 && elapsed < 1600, `closed after ${elapsed} ms`);
  });

  it('keeps the connection after the main namespace disconnects', async () => {
    const ws = await initSocketIO();
    ws.sendText('41');
    assert.equal((await ws.nextMessage({ skipPings: false })).data, '2');
    ws.destroy();
  });

  it('connects then disconnects a custom namespace, keeping the main one', async () => {
    const ws = await initSocketIO();
    ws.sendText('40/custom');
    await ws.nextMessage();
    await ws.nextMessage();
    ws.sendText('41/custom');
    ws.sendText('42["message","message to main namespace"]');
    assert.equal((await ws.nextMessage()).data, '42["message-back","message to main namespace"]');
    ws.destroy();
  });

  it('echoes a plain-text event', async () => {
    const ws = await initSocketIO();
    ws.sendText('42["message",1,"2",{"3":[true]}]');
    assert.equal((await ws.nextMessage()).data, '42["message-back",1,"2",{"3":[true]}]');
    ws.destroy();
  });

  it('echoes an event with binary attachments', async () => {
    const ws = await initSocketIO();
    ws.sendText('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    ws.sendBinary([1, 2, 3]);
    ws.sendBinary([4, 5, 6]);
    assert.equal((await ws.nextMessage()).data, '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    assert.deepEqual((await ws.nextMessage()).data, Buffer.from([1, 2, 3]));
    assert.deepEqual((await ws.nextMessage()).data, Buffer.from([4, 5, 6]));
    ws.destroy();
  });

  it('acks, with and without binary attachments', async () => {
    const ws = await initSocketIO();
    ws.sendText('42456["message-with-ack",1,"2",{"3":[false]}]');
    assert.equal((await ws.nextMessage()).data, '43456[1,"2",{"3":[false]}]');
    ws.sendText('452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    ws.sendBinary([1, 2, 3]);
    ws.sendBinary([4, 5, 6]);
    assert.equal((await ws.nextMessage()).data, '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    assert.deepEqual((await ws.nextMessage()).data, Buffer.from([1, 2, 3]));
    assert.deepEqual((await ws.nextMessage()).data, Buffer.from([4, 5, 6]));
    ws.destroy();
  });

  for (const [name, packet] of [
    ['an unknown packet type', '4abc'],
    ['an invalid payload format', '42{}'],
    ['an invalid ack id', '42abc["message-with-ack",1,"2",{"3":[false]}]'],
    ['a reserved event name', '42["disconnect"]'],
    ['a binary attachment nobody announced', null],
  ]) {
    it(`closes the connection on ${name}`, async () => {
      const ws = await initSocketIO();
      if (packet === null) ws.sendBinary([1]); else ws.sendText(packet);
      await ws.waitClosed();
    });
  }

  it('speaks Socket.IO over polling too', async () => {
    const sid = await openPolling('socket.io');
    assert.equal((await push(sid, '40{"token":"p"}', 'socket.io')).status, 200);
    const body = await (await poll(sid, 'socket.io')).text();
    const [connectPacket, authPacket] = body.split('\x1e');
    assert.ok(connectPacket.startsWith('40{"sid":'));
    assert.equal(authPacket, '42["auth",{"token":"p"}]');
    assert.equal((await push(sid, '42["message","x"]\x1e451-["message",{"_placeholder":true,"num":0}]\x1ebAQID', 'socket.io')).status, 200);
    const echoed = await (await poll(sid, 'socket.io')).text();
    assert.equal(echoed, '42["message-back","x"]\x1e451-["message-back",{"_placeholder":true,"num":0}]\x1ebAQID');
  });
});
