// `parley worker` outside a cluster (docs/media.md, "Background work"): it
// refuses to start, exit 2 and one line that says why, unless its store is
// PostgreSQL and its bus Redis. On SQLite or a local bus the servers would never
// hear that a preview finished (no message_updated; a server on one node keeps
// serving its cached history page with preview "pending"), and a SQLite file is
// one server's alone. The worker at work: cluster/worker.test.mjs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runParley, tempDir } from './lib/server.mjs';

const dir = tempDir('parley-worker-');
after(() => rmSync(dir, { recursive: true, force: true }));

// Nothing listens on these: the worker must refuse before it connects to anything.
const PG = 'postgres://parley:parley@127.0.0.1:1/parley';
const REDIS = 'redis://127.0.0.1:1';

for (const [what, args, reason] of [
  ['the default store (SQLite) and bus (local)', [], /needs a PostgreSQL --store and --bus redis:\/\/HOST:PORT/],
  ['SQLite with a Redis bus', ['--store', `sqlite:${join(dir, 'x.db')}`, '--bus', REDIS], /needs a PostgreSQL --store/],
  ['PostgreSQL with a local bus', ['--store', PG, '--bus', 'local'], /needs --bus redis:\/\/HOST:PORT/],
]) {
  test(`parley worker refuses ${what}: exit 2, one line`, async () => {
    const data = join(dir, String(Math.random()).slice(2));
    const r = await runParley(['worker', '--data-dir', data, ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, reason);
    assert.match(r.stderr, /^parley worker: .*only through the Redis bus.*\n$/);
    assert.equal(r.stdout, '');
    assert.equal(existsSync(data), false, 'nothing was created: not even the data folder');
  });
}
