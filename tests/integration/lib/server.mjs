// Starts and stops a real `parley serve` process for tests: a free port (the
// server binds port 0 and prints the URL it got), a temporary data dir (the JWT
// secret, and the SQLite file), the store chosen by lib/store.mjs (on PostgreSQL a
// database of its own, kept across restarts), and the exit code and stderr for
// assertions.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TestDatabase, onPostgres, storeArgs } from './store.mjs';

export const PARLEY_BIN = resolve(process.env.PARLEY_BIN ?? new URL('../../../build/parley', import.meta.url).pathname);

export function tempDir(prefix = 'parley-test-') {
  return mkdtempSync(join(process.env.PARLEY_TEST_TMP ?? tmpdir(), prefix));
}

// Runs `parley` to completion (for --help, bad flags and the like).
export function runParley(args, { timeoutMs = 10_000, env = {} } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(PARLEY_BIN, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`parley ${args.join(' ')} timed out`)); }, timeoutMs);
    child.on('exit', (code, signal) => { clearTimeout(timer); resolvePromise({ code, signal, stdout, stderr }); });
  });
}

// Starts `parley ARGS` for `owner` (which gets .child, .exited, and appends to
// .stdout/.stderr) and resolves with the port from the "running at" line it
// prints; rejects if the process exits first. Shared by the serve and
// conformance harnesses.
export function spawnParley(owner, args, env = {}) {
  owner.stdout = '';
  owner.child = spawn(PARLEY_BIN, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  owner.exited = new Promise((res) => owner.child.on('exit', (code, signal) => res({ code, signal })));
  owner.child.stderr.on('data', (d) => { owner.stderr += d; });
  return new Promise((res, rej) => {
    owner.exited.then(({ code }) => rej(new Error(`parley ${args[0]} exited with ${code} before listening: ${owner.stderr}`)));
    owner.child.stdout.on('data', (d) => {
      owner.stdout += d;
      const m = /running at http:\/\/[^:]+:(\d+)\//.exec(owner.stdout);
      if (m) res(Number(m[1]));
    });
  });
}

// Sends `signal` to the owner's process and resolves with its exit status;
// kills it after `timeoutMs`.
export async function stopParley(owner, { signal = 'SIGTERM', timeoutMs = 15_000 } = {}) {
  if (!owner.child || owner.child.exitCode !== null || owner.child.signalCode !== null) return owner.exited;
  owner.child.kill(signal);
  const timer = setTimeout(() => owner.child.kill('SIGKILL'), timeoutMs);
  const status = await owner.exited;
  clearTimeout(timer);
  return status;
}

export class ParleyServer {
  // `logLevel` and `passwordCost` replace the harness's defaults (warn, or
  // PARLEY_TEST_LOG_LEVEL; minimal): the server takes each flag once.
  constructor({ dataDir, port = 0, args = [], env = {}, logLevel, passwordCost = 'minimal' } = {}) {
    this.logLevel = logLevel;
    this.passwordCost = passwordCost;
    this.ownsDataDir = !dataDir;
    this.dataDir = dataDir ?? tempDir();
    this.port = port;
    this.args = args;
    this.env = env;
    this.stderr = '';
    this.stdout = '';
    // Created on the first start, so a restart finds the same data.
    this.database = onPostgres ? new TestDatabase() : null;
  }

  get url() { return `http://127.0.0.1:${this.port}`; }

  // Resolves once the server prints its URL; rejects if it exits first.
  async start() {
    await this.database?.create();
    const args = ['serve', '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir,
      '--password-cost', this.passwordCost, '--log-level', this.logLevel ?? process.env.PARLEY_TEST_LOG_LEVEL ?? 'warn', ...storeArgs(this.database), ...this.args];
    this.port = await spawnParley(this, args, this.env);
    return this;
  }

  // SIGTERM, then the exit status. Kills after `timeoutMs`.
  stop(options) { return stopParley(this, options); }

  async restart() {
    await this.stop();
    await this.start();
    return this;
  }

  // Removes what start() made: the database, and the data dir unless the caller gave it.
  cleanup() {
    this.database?.drop();
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
