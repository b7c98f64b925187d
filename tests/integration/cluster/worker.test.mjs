// `parley worker` beside a cluster node (docs/media.md, "Background work"): a
// node started with `--jobs off` makes no thumbnails; a worker on the same
// PostgreSQL store, Redis bus and media store does. The node hears of it only
// through Redis: the worker's message_updated (a members delivery, which the
// node delivers to its clients) and its invalidation of the conversation's
// history pages (the node caches pages). The worker stops cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { newClientMsgId, registerUser } from '../lib/api.mjs';
import { connect, nextEvent, waitFor } from '../lib/chat.mjs';
import { Cluster, clusterUnavailable } from '../lib/cluster.mjs';
import { JPEG_64x48, upload } from '../lib/media.mjs';
import { PARLEY_BIN } from '../lib/server.mjs';

const skip = clusterUnavailable();

describe('parley worker beside a node with --jobs off', { skip }, () => {
  let cluster, node, worker, alice, bob, direct;
  const sockets = [];

  function startWorker() {
    const w = { stdout: '', stderr: '' };
    w.child = spawn(PARLEY_BIN, ['worker', '--data-dir', node.dataDir, '--store', cluster.database.url,
      '--bus', cluster.redisUrl, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    w.child.stdout.on('data', (d) => { w.stdout += d; });
    w.child.stderr.on('data', (d) => { w.stderr += d; });
    w.exited = new Promise((res) => w.child.on('exit', (code, signal) => res({ code, signal })));
    return w;
  }

  before(async () => {
    cluster = await new Cluster({ nodes: 1, nodeArgs: ['--rate-limit', 'off', '--jobs', 'off'] }).start();
    node = cluster.node(0);
    [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => registerUser(node.url, n)));
    const res = await alice.api.post('/api/conversations', { type: 'direct', memberIds: [bob.user.id] });
    assert.equal(res.status, 201);
    direct = res.json.conversation.id;
  });

  after(async () => {
    for (const s of sockets) s.close();
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    await cluster?.stop();
  });

  test('the worker makes the preview; the node delivers message_updated and serves the page with it', async () => {
    worker = startWorker();
    await waitFor(() => /parley worker is running/.test(worker.stdout) || worker.child.exitCode !== null,
      { timeoutMs: 20_000, stepMs: 50, what: 'the worker to start' });
    assert.match(worker.stdout, /parley worker is running/, worker.stderr);

    const b = await connect(node.url, bob.token);
    sockets.push(b);
    const up = await upload(node.url, alice.token, direct, 'tiny.jpg', JPEG_64x48);
    assert.equal(up.status, 201, up.text);
    const id = up.json.attachment.id;
    assert.equal(up.json.attachment.preview, 'pending');
    const updated = nextEvent(b, 'message_updated', (m) => m.attachments?.[0]?.id === id, 30_000);
    const sent = await alice.api.post('/api/messages',
      { conversationId: direct, body: '', clientMsgId: newClientMsgId(), attachmentIds: [id] });
    assert.equal(sent.status, 201, sent.text);
    // Most likely before the worker is done: the node caches this page with the
    // preview pending, and only the worker's invalidation over Redis voids it.
    const early = await bob.api.get(`/api/messages/${direct}`);
    assert.equal(early.status, 200);
    assert.equal(early.json.messages.at(-1).id, sent.json.message.id);

    const m = await updated;
    assert.equal(m.id, sent.json.message.id);
    assert.equal(m.attachments[0].preview, 'ready', worker.stderr);
    assert.equal(m.attachments[0].width, 64);
    assert.equal(m.attachments[0].height, 48);
    const page = await bob.api.get(`/api/messages/${direct}`);
    assert.equal(page.status, 200);
    const last = page.json.messages.at(-1);
    assert.equal(last.id, sent.json.message.id);
    assert.equal(last.attachments[0].preview, 'ready',
      `the page read first said ${early.json.messages.at(-1).attachments[0].preview}`);
    const thumb = await fetch(node.url + last.attachments[0].thumbnailUrl,
      { headers: { authorization: `Bearer ${bob.token}` } });
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers.get('content-type'), 'image/webp');

    worker.child.kill('SIGTERM');
    const status = await worker.exited;
    assert.deepEqual(status, { code: 0, signal: null }, worker.stderr);
    assert.match(worker.stderr, /worker stopped cleanly/);
  });
});
