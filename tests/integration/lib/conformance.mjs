// Starts and stops `parley conformance` (the protocol test-suite server) for tests: any
// free port (or a given one, to restart on the same address), stdout/stderr kept.
import { spawnParley, stopParley } from './server.mjs';

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
    this.port = await spawnParley(this, args);
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

  stop(options = {}) { return stopParley(this, { timeoutMs: 10_000, ...options }); }
}
