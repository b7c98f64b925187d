// `parley backup` and `parley restore` (docs/operations.md, Backups) against a real
// server under send load: what was acknowledged before the backup began is in the
// backup, the copy is one consistent snapshot, the restored folder serves, and
// restore refuses live, non-empty and damaged inputs without touching anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { ParleyServer, runParley, tempDir } from './lib/server.mjs';
import { Api, registerUser, newClientMsgId } from './lib/api.mjs';
import { connect, sleep } from './lib/chat.mjs';
import { sqliteFileOnly } from './lib/store.mjs';

const skip = sqliteFileOnly('parley backup copies the SQLite data dir; PostgreSQL is backed up with pg_dump');

// Every message of a conversation, oldest first, paging forward by seq.
async function history(api, conversationId) {
  const all = [];
  for (let after = 0; ;) {
    const page = await api.get(`/api/messages/${conversationId}?after=${after}&limit=100`);
    assert.equal(page.status, 200, page.text);
    if (page.json.messages.length === 0) return all;
    all.push(...page.json.messages);
    after = page.json.messages.at(-1).seq;
  }
}

// Keeps `inFlight` sends going until stop(); records each acknowledged one.
function sendLoad(socket, conversationId, inFlight) {
  const acked = [];
  let running = true;
  let failures = 0;
  const one = async (lane) => {
    for (let i = 0; running; i++) {
      const sentAt = performance.now();
      const ack = await socket.emitWithAck('new_message', { conversationId, body: `load ${lane}-${i}`, clientMsgId: newClientMsgId() });
      if (!ack.ok) { failures++; continue; }
      acked.push({ id: ack.data.id, seq: ack.data.seq, sentAt, ackedAt: performance.now() });
    }
  };
  const lanes = Array.from({ length: inFlight }, (_, lane) => one(lane));
  return {
    acked,
    failures: () => failures,
    stop: async () => { running = false; await Promise.all(lanes); },
  };
}

// Longest send-to-ack time of the sends that overlap [from, to], and the longest
// time without any ack inside it.
function stalls(acked, from, to) {
  const overlapping = acked.filter((a) => a.ackedAt >= from && a.sentAt <= to);
  const longestAck = Math.max(0, ...overlapping.map((a) => a.ackedAt - a.sentAt));
  const times = [from, ...acked.map((a) => a.ackedAt).filter((t) => t >= from && t <= to), to].sort((x, y) => x - y);
  let longestGap = 0;
  for (let i = 1; i < times.length; i++) longestGap = Math.max(longestGap, times[i] - times[i - 1]);
  return { sends: overlapping.length, longestAck, longestGap };
}

test('backup under send load, restore, and the restored server serves', { skip }, async (t) => {
  const server = new ParleyServer({ args: ['--rate-limit', 'off'] });
  const work = tempDir('parley-backup-');
  const restoredDir = join(work, 'restored');
  const backupDir = join(work, 'backup');
  let restored;
  const sockets = [];
  try {
    await server.start();
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => registerUser(server.url, n)));
    const cid = (await alice.api.post('/api/conversations', { type: 'group', memberIds: [bob.user.id], title: 'Backed up' })).json.conversation.id;
    const socket = await connect(server.url, alice.token, { transports: ['websocket'] });
    sockets.push(socket);

    // Enough history that the stepped copy below takes many steps.
    const load = sendLoad(socket, cid, 8);
    while (load.acked.length < 3000) await sleep(20);
    const baselineFrom = performance.now();
    await sleep(300);
    const backupStarted = performance.now();
    const ackedBefore = load.acked.filter((a) => a.ackedAt < backupStarted).map((a) => a.id);
    // Small steps: the copy spans many of the server's commits.
    const backup = await runParley(['backup', '--data-dir', server.dataDir, '--to', backupDir, '--step-pages', '4', '--pause-ms', '2'],
      { timeoutMs: 60_000 });
    const backupEnded = performance.now();
    await sleep(200);
    await load.stop();
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /backup written to .*jwt-secret/);
    assert.equal(load.failures(), 0);

    const during = stalls(load.acked, backupStarted, backupEnded);
    const baseline = stalls(load.acked, baselineFrom, backupStarted);
    assert.ok(during.sends > 0, 'sends were acknowledged while the backup ran');
    t.diagnostic(`backup took ${(backupEnded - backupStarted).toFixed(0)} ms (${backup.stdout.trim()})`);
    t.diagnostic(`during the backup: ${during.sends} sends, longest send→ack ${during.longestAck.toFixed(1)} ms, longest gap between acks ${during.longestGap.toFixed(1)} ms`);
    t.diagnostic(`the 300 ms before it: ${baseline.sends} sends, longest send→ack ${baseline.longestAck.toFixed(1)} ms, longest gap between acks ${baseline.longestGap.toFixed(1)} ms`);

    // The backup's layout (app/backup.hpp); the server's media folder (local media store) always exists,
    // its uploads in progress (media/tmp) are left out.
    assert.deepEqual(readdirSync(backupDir).sort(), ['jwt-secret', 'manifest.json', 'media', 'parley.db']);
    assert.ok(!readdirSync(join(backupDir, 'media')).includes('tmp'), 'media/tmp is not backed up');
    const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.format, 'parley-backup');
    assert.equal(manifest.formatVersion, 1);
    assert.equal(manifest.jwtSecret, true);
    assert.deepEqual(manifest.media, { files: 0, bytes: 0 });  // nothing uploaded in this test
    assert.ok(!existsSync(`${backupDir}.partial`));

    // A live data dir is never overwritten, --force or not.
    for (const force of [[], ['--force']]) {
      const live = await runParley(['restore', '--from', backupDir, '--data-dir', server.dataDir, ...force]);
      assert.notEqual(live.code, 0);
      assert.match(live.stderr, /in use by another parley process \(pid \d+\)/);
    }

    const restore = await runParley(['restore', '--from', backupDir, '--data-dir', restoredDir]);
    assert.equal(restore.code, 0, restore.stderr);
    restored = new ParleyServer({ dataDir: restoredDir, args: ['--rate-limit', 'off'] });
    await restored.start();
    assert.equal((await new Api(restored.url).get('/readyz')).status, 200);
    // The secret came along: tokens issued before the backup still work.
    const api = new Api(restored.url, alice.token);
    const messages = await history(api, cid);
    const ids = new Set(messages.map((m) => m.id));
    for (const id of ackedBefore) assert.ok(ids.has(id), `message ${id}, acknowledged before the backup, is restored`);
    // One snapshot: a gapless prefix of the conversation.
    assert.deepEqual(messages.map((m) => m.seq), messages.map((_, i) => i + 1));
    assert.ok(messages.length >= ackedBefore.length);
    assert.ok(messages.length <= load.acked.length);
    t.diagnostic(`${ackedBefore.length} acknowledged before the backup, ${messages.length} in it, ${load.acked.length} in all`);

    // The restored server serves new writes after the restored history.
    const after = await connect(restored.url, bob.token, { transports: ['websocket'] });
    sockets.push(after);
    const ack = await after.emitWithAck('new_message', { conversationId: cid, body: 'after the restore', clientMsgId: newClientMsgId() });
    assert.equal(ack.ok, true);
    assert.equal(ack.data.seq, messages.length + 1);
  } finally {
    for (const s of sockets) s.close();
    await server.stop();
    server.cleanup();
    if (restored) await restored.stop();
    rmSync(work, { recursive: true, force: true });
  }
});

test('restore refuses a non-empty folder without --force, a damaged backup always, and changes nothing', { skip }, async () => {
  const server = new ParleyServer();
  const work = tempDir('parley-restore-');
  try {
    await server.start();
    const alice = await registerUser(server.url, 'alice');
    // Media (issue 15's local store): copied, except uploads in progress in media/tmp.
    mkdirSync(join(server.dataDir, 'media', 'a1', 'nested'), { recursive: true });
    mkdirSync(join(server.dataDir, 'media', 'tmp'), { recursive: true });
    writeFileSync(join(server.dataDir, 'media', 'a1', 'blob'), 'bytes of a file');
    writeFileSync(join(server.dataDir, 'media', 'a1', 'nested', 'thumb.webp'), 'a thumbnail');
    writeFileSync(join(server.dataDir, 'media', 'tmp', 'upload-in-progress'), 'half');
    const backupDir = join(work, 'backup');
    const made = await runParley(['backup', '--data-dir', server.dataDir, '--to', backupDir]);
    assert.equal(made.code, 0, made.stderr);
    // An existing --to is refused.
    const again = await runParley(['backup', '--data-dir', server.dataDir, '--to', backupDir]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already exists/);
    assert.match(made.stdout, /2 media files/);
    assert.deepEqual(JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')).media, { files: 2, bytes: 26 });
    assert.deepEqual(readdirSync(join(backupDir, 'media')).sort(), ['a1']);
    // The lock restore relies on: a second server on the same SQLite data dir is refused.
    const second = await runParley(['serve', '--listen', '127.0.0.1:0', '--data-dir', server.dataDir]);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, /in use by another parley process/);
    await server.stop();

    // Non-empty: refused, then replaced with --force (its old WAL and secret too).
    const target = join(work, 'target');
    mkdirSync(target);
    writeFileSync(join(target, 'parley.db-wal'), 'stale');
    writeFileSync(join(target, 'notes.txt'), 'kept');
    const refused = await runParley(['restore', '--from', backupDir, '--data-dir', target]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /not empty.*--force/);
    assert.deepEqual(readdirSync(target).sort(), ['notes.txt', 'parley.db-wal', 'parley.lock']);
    const forced = await runParley(['restore', '--from', backupDir, '--data-dir', target, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(readdirSync(target).sort(), ['jwt-secret', 'media', 'notes.txt', 'parley.db', 'parley.lock']);
    assert.equal(readFileSync(join(target, 'media', 'a1', 'nested', 'thumb.webp'), 'utf8'), 'a thumbnail');
    assert.ok(!existsSync(join(target, 'media', 'tmp')));
    const restored = new ParleyServer({ dataDir: target });
    await restored.start();
    assert.equal((await new Api(restored.url, alice.token).get('/api/conversations')).status, 200);
    await restored.stop();

    // Damaged: one page of the database overwritten; the size still matches the manifest.
    const damaged = join(work, 'damaged');
    const copy = await runParley(['backup', '--data-dir', target, '--to', damaged]);
    assert.equal(copy.code, 0, copy.stderr);
    const fd = openSync(join(damaged, 'parley.db'), 'r+');
    writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 4096 * 2);
    closeSync(fd);
    const empty = join(work, 'empty');
    const bad = await runParley(['restore', '--from', damaged, '--data-dir', empty, '--force']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unusable/);
    assert.deepEqual(readdirSync(empty), ['parley.lock']);

    // Not a backup at all.
    const none = await runParley(['restore', '--from', join(work, 'nothing'), '--data-dir', empty]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /not a Parley backup/);
  } finally {
    await server.stop();
    server.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
});
