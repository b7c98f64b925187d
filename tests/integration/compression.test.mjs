// Compression (issue 17): WebSocket permessage-deflate with --ws-compression, against raw
// frames (what is compressed on the wire, what is not) and the official socket.io-client
// with perMessageDeflate on its `ws` transport.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import http from 'node:http';
import { ParleyServer } from './lib/server.mjs';
import { registerUser, newClientMsgId } from './lib/api.mjs';
import { connect, nextEvent } from './lib/chat.mjs';
import { RawWebSocket, OP } from './lib/rawws.mjs';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const inflate = (raw) => zlib.inflateRawSync(Buffer.concat([raw, TAIL]), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString('utf8');
// A client's compressed message: raw deflate, sync-flushed, tail stripped (RFC 7692 §7.2.1).
const deflate = (text) => {
  const out = zlib.deflateRawSync(Buffer.from(text), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  assert.deepEqual(out.subarray(out.length - 4), TAIL);
  return out.subarray(0, out.length - 4);
};
const longBody = (tag) => `${tag} ` + 'the quick brown fox jumps over the lazy dog; '.repeat(60);

// The next Engine.IO message of a raw connection, inflated when it came compressed.
async function nextPacket(ws, predicate = () => true) {
  for (;;) {
    const e = await ws.nextMessage({ timeoutMs: 5000 });
    if (e.type !== 'text') throw new Error(`expected a text frame, got ${e.type}`);
    const data = e.compressed ? inflate(e.raw) : e.data;
    if (data === '2') { ws.sendText('3'); continue; }
    if (predicate(data)) return { data, compressed: !!e.compressed, wireBytes: e.compressed ? e.raw.length : Buffer.byteLength(e.data) };
  }
}

async function rawSession(server, token, extensions) {
  const ws = await RawWebSocket.connect(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`,
    { headers: extensions ? { 'Sec-WebSocket-Extensions': extensions } : {} });
  const open = await nextPacket(ws);
  assert.ok(open.data.startsWith('0{'));
  ws.sendText(`40${JSON.stringify({ token })}`);
  assert.ok((await nextPacket(ws, (d) => d.startsWith('40'))).data.startsWith('40{'));
  return ws;
}

describe('WebSocket permessage-deflate (--ws-compression)', () => {
  const server = new ParleyServer({ args: ['--ws-compression', '--ws-compression-threshold', '1024', '--rate-limit', 'off'] });
  let alice, bob, groupId;
  const closers = [];
  before(async () => {
    await server.start();
    [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => registerUser(server.url, n)));
    groupId = (await alice.api.post('/api/conversations', { type: 'group', memberIds: [bob.user.id], title: 'Zip' })).json.conversation.id;
  });
  after(async () => { for (const c of closers) c(); await server.stop(); server.cleanup(); });

  test('negotiated in the upgrade: server_no_context_takeover and client_no_context_takeover, offered or not', async () => {
    const a = await RawWebSocket.connect(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`,
      { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' } });
    closers.push(() => a.destroy());
    assert.match(a.head, /\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover(\r\n|$)/i);
    const b = await RawWebSocket.connect(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`,
      { headers: { 'Sec-WebSocket-Extensions': 'x-unknown, permessage-deflate; client_no_context_takeover' } });
    closers.push(() => b.destroy());
    assert.match(b.head, /\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover(\r\n|$)/i);
    // Offers the server cannot honour are declined: no extension, plain frames.
    for (const offer of ['permessage-deflate; server_max_window_bits=10', 'permessage-deflate; bogus', 'x-webkit-deflate-frame']) {
      const c = await RawWebSocket.connect(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`,
        { headers: { 'Sec-WebSocket-Extensions': offer } });
      closers.push(() => c.destroy());
      assert.doesNotMatch(c.head, /Sec-WebSocket-Extensions/i, offer);
    }
  });

  test('frames at or above the threshold go out compressed and decode; smaller ones go out plain', async () => {
    const ws = await rawSession(server, bob.token, 'permessage-deflate; client_max_window_bits');
    closers.push(() => ws.destroy());
    ws.sendText(`421${JSON.stringify(['join_conversation', { conversationId: groupId }])}`);
    await nextPacket(ws, (d) => d.startsWith('431'));
    const a = await connect(server.url, alice.token, { transports: ['websocket'] });
    closers.push(() => a.close());

    const small = await a.emitWithAck('new_message', { conversationId: groupId, body: 'short', clientMsgId: newClientMsgId() });
    assert.equal(small.ok, true);
    const plain = await nextPacket(ws, (d) => d.startsWith('42["new_message"'));
    assert.equal(plain.compressed, false, 'a frame below the threshold is not compressed');
    assert.equal(JSON.parse(plain.data.slice(2))[1].body, 'short');

    const body = longBody('big');
    const big = await a.emitWithAck('new_message', { conversationId: groupId, body, clientMsgId: newClientMsgId() });
    assert.equal(big.ok, true);
    const packed = await nextPacket(ws, (d) => d.startsWith('42["new_message"'));
    assert.equal(packed.compressed, true, 'a frame above the threshold is compressed');
    assert.equal(JSON.parse(packed.data.slice(2))[1].body, body);
    assert.ok(packed.wireBytes < Buffer.byteLength(packed.data) / 4, `${packed.wireBytes} bytes on the wire`);
  });

  test('compressed messages from the client are decoded, each on its own', async () => {
    for (const offer of ['permessage-deflate', 'permessage-deflate; client_no_context_takeover']) {
      const ws = await rawSession(server, alice.token, offer);
      closers.push(() => ws.destroy());
      for (const tag of ['one', 'two']) {
        const body = longBody(tag);
        const packet = `423${JSON.stringify(['new_message', { conversationId: groupId, body, clientMsgId: newClientMsgId() }])}`;
        ws.sendFrame({ opcode: OP.text, payload: deflate(packet), rsv: 4 });
        const ack = await nextPacket(ws, (d) => d.startsWith('433'));
        const [answer] = JSON.parse(ack.data.slice(3));
        assert.equal(answer.ok, true, `${offer}: ${ack.data.slice(0, 200)}`);
        assert.equal(answer.data.body, body);
      }
    }
  });

  test('a corrupt compressed message closes the connection with 1007; RSV1 without the extension with 1002', async () => {
    const ws = await rawSession(server, alice.token, 'permessage-deflate');
    ws.sendFrame({ opcode: OP.text, payload: Buffer.from([0xff, 0xff, 0xff, 0x00, 0x12]), rsv: 4 });
    assert.equal(await ws.waitClosed(5000), 1007);
    const plain = await rawSession(server, alice.token, undefined);
    plain.sendFrame({ opcode: OP.text, payload: deflate('42["x"]'), rsv: 4 });
    assert.equal(await plain.waitClosed(5000), 1002);
  });

  test('the official client with perMessageDeflate: a broadcast reaches many clients intact, compressed or not', async () => {
    const clients = [];
    for (let i = 0; i < 24; i++) {
      // Three kinds: the ws default offer (the server's answer turns off the client's
      // context takeover), an offer of client_no_context_takeover, and no compression at all; every fourth on long-polling then upgraded.
      const kind = i % 3;
      const perMessageDeflate = kind === 0 ? { threshold: 0 } : kind === 1 ? { threshold: 0, clientNoContextTakeover: true } : false;
      const transports = i % 4 === 3 ? ['polling', 'websocket'] : ['websocket'];
      const user = i % 2 === 0 ? bob : alice;
      const s = await connect(server.url, user.token, { transports, perMessageDeflate });
      closers.push(() => s.close());
      if (s.io.engine.transport.name !== 'websocket') await nextEvent(s.io.engine, 'upgrade');
      assert.equal((await s.emitWithAck('join_conversation', { conversationId: groupId })).ok, true);
      const extensions = s.io.engine.transport.ws.extensions;
      if (kind === 2) assert.equal(extensions, '', 'no offer, no extension');
      else assert.match(extensions, /permessage-deflate/, `client ${i} negotiated compression`);
      clients.push(s);
    }
    for (const tag of ['first', 'second', 'third']) {
      const body = longBody(tag);
      const got = clients.map((s) => nextEvent(s, 'new_message', (m) => m.body.startsWith(tag)));
      // The sender compresses its (long) send too: the server inflates it.
      const ack = await clients[0].emitWithAck('new_message', { conversationId: groupId, body, clientMsgId: newClientMsgId() });
      assert.equal(ack.ok, true);
      for (const m of await Promise.all(got)) {
        assert.equal(m.body, body);
        assert.equal(m.id, ack.data.id);
      }
    }
  });
});

// A raw GET (node:http leaves the body as it came, unlike fetch).
function rawGet(url, headers) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

describe('HTTP gzip for JSON answers (--http-compression-threshold, default 1024)', () => {
  const server = new ParleyServer({ args: ['--rate-limit', 'off'] });
  let alice, conversationId;
  before(async () => {
    await server.start();
    const bob = await registerUser(server.url, 'bob');
    alice = await registerUser(server.url, 'alice');
    conversationId = (await alice.api.post('/api/conversations', { type: 'direct', memberIds: [bob.user.id] })).json.conversation.id;
    for (let i = 0; i < 30; i++) {
      const res = await alice.api.post('/api/messages', { conversationId, body: `message ${i}: ${'lorem ipsum dolor sit amet '.repeat(6)}`, clientMsgId: newClientMsgId() });
      assert.equal(res.status, 201, res.text);
    }
  });
  after(async () => { await server.stop(); server.cleanup(); });

  const page = (headers) => rawGet(`${server.url}/api/messages/${conversationId}?limit=50`,
    { authorization: `Bearer ${alice.token}`, ...headers });

  test('a history page goes out gzipped to a client that accepts it, with Vary: Accept-Encoding', async () => {
    const plain = await page({});
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.match(plain.headers.vary ?? '', /Accept-Encoding/i);
    const expected = JSON.parse(plain.body.toString());
    assert.equal(expected.messages.length, 30);

    const zipped = await page({ 'accept-encoding': 'br, gzip;q=0.8, deflate' });
    assert.equal(zipped.status, 200);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.match(zipped.headers.vary ?? '', /Accept-Encoding/i);
    assert.equal(Number(zipped.headers['content-length']), zipped.body.length);
    assert.ok(zipped.body.length < plain.body.length / 3, `${zipped.body.length} of ${plain.body.length} bytes`);
    assert.deepEqual(JSON.parse(zlib.gunzipSync(zipped.body).toString()), expected);
  });

  test('gzip refused (q=0) or not offered: plain; small answers: plain and without Vary', async () => {
    for (const accept of ['gzip;q=0', 'identity', 'deflate, br']) {
      const res = await page({ 'accept-encoding': accept });
      assert.equal(res.headers['content-encoding'], undefined, accept);
      assert.equal(JSON.parse(res.body.toString()).messages.length, 30);
    }
    const me = await rawGet(`${server.url}/api/messages/${conversationId}?limit=1`, { authorization: `Bearer ${alice.token}`, 'accept-encoding': 'gzip' });
    assert.equal(me.status, 200);
    assert.ok(me.body.length < 1024);
    assert.equal(me.headers['content-encoding'], undefined);
    assert.equal(me.headers.vary, undefined);
  });
});
