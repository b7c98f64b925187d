// Media in cluster mode (docs/media.md, docs/deploy-cluster.md): three nodes on
// one PostgreSQL, one Redis and one S3-compatible store, behind the nginx of
// scripts/nginx-server.sh (whose upload location follows deploy/nginx-cluster.conf).
// An upload larger than nginx's general body limit streams through it, and every
// node serves the file whichever node stored it.
//
// Skipped without the cluster tools (lib/cluster.mjs) or an S3 test server
// (PARLEY_TEST_S3_ENDPOINT from `make test`, or s3rver installed here).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { newClientMsgId, registerUser } from '../lib/api.mjs';
import { Cluster, clusterUnavailable } from '../lib/cluster.mjs';
import { upload } from '../lib/media.mjs';
import { tempDir } from '../lib/server.mjs';

const root = new URL('../../..', import.meta.url).pathname;
const s3Installed = existsSync(join(root, 'tests/integration/node_modules/s3rver/package.json'));
const skip = clusterUnavailable() || (!process.env.PARLEY_TEST_S3_ENDPOINT && !s3Installed && 'no S3 test server');

describe('media through nginx on three nodes sharing an S3 store', { skip }, () => {
  let cluster, s3Dir, alice, bob, direct;
  const endpoint = () => process.env.PARLEY_TEST_S3_ENDPOINT;

  before(async () => {
    let s3 = endpoint();
    if (!s3) {
      s3Dir = tempDir('parley-s3-');
      s3 = execFileSync(join(root, 'scripts/s3-server.sh'), ['start', s3Dir], { encoding: 'utf8' }).trim();
    }
    const bucket = process.env.PARLEY_TEST_S3_BUCKET ?? 'parley-test';
    cluster = await new Cluster({
      nodes: 3, nginx: true,
      nodeArgs: ['--rate-limit', 'off', '--max-upload', '64M', '--media-store', `s3://${bucket}?endpoint=${s3}&region=us-east-1`],
      env: {
        AWS_ACCESS_KEY_ID: process.env.PARLEY_TEST_S3_ACCESS_KEY_ID ?? 'S3RVER',
        AWS_SECRET_ACCESS_KEY: process.env.PARLEY_TEST_S3_SECRET_ACCESS_KEY ?? 'S3RVER',
      },
    }).start();
    [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => registerUser(cluster.url, n)));
    direct = (await alice.api.post('/api/conversations', { type: 'direct', memberIds: [bob.user.id] })).json.conversation.id;
  });

  after(async () => {
    await cluster?.stop();
    if (s3Dir) {
      execFileSync(join(root, 'scripts/s3-server.sh'), ['stop', s3Dir]);
      rmSync(s3Dir, { recursive: true, force: true });
    }
  });

  test('a 20 MB upload through nginx, attached, then read from every node and through nginx', async () => {
    const bytes = Buffer.alloc(20 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 4096) bytes.writeUInt32BE(i, i);
    const up = await upload(cluster.url, alice.token, direct, 'big.bin', bytes);
    assert.equal(up.status, 201, up.text);
    const sent = await alice.api.post('/api/messages', { conversationId: direct, body: '', clientMsgId: newClientMsgId(),
      attachmentIds: [up.json.attachment.id] });
    assert.equal(sent.status, 201, sent.text);
    for (const base of [cluster.url, ...cluster.nodes.map((n) => n.url)]) {
      const file = await fetch(base + up.json.attachment.url, { headers: { authorization: `Bearer ${bob.token}` } });
      assert.equal(file.status, 200, base);
      assert.ok(Buffer.from(await file.arrayBuffer()).equals(bytes), base);
      const part = await fetch(base + up.json.attachment.url,
        { headers: { authorization: `Bearer ${bob.token}`, range: 'bytes=8192-8195' } });
      assert.equal(part.status, 206);
      assert.equal(Buffer.from(await part.arrayBuffer()).readUInt32BE(0), 8192);
    }
  });
});
