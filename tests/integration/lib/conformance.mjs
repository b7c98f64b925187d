// Starts and stops `parley conformance` (the protocol test-suite server) for tests: any
// free port (or a given one, to restart on the same address), stdout/stderr kept.
import { spawn } from 'node:child_process';
import { PARLEY_BIN } from './server.mjs';

export class ConformanceServer {
  constructor({ port = 0, threads = 2, args = [] } = {}) {
    this.port = port;
    this.threads = threads;
    this.args = args;
    this.stderr = '';
    this.stdout = '';
  }

  get url() { return `http://127.0.0.1:${this.port}`; }
  get wsUrl() { return `ws://127.0.0.1:${this.port}`; }

  async start() {
    const args = ['conformance', '--listen', `127.0.0.1:${this.port}`, '--threads', String(this.threads),
      '--log-level', process.env.PARLEY_TEST_LOG_LEVEL ?? 'warn', ...this.args];
    this.stdout = '';
    this.child = spawn(PARLEY_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((res) => this.child.on('exit', (code, signal) => res({ code, signal })));
    this.child.stderr.on('data', (d) => { this.stderr += d; });
    await new Promise((res, rej) => {
      this.exited.then(({ code }) => rej(new Error(`parley conformance exited with ${code}: ${this.stderr}`)));
      this.child.stdout.on('data', (d) => {
        this.stdout += d;
        const m = /running at http:\/\/[^:]+:(\d+)\//.exec(this.stdout);
        if (m) { this.port = Number(m[1]); res(); }
      });
    });
    return this;
  }

  // Stops the server and throws unless it exited cleanly (code 0, no sanitizer report:
  // the suites also run against the ASan+UBSan build).
  async stopCleanly() {
    const status = await this.stop();
    if (status.code !== 0 || /AddressSanitizer|runtime error|LeakSanitizer/.test(this.stderr)) {
      throw new Error(`parley conformance exited with ${status.code ?? status.signal}: ${this.stderr}`);
    }
    return status;
  }

  async stop({ signal = 'SIGTERM', timeoutMs = 10_000 } = {}) {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }
}
