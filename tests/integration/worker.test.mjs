// `parley worker` (docs/media.md, "Background work"): a server started with
// `--jobs off` makes no thumbnails; a worker on the same store and media store
// does, and stops cleanly on SIGTERM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { ParleyServer, PARLEY_BIN } from './lib/server.mjs';
import { storeArgs } from './lib/store.mjs';
import { registerUser, newClientMsgId } from './lib/api.mjs';
import { waitFor, sleep } from './lib/chat.mjs';
import { JPEG_64x48, upload } from './lib/media.mjs';

const server = new ParleyServer({ args: ['--rate-limit', 'off', '--jobs', 'off'] });
let alice, bob, direct;

before(async () => {
  await server.start();
  [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => registerUser(server.url, n)));
  const res = await alice.api.post('/api/conversations', { type: 'direct', memberIds: [bob.user.id] });
  assert.equal(res.status, 201);
  direct = res.json.conversation.id;
});
after(async () => { await server.stop(); server.cleanup(); });

function startWorker() {
  const worker = { stdout: '', stderr: '' };
  worker.child = spawn(PARLEY_BIN, ['worker', '--data-dir', server.dataDir, ...storeArgs(server.database),
    '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
  worker.child.stdout.on('data', (d) => { worker.stdout += d; });
  worker.child.stderr.on('data', (d) => { worker.stderr += d; });
  worker.exited = new Promise((res) => worker.child.on('exit', (code, signal) => res({ code, signal })));
  return worker;
}

test('with --jobs off the preview waits for a worker, which makes it and stops on SIGTERM', async () => {
  const up = await upload(server.url, alice.token, direct, 'tiny.jpg', JPEG_64x48);
  assert.equal(up.status, 201, up.text);
  const id = up.json.attachment.id;
  assert.equal(up.json.attachment.preview, 'pending');
  const sent = await alice.api.post('/api/messages',
    { conversationId: direct, body: '', clientMsgId: newClientMsgId(), attachmentIds: [id] });
  assert.equal(sent.status, 201, sent.text);
  // Nobody runs jobs yet.
  await sleep(1500);
  assert.equal((await bob.api.get(`/api/attachments/${id}`)).json.attachment.preview, 'pending');

  const worker = startWorker();
  try {
    await waitFor(async () => (await bob.api.get(`/api/attachments/${id}`)).json.attachment.preview !== 'pending',
      { timeoutMs: 30_000, stepMs: 100, what: 'the worker to make the preview' });
    const a = (await bob.api.get(`/api/attachments/${id}`)).json.attachment;
    assert.equal(a.preview, 'ready', worker.stderr);
    assert.equal(a.width, 64);
    assert.equal(a.height, 48);
    const thumb = await fetch(server.url + a.thumbnailUrl, { headers: { authorization: `Bearer ${bob.token}` } });
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers.get('content-type'), 'image/webp');
    // The history page shows it too (no message_updated reaches the server from a worker on a local bus).
    const page = await bob.api.get(`/api/messages/${direct}`);
    assert.equal(page.json.messages.at(-1).attachments[0].preview, 'ready');
    assert.match(worker.stdout, /parley worker is running/);
  } finally {
    worker.child.kill('SIGTERM');
  }
  const status = await worker.exited;
  assert.deepEqual(status, { code: 0, signal: null }, worker.stderr);
  assert.match(worker.stderr, /worker stopped cleanly/);
});
