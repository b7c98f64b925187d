// Starts and stops a real `parley serve` process for tests: a free port (the
// server binds port 0 and prints the URL it got), a temporary data dir, and the
// exit code and stderr for assertions.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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

export class ParleyServer {
  constructor({ dataDir, port = 0, args = [], env = {} } = {}) {
    this.ownsDataDir = !dataDir;
    this.dataDir = dataDir ?? tempDir();
    this.port = port;
    this.args = args;
    this.env = env;
    this.stderr = '';
    this.stdout = '';
  }

  get url() { return `http://127.0.0.1:${this.port}`; }

  // Resolves once the server prints its URL; rejects if it exits first.
  async start() {
    const args = ['serve', '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir,
      '--password-cost', 'minimal', '--log-level', process.env.PARLEY_TEST_LOG_LEVEL ?? 'warn', ...this.args];
    this.child = spawn(PARLEY_BIN, args, { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((res) => this.child.on('exit', (code, signal) => res({ code, signal })));
    this.child.stderr.on('data', (d) => { this.stderr += d; });
    await new Promise((res, rej) => {
      const onExit = ({ code }) => rej(new Error(`parley exited with ${code} before listening: ${this.stderr}`));
      this.exited.then(onExit);
      this.child.stdout.on('data', (d) => {
        this.stdout += d;
        const m = /running at http:\/\/[^:]+:(\d+)\//.exec(this.stdout);
        if (m) { this.port = Number(m[1]); res(); }
      });
    });
    return this;
  }

  // SIGTERM, then the exit status. Kills after `timeoutMs`.
  async stop({ signal = 'SIGTERM', timeoutMs = 15_000 } = {}) {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }

  async restart() {
    await this.stop();
    await this.start();
    return this;
  }

  cleanup() {
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
