// Which store the spawned `parley serve` processes use, chosen by the environment so
// that the same suites run against every backend:
//
//   PARLEY_TEST_STORE         sqlite (the default: parley.db in each server's data dir)
//                             or postgres
//   PARLEY_TEST_POSTGRES_URL  with postgres: a URL of the PostgreSQL server to test on,
//                             postgres://USER:PASS@HOST:PORT/DB (scripts/pg-server.sh
//                             prints one); its user must be allowed to CREATE DATABASE.
//
// With postgres every server gets a database of its own, created on its first start,
// kept across restarts, and dropped by cleanup() (or when the test process exits).
// Database work runs through `psql` (Debian's postgresql-client).
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const STORE = process.env.PARLEY_TEST_STORE || 'sqlite';
if (STORE !== 'sqlite' && STORE !== 'postgres') {
  throw new Error(`PARLEY_TEST_STORE must be sqlite or postgres, got '${STORE}'`);
}
export const onPostgres = STORE === 'postgres';

const ADMIN_URL = process.env.PARLEY_TEST_POSTGRES_URL;
if (onPostgres && !/^postgres(ql)?:\/\//.test(ADMIN_URL ?? '')) {
  throw new Error('PARLEY_TEST_STORE=postgres needs PARLEY_TEST_POSTGRES_URL=postgres://USER:PASS@HOST:PORT/DB');
}

// For a test's `skip` option: false on SQLite, else the reason it cannot run on
// PostgreSQL. `what` says what the test does to the SQLite file.
export function sqliteFileOnly(what) {
  return onPostgres ? `about the SQLite file itself (${what}); the store here is PostgreSQL` : false;
}

// psql's arguments to run `sql` on `url`, stopping at the first error.
const psqlArgs = (url, sql) => ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql];
const psqlEnv = () => ({ ...process.env, PGCONNECT_TIMEOUT: '10' });

// `url` with its database part replaced by `name`.
function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.href;
}

let created = 0;
const live = new Set();  // names not yet dropped, for the exit hook below

function dropSync(name) {
  // WITH (FORCE) ends the connections a killed server may have left behind.
  const res = spawnSync('psql', psqlArgs(ADMIN_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    { env: psqlEnv(), encoding: 'utf8', timeout: 30_000 });
  if (res.status !== 0) throw new Error(`dropping database ${name} failed: ${res.stderr || res.error}`);
  live.delete(name);
}

// A test that failed before its cleanup() would leave its database on the server;
// the server is a throwaway one, but several runs against the same one must not pile up.
process.on('exit', () => {
  for (const name of [...live]) {
    try { dropSync(name); } catch { /* the PostgreSQL server may be gone already */ }
  }
});

// One fresh PostgreSQL database, named uniquely for this process.
export class TestDatabase {
  constructor() {
    created += 1;
    this.name = `parley_test_${process.pid}_${created}_${randomBytes(3).toString('hex')}`;
    this.url = withDatabase(ADMIN_URL, this.name);
    this.exists = false;
  }

  async create() {
    if (this.exists) return;
    try {
      await execFileAsync('psql', psqlArgs(ADMIN_URL, `CREATE DATABASE ${this.name}`), { env: psqlEnv(), timeout: 30_000 });
    } catch (e) {
      throw new Error(`creating database ${this.name} on ${ADMIN_URL} failed: ${e.stderr || e.message}`);
    }
    this.exists = true;
    live.add(this.name);
  }

  drop() {
    if (!this.exists) return;
    dropSync(this.name);
    this.exists = false;
  }
}

// The `--store` arguments for a server: none on SQLite (the data dir's parley.db).
export function storeArgs(database) {
  return database ? ['--store', database.url] : [];
}

// Runs one SQL statement against `server`'s store (the statement must mean the same
// in SQLite and PostgreSQL); for tests that change data behind the server's back.
export function runSql(server, sql) {
  if (server.database) {
    execFileSync('psql', psqlArgs(server.database.url, sql), { env: psqlEnv(), stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } else {
    // The server holds the database open and may be writing: wait for its lock.
    execFileSync('sqlite3', [join(server.dataDir, 'parley.db'), `PRAGMA busy_timeout=5000; ${sql}`]);
  }
}
