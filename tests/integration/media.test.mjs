// Media (docs/media.md, issue 15): uploads streamed to the media store, messages
// with attachments, downloads with Range and caching headers, previews, and
// the limits: on the local disk and, when s3rver is installed (npm ci here),
// on an S3-compatible store (scripts/s3-server.sh).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ParleyServer, tempDir } from './lib/server.mjs';
import { registerUser, newClientMsgId } from './lib/api.mjs';
import { connect, nextEvent, waitFor, sleep } from './lib/chat.mjs';
import { JPEG_64x48, truncatedJpeg, png, upload, rawRequest, filesUnder, memoryOf } from './lib/media.mjs';

const root = new URL('../..', import.meta.url).pathname;
const s3Installed = existsSync(join(root, 'tests/integration/node_modules/s3rver/package.json'));

// The S3 backend: the run's s3rver when `make test` started one
// (PARLEY_TEST_S3_*), else a throwaway one for this file (stopped in after()).
const s3 = {
  dir: null,
  endpoint: process.env.PARLEY_TEST_S3_ENDPOINT ?? null,
  bucket: process.env.PARLEY_TEST_S3_BUCKET ?? 'parley-test',
  key: process.env.PARLEY_TEST_S3_ACCESS_KEY_ID ?? 'S3RVER',
  secret: process.env.PARLEY_TEST_S3_SECRET_ACCESS_KEY ?? 'S3RVER',
};
function startS3() {
  if (s3.endpoint) return;
  s3.dir = tempDir('parley-s3-');
  s3.endpoint = execFileSync(join(root, 'scripts/s3-server.sh'), ['start', s3.dir], { encoding: 'utf8' }).trim();
}
function stopS3() {
  if (!s3.dir) return;
  execFileSync(join(root, 'scripts/s3-server.sh'), ['stop', s3.dir]);
  rmSync(s3.dir, { recursive: true, force: true });
}
function backendArgs(backend) {
  if (backend === 'local') return { args: [], env: {} };
  return {
    args: ['--media-store', `s3://${s3.bucket}?endpoint=${s3.endpoint}&region=us-east-1`],
    env: { AWS_ACCESS_KEY_ID: s3.key, AWS_SECRET_ACCESS_KEY: s3.secret },
  };
}

const s3Available = Boolean(s3.endpoint) || s3Installed;
const backends = ['local', ...(s3Available ? ['s3'] : [])];
if (!s3Available) console.log('# media on S3 not tested: no PARLEY_TEST_S3_ENDPOINT and s3rver is not installed (cd tests/integration && npm ci)');

before(() => { if (s3Available) startS3(); });
after(() => stopS3());

for (const backend of backends) {
  describe(`media on ${backend}`, () => {
    let server, alice, bob, carol, direct;
    const tmpDir = () => join(server.dataDir, 'media', 'tmp');
    const blobFiles = () => filesUnder(join(server.dataDir, 'media')).filter((f) => !f.startsWith('tmp/'));

    before(async () => {
      const { args, env } = backendArgs(backend);  // here: the S3 server is up by now
      server = new ParleyServer({ args: ['--rate-limit', 'off', '--max-upload', '128M', ...args], env });
      await server.start();
      [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => registerUser(server.url, n)));
      const res = await alice.api.post('/api/conversations', { type: 'direct', memberIds: [bob.user.id] });
      assert.equal(res.status, 201);
      direct = res.json.conversation.id;
    });
    after(async () => { await server?.stop(); server?.cleanup(); });

    const send = (from, attachmentIds, body = '') =>
      from.api.post('/api/messages', { conversationId: direct, body, clientMsgId: newClientMsgId(), attachmentIds });
    const uploadAs = (who, name, bytes, options) => upload(server.url, who.token, direct, name, bytes, options);
    async function attached(name, bytes, options) {
      const up = await uploadAs(alice, name, bytes, options);
      assert.equal(up.status, 201, up.text);
      const sent = await send(alice, [up.json.attachment.id]);
      assert.equal(sent.status, 201, sent.text);
      return { attachment: up.json.attachment, message: sent.json.message };
    }

    test('upload, attach over REST, download: the same bytes, the documented shape', async () => {
      const bytes = Buffer.from('hello, media\n'.repeat(1000));
      const up = await uploadAs(alice, '../../notes.txt', bytes, { contentType: 'image/png' });
      assert.equal(up.status, 201, up.text);
      const a = up.json.attachment;
      assert.equal(a.name, 'notes.txt');
      assert.equal(a.size, bytes.length);
      assert.match(a.contentType, /^text\/plain/);
      assert.equal(a.preview, 'none');
      assert.equal(a.url, `/api/attachments/${a.id}/file`);
      // Not attached yet: members of the conversation may look (docs/media.md), others not.
      assert.equal((await alice.api.get(`/api/attachments/${a.id}`)).status, 200);
      assert.equal((await carol.api.get(`/api/attachments/${a.id}`)).status, 404);

      const sent = await send(alice, [a.id], 'see attached');
      assert.equal(sent.status, 201, sent.text);
      assert.deepEqual(sent.json.message.attachments.map((x) => x.id), [a.id]);
      // The same id again: already attached.
      const again = await send(alice, [a.id]);
      assert.equal(again.status, 409);
      assert.equal(again.json.error.code, 'attachment_unavailable');

      const meta = await bob.api.get(`/api/attachments/${a.id}`);
      assert.equal(meta.status, 200);
      assert.deepEqual(meta.json.attachment, a);
      const file = await fetch(server.url + a.url, { headers: { authorization: `Bearer ${bob.token}` } });
      assert.equal(file.status, 200);
      assert.deepEqual(Buffer.from(await file.arrayBuffer()), bytes);
      assert.equal(file.headers.get('content-length'), String(bytes.length));
      assert.match(file.headers.get('etag'), /^"[0-9a-f]{64}"$/);
      assert.equal(file.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(file.headers.get('content-security-policy'), 'sandbox');
      assert.equal(file.headers.get('cache-control'), 'private, max-age=3600');
      assert.match(file.headers.get('content-disposition'), /^inline; filename="notes.txt"/);

      const page = await bob.api.get(`/api/messages/${direct}?limit=5`);
      const stored = page.json.messages.find((m) => m.id === sent.json.message.id);
      assert.deepEqual(stored.attachments, [a]);
    });

    test('attach over the socket: new_message with attachmentIds reaches the other member with attachments', async () => {
      const up = await uploadAs(alice, 'data.bin', Buffer.alloc(5000, 7));
      assert.equal(up.status, 201, up.text);
      const [a, b] = await Promise.all([connect(server.url, alice.token), connect(server.url, bob.token)]);
      try {
        const got = nextEvent(b, 'new_message', (m) => m.attachments?.[0]?.id === up.json.attachment.id);
        const ack = await a.emitWithAck('new_message', { conversationId: direct, body: '', clientMsgId: newClientMsgId(),
          attachmentIds: [up.json.attachment.id] });
        assert.equal(ack.ok, true, JSON.stringify(ack));
        assert.equal(ack.data.attachments[0].id, up.json.attachment.id);
        assert.deepEqual((await got).attachments, ack.data.attachments);
        const file = await fetch(server.url + up.json.attachment.url, { headers: { authorization: `Bearer ${bob.token}` } });
        assert.deepEqual(Buffer.from(await file.arrayBuffer()), Buffer.alloc(5000, 7));
      } finally {
        a.close();
        b.close();
      }
    });

    test('non-members get 404 on every media route, no credentials 401, an API token in the query 401', async () => {
      const { attachment: a } = await attached('pic.jpg', JPEG_64x48);
      await waitFor(async () => (await bob.api.get(`/api/attachments/${a.id}`)).json.attachment.preview !== 'pending',
        { timeoutMs: 20_000, what: 'the preview' });
      const ready = (await bob.api.get(`/api/attachments/${a.id}`)).json.attachment;
      assert.equal(ready.preview, 'ready');
      const routes = [`/api/attachments/${a.id}`, a.url, ready.thumbnailUrl, ready.previewUrl];
      for (const path of routes) {
        assert.equal((await carol.api.get(path)).status, 404, path);
        assert.equal((await carol.api.request('HEAD', path)).status, 404, path);
        assert.equal((await fetch(server.url + path)).status, 401, path);
        const sep = path.includes('?') ? '&' : '?';
        assert.equal((await fetch(`${server.url}${path}${sep}access=${bob.token}`)).status, 401, path);
        assert.equal((await bob.api.get(path)).status, 200, path);
      }
      const upCarol = await upload(server.url, carol.token, direct, 'x.txt', Buffer.from('x'));
      assert.equal(upCarol.status, 404);
      const upNobody = await upload(server.url, null, direct, 'x.txt', Buffer.from('x'));
      assert.equal(upNobody.status, 401);
      // A media token works in the query, for its own user only.
      const token = await bob.api.post('/api/media/token', {});
      assert.equal(token.status, 200);
      assert.ok(Date.parse(token.json.expiresAt) > Date.now() + 50 * 60_000);
      const viaToken = await fetch(`${server.url}${a.url}?access=${encodeURIComponent(token.json.token)}`);
      assert.equal(viaToken.status, 200);
      assert.deepEqual(Buffer.from(await viaToken.arrayBuffer()), JPEG_64x48);
      const carolToken = (await carol.api.post('/api/media/token', {})).json.token;
      assert.equal((await fetch(`${server.url}${a.url}?access=${encodeURIComponent(carolToken)}`)).status, 404);
      // Never as an API credential.
      assert.equal((await carol.api.get('/api/auth/me', { token: carolToken })).status, 401);
      assert.equal((await fetch(`${server.url}/api/media/token`, { method: 'POST' })).status, 401);
    });

    test('Range, If-None-Match and HEAD on a file; thumbnails are immutable', async () => {
      const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
      const { attachment: a } = await attached('numbers.bin', bytes);
      const auth = { authorization: `Bearer ${bob.token}` };
      const part = await fetch(server.url + a.url, { headers: { ...auth, range: 'bytes=1000-1999' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 1000-1999/${bytes.length}`);
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(1000, 2000));
      const tail = await fetch(server.url + a.url, { headers: { ...auth, range: 'bytes=-10' } });
      assert.equal(tail.status, 206);
      assert.deepEqual(Buffer.from(await tail.arrayBuffer()), bytes.subarray(bytes.length - 10));
      // Across a chunk boundary (256 KiB) to the end.
      const late = await fetch(server.url + a.url, { headers: { ...auth, range: 'bytes=200000-' } });
      assert.deepEqual(Buffer.from(await late.arrayBuffer()), bytes.subarray(200000));
      const past = await fetch(server.url + a.url, { headers: { ...auth, range: `bytes=${bytes.length}-` } });
      assert.equal(past.status, 416);
      assert.equal(past.headers.get('content-range'), `bytes */${bytes.length}`);
      await past.arrayBuffer();
      const multi = await fetch(server.url + a.url, { headers: { ...auth, range: 'bytes=0-1,5-6' } });
      assert.equal(multi.status, 200);
      assert.equal((await multi.arrayBuffer()).byteLength, bytes.length);
      const etag = multi.headers.get('etag');
      const cached = await fetch(server.url + a.url, { headers: { ...auth, 'if-none-match': etag } });
      assert.equal(cached.status, 304);
      assert.equal(cached.headers.get('etag'), etag);
      const head = await fetch(server.url + a.url, { method: 'HEAD', headers: auth });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(bytes.length));
      assert.equal((await head.arrayBuffer()).byteLength, 0);

      // An image: its preview arrives as message_updated, its thumbnails are immutable.
      const b = await connect(server.url, bob.token);
      try {
        const up = await uploadAs(alice, 'gradient.png', png(800, 600));
        assert.equal(up.status, 201, up.text);
        assert.equal(up.json.attachment.contentType, 'image/png');
        const updated = nextEvent(b, 'message_updated', (m) => m.attachments?.[0]?.id === up.json.attachment.id, 30_000);
        const sent = await send(alice, [up.json.attachment.id]);
        assert.equal(sent.status, 201);
        const message = await updated;
        const image = message.attachments[0];
        assert.equal(image.preview, 'ready');
        assert.equal(image.width, 800);
        assert.equal(image.height, 600);
        const thumb = await fetch(server.url + image.thumbnailUrl, { headers: auth });
        assert.equal(thumb.status, 200);
        assert.equal(thumb.headers.get('content-type'), 'image/webp');
        assert.equal(thumb.headers.get('cache-control'), 'public, max-age=31536000, immutable');
        const webp = Buffer.from(await thumb.arrayBuffer());
        assert.equal(webp.subarray(8, 12).toString('latin1'), 'WEBP');
        const again = await fetch(server.url + image.thumbnailUrl, { headers: { ...auth, 'if-none-match': thumb.headers.get('etag') } });
        assert.equal(again.status, 304);
        assert.equal((await fetch(server.url + image.previewUrl, { headers: auth })).status, 200);
      } finally {
        b.close();
      }
    });

    test('a spoofed Content-Type: HTML sent as image/png is stored as text/html and downloaded as an attachment', async () => {
      const html = Buffer.from('<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>');
      const { attachment: a } = await attached('cat.png', html, { contentType: 'image/png' });
      assert.match(a.contentType, /^text\/html/);
      assert.equal(a.preview, 'none');
      const file = await fetch(server.url + a.url, { headers: { authorization: `Bearer ${bob.token}` } });
      assert.equal(file.status, 200);
      assert.match(file.headers.get('content-type'), /^text\/html/);
      assert.match(file.headers.get('content-disposition'), /^attachment;/);
      assert.equal(file.headers.get('content-security-policy'), 'sandbox');
      assert.equal(file.headers.get('x-content-type-options'), 'nosniff');
      await file.arrayBuffer();
    });

    test('an image bomb and a truncated JPEG: preview failed (message_updated), the files still served', async () => {
      const b = await connect(server.url, bob.token);
      try {
        for (const [name, bytes] of [['bomb.png', png(20000, 20000, { rows: 2 })], ['cut.jpg', truncatedJpeg()]]) {
          const up = await uploadAs(alice, name, bytes);
          assert.equal(up.status, 201, up.text);
          const updated = nextEvent(b, 'message_updated', (m) => m.attachments?.[0]?.id === up.json.attachment.id, 30_000);
          assert.equal((await send(alice, [up.json.attachment.id])).status, 201);
          const image = (await updated).attachments[0];
          assert.equal(image.preview, 'failed', name);
          assert.equal(image.thumbnailUrl, undefined);
          const file = await fetch(server.url + image.url, { headers: { authorization: `Bearer ${bob.token}` } });
          assert.equal(file.status, 200);
          assert.deepEqual(Buffer.from(await file.arrayBuffer()), bytes);
        }
        assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      } finally {
        b.close();
      }
    });

    test('deleting the message ends access to its attachments', async () => {
      const { attachment: a, message } = await attached('gone.txt', Buffer.from('soon gone'));
      assert.equal((await bob.api.get(a.url)).status, 200);
      const removed = await alice.api.delete(`/api/messages/${message.id}`);
      assert.equal(removed.status, 200);
      assert.deepEqual(removed.json.message.attachments, []);
      for (const who of [alice, bob]) {
        assert.equal((await who.api.get(a.url)).status, 404);
        assert.equal((await who.api.get(`/api/attachments/${a.id}`)).status, 404);
      }
    });

    test('a client that disconnects mid-upload leaves nothing behind', async () => {
      const before = blobFiles();
      const total = 50 * 1024 * 1024;
      const socket = (await import('node:net')).createConnection({ port: server.port, host: '127.0.0.1' });
      await new Promise((r) => socket.once('connect', r));
      socket.write(`POST /api/uploads?conversationId=${direct}&name=big.bin HTTP/1.1\r\nHost: x\r\n` +
        `Authorization: Bearer ${alice.token}\r\nContent-Length: ${total}\r\n\r\n`);
      const piece = Buffer.alloc(1024 * 1024, 1);
      for (let i = 0; i < 5; i++) {
        if (!socket.write(piece)) await new Promise((r) => socket.once('drain', r));
      }
      // The body is being written to a temp file as it arrives...
      await waitFor(() => filesUnder(tmpDir()).length > 0, { what: 'a temp file', timeoutMs: 10_000 });
      socket.destroy();
      // ...and removed once the client is gone.
      await waitFor(() => filesUnder(tmpDir()).length === 0, { what: 'the temp file to go', timeoutMs: 10_000 });
      assert.deepEqual(blobFiles(), before);
    });

    test('the server does not hold a 100 MB upload in memory', async () => {
      const pid = server.child.pid;
      const size = 100 * 1024 * 1024;
      const piece = Buffer.alloc(1024 * 1024, 3);
      const start = memoryOf(pid);
      let sent = 0;
      const body = new ReadableStream({
        pull(controller) {
          if (sent >= size) return controller.close();
          controller.enqueue(piece);
          sent += piece.length;
        },
      });
      const response = await fetch(`${server.url}/api/uploads?conversationId=${direct}&name=big.bin`, {
        method: 'POST', body, duplex: 'half',
        headers: { authorization: `Bearer ${alice.token}`, 'content-length': String(size) },
      });
      const answer = await response.json();
      assert.equal(response.status, 201, JSON.stringify(answer));
      assert.equal(answer.attachment.size, size);
      const end = memoryOf(pid);
      // A functional bound, not a speed one: the peak grew by far less than the upload.
      const growth = end.hwm - start.rss;
      assert.ok(growth < 40 * 1024 * 1024, `peak RSS grew by ${(growth / 1048576).toFixed(1)} MiB during a 100 MiB upload`);
      const sentMessage = await send(alice, [answer.attachment.id]);
      assert.equal(sentMessage.status, 201);
      const file = await fetch(server.url + answer.attachment.url, { headers: { authorization: `Bearer ${bob.token}` } });
      let received = 0;
      for await (const part of file.body) received += part.length;
      assert.equal(received, size);
      const after = memoryOf(pid);
      assert.ok(after.hwm - start.rss < 40 * 1024 * 1024, 'a 100 MiB download is streamed too');
    });
  });
}

describe('upload limits', () => {
  const server = new ParleyServer({ args: ['--rate-limit', 'off', '--max-upload', '1M'] });
  let alice, bob, direct;
  const mediaFiles = () => filesUnder(join(server.dataDir, 'media'));

  before(async () => {
    await server.start();
    [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => registerUser(server.url, n)));
    direct = (await alice.api.post('/api/conversations', { type: 'direct', memberIds: [bob.user.id] })).json.conversation.id;
  });
  after(async () => { await server.stop(); server.cleanup(); });

  const head = (extra) => `POST /api/uploads?conversationId=${direct}&name=big.bin HTTP/1.1\r\nHost: x\r\n` +
    `Authorization: Bearer ${alice.token}\r\n${extra}`;

  test('a Content-Length over --max-upload: 413 before a byte of the body is sent', async () => {
    const answer = await rawRequest(server.port, head(`Content-Length: ${2 * 1024 * 1024}`));
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /Connection: close/i);
    assert.deepEqual(mediaFiles(), []);
  });

  test('a non-member is refused before the body too', async () => {
    const carol = await registerUser(server.url, 'carol');
    const answer = await rawRequest(server.port, `POST /api/uploads?conversationId=${direct}&name=x HTTP/1.1\r\nHost: x\r\n` +
      `Authorization: Bearer ${carol.token}\r\nContent-Length: 1000`);
    assert.match(answer, /^HTTP\/1\.1 404 /);
  });

  test('Expect: 100-continue gets 100 Continue once the upload is accepted', async () => {
    const answer = await rawRequest(server.port, head('Content-Length: 5\r\nExpect: 100-continue'), [], { settleMs: 200 });
    assert.match(answer, /^HTTP\/1\.1 100 Continue\r\n\r\n$/);
  });

  test('a chunked body is cut off at the limit: 413, nothing kept', async () => {
    const piece = Buffer.alloc(256 * 1024, 5);
    const chunks = [];
    for (let i = 0; i < 6; i++) chunks.push(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
    chunks.push(Buffer.from('0\r\n\r\n'));
    const answer = await rawRequest(server.port, head('Transfer-Encoding: chunked'), chunks);
    assert.match(answer, /^HTTP\/1\.1 413 /);
    await waitFor(() => mediaFiles().filter((f) => f.startsWith('tmp/')).length === 0, { what: 'no temp file' });
    assert.deepEqual(mediaFiles(), []);
    // Within the limit, chunked works.
    const small = [Buffer.from('5\r\nhello\r\n0\r\n\r\n')];
    const ok = await rawRequest(server.port, head('Transfer-Encoding: chunked\r\nConnection: close'), small);
    assert.match(ok, /^HTTP\/1\.1 201 /);
    assert.match(ok, /"size":5/);
  });

  test('other routes keep --max-body', async () => {
    const answer = await rawRequest(server.port, `POST /api/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${alice.token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${5 * 1024 * 1024}`);
    assert.match(answer, /^HTTP\/1\.1 413 /);
  });
});
