// End-to-end, attachments (docs/media.md, docs/web.md): a real `parley serve` with a small --max-upload
// and the built web client in Debian's chromium. Alice attaches an image with the file picker, a text
// file by drag and drop and an image by pasting; Bob sees the thumbnail appear, opens the lightbox and
// downloads the file; an upload is cancelled and an oversized one is refused with a clear error.
//
//   PARLEY_BIN=build/parley node --test tests/e2e/media.test.mjs
//
// Same environment as chat.test.mjs (PARLEY_BIN, PARLEY_WEB_DIR, E2E_ARTIFACTS, CHROMIUM; the server reads
// PARLEY_STORE itself). Its users are alice.m and bob.m, so that it can share a database with chat.test.mjs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const BIN = process.env.PARLEY_BIN ? resolve(process.env.PARLEY_BIN) : '';
const WEB_DIR = resolve(process.env.PARLEY_WEB_DIR || join(repo, 'web/out'));
const ARTIFACTS = resolve(process.env.E2E_ARTIFACTS || join(here, 'artifacts'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT = 20_000;
/** Generous: the real server makes thumbnails in a child process on a busy machine. */
const PREVIEW_WAIT = 60_000;
const PASSWORD = 'correct-horse-battery-staple';
const MAX_UPLOAD = 3 * 1024 * 1024;

mkdirSync(ARTIFACTS, { recursive: true });
const serverLog = join(ARTIFACTS, 'media-server.log');
const consoleLog = join(ARTIFACTS, 'media-browser-console.log');
writeFileSync(serverLog, '');
writeFileSync(consoleLog, '');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tid = (id) => `[data-testid="${id}"]`;

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

/** Poll `fn` until it returns truthy; fail with `what` after `timeout`. */
async function until(what, fn, timeout = WAIT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}${last ? ` (last error: ${last.message})` : ''}`);
    await sleep(100);
  }
}

const visible = (locator, timeout = WAIT) => locator.first().waitFor({ state: 'visible', timeout });
const hidden = (locator, timeout = WAIT) => locator.first().waitFor({ state: 'hidden', timeout });
const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) }).catch(() => {});

/** Whether an <img> finished loading real pixels (not a broken image). */
const imageLoaded = (locator) => locator.evaluate((img) => img.complete && img.naturalWidth > 0);

describe('attachments in the web client', { concurrency: false }, () => {
  let server = null;
  let browser;
  let base = '';
  let dataDir = '';
  const pages = {};
  let photo; // PNG bytes
  let alice, bob;

  before(async () => {
    assert.ok(BIN, 'set PARLEY_BIN to the parley server binary (e.g. build/parley)');
    assert.ok(existsSync(BIN), `PARLEY_BIN ${BIN} does not exist`);
    assert.ok(existsSync(join(WEB_DIR, 'index.html')), `${WEB_DIR}/index.html missing: run \`cd web && npm ci && npm run build\``);
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install -y chromium`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-media-'));
    const args = ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--web-dir', WEB_DIR, '--max-upload', String(MAX_UPLOAD)];
    const js = /\.[cm]?js$/.test(BIN);
    appendFileSync(serverLog, `=== start ${new Date().toISOString()}: ${BIN} ${args.join(' ')}\n`);
    server = spawn(js ? process.execPath : BIN, js ? [BIN, ...args] : args, { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout.on('data', (d) => appendFileSync(serverLog, d));
    server.stderr.on('data', (d) => appendFileSync(serverLog, d));
    let exited = null;
    server.once('exit', (code, sig) => {
      exited = `exited with ${code ?? sig}`;
      appendFileSync(serverLog, `=== ${exited}\n`);
    });
    await until(
      'parley healthy',
      async () => {
        if (exited) throw new Error(`parley ${exited}; see ${serverLog}`);
        return (await fetch(`${base}/healthz`)).ok;
      },
      30_000,
    );

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    for (const name of ['alice', 'bob']) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: base });
      const page = await ctx.newPage();
      page.setDefaultTimeout(WAIT);
      page.on('console', (m) => appendFileSync(consoleLog, `[${name}] ${m.type()}: ${m.text()}\n`));
      page.on('pageerror', (e) => appendFileSync(consoleLog, `[${name}] pageerror: ${e.stack || e}\n`));
      pages[name] = page;
    }
    ({ alice, bob } = pages);

    // A real picture to share: a small scene drawn by the browser itself, as PNG.
    const painter = await browser.newPage({ viewport: { width: 960, height: 640 } });
    await painter.setContent(`<body style="margin:0;width:960px;height:640px;overflow:hidden;
      background:linear-gradient(180deg,#1e3a8a 0%,#7c3aed 45%,#f97316 70%,#fde68a 100%)">
      <div style="position:absolute;left:560px;top:250px;width:170px;height:170px;border-radius:50%;background:#fef3c7;box-shadow:0 0 80px #fde68a"></div>
      <div style="position:absolute;left:0;right:0;top:420px;bottom:0;background:linear-gradient(180deg,#0f172a,#1e293b)"></div>
      <div style="position:absolute;left:90px;top:330px;width:0;height:0;border-left:150px solid transparent;border-right:150px solid transparent;border-bottom:90px solid #0f172a"></div>
      <div style="position:absolute;left:330px;top:360px;width:0;height:0;border-left:120px solid transparent;border-right:120px solid transparent;border-bottom:60px solid #111827"></div></body>`);
    photo = await painter.screenshot({ type: 'png' });
    await painter.close();
    assert.ok(photo.length < MAX_UPLOAD);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    if (server && server.exitCode === null && server.signalCode === null) {
      const gone = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      const t = setTimeout(() => server.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function register(page, username, displayName) {
    await page.goto(base);
    await page.click(tid('auth-tab-register'));
    await page.fill(tid('auth-username'), username);
    await page.fill(tid('auth-displayname'), displayName);
    await page.fill(tid('auth-email'), `${username}@example.test`);
    await page.fill(tid('auth-password'), PASSWORD);
    await page.click(tid('auth-submit'));
    await until(`${username} signed in`, async () => (await page.textContent(tid('me-name'))) === displayName);
  }

  const tray = (page, status) => page.locator(status ? `${tid('pending-attachment')}[data-status="${status}"]` : tid('pending-attachment'));

  it('alice and bob sign up and start a conversation', async () => {
    await register(alice, 'alice.m', 'Alice Liddell');
    await register(bob, 'bob.m', 'Bob Builder');
    await alice.click(tid('new-conversation'));
    const dialog = alice.locator(tid('new-conversation-dialog'));
    await dialog.locator(tid('user-search')).fill('bob.m');
    await dialog.locator(`${tid('user-result')}[data-username="bob.m"]`).click();
    await dialog.locator(tid('create-conversation')).click();
    await visible(alice.locator(tid('composer')));
    const box = alice.locator(tid('composer'));
    await box.fill('Back from the coast, pictures below');
    await box.press('Enter');
    await bob.locator(tid('conversation-item')).first().click();
    await visible(bob.locator(tid('message-body'), { hasText: 'Back from the coast' }));
  });

  it('alice attaches an image with the file picker; send waits for the upload, then sends it with a caption', async () => {
    await alice.locator(tid('file-input')).setInputFiles({ name: 'harbour at dusk.png', mimeType: 'image/png', buffer: photo });
    await visible(tray(alice));
    assert.equal(await tray(alice).getAttribute('data-name'), 'harbour at dusk.png');
    await visible(tray(alice, 'done'));
    assert.equal(await alice.locator(tid('send-button')).isEnabled(), true, 'attachments alone can be sent');
    await alice.locator(tid('composer')).fill('The harbour at dusk');
    await shot(alice, '13-alice-attachment-ready');
    await alice.locator(tid('composer')).press('Enter');
    await hidden(tray(alice));
    const mine = alice.locator(tid('message'), { has: alice.locator(tid('attachment-image')) });
    await until('alice message confirmed', async () => (await mine.first().getAttribute('data-status')) === 'sent');
  });

  it('bob sees the thumbnail appear and opens the lightbox', async () => {
    const msg = bob.locator(tid('message'), { has: bob.locator(tid('message-body'), { hasText: 'The harbour at dusk' }) });
    await visible(msg);
    const image = msg.locator(tid('attachment-image'));
    await visible(image);
    if ((await image.getAttribute('data-preview')) === 'pending') await shot(bob, '14-bob-preview-pending');
    await until('the thumbnail is ready', async () => (await image.getAttribute('data-preview')) === 'ready', PREVIEW_WAIT);
    const thumb = image.locator(tid('attachment-thumbnail'));
    await until('the thumbnail loaded', () => imageLoaded(thumb));
    assert.match(await thumb.getAttribute('src'), /[?&]access=/, 'media URLs carry the media token');
    // The placeholder had the image's aspect ratio, and so has the thumbnail.
    const box = await image.boundingBox();
    assert.ok(Math.abs(box.width / box.height - 960 / 640) < 0.05, `thumbnail box ${box.width}x${box.height}`);
    await shot(bob, '15-bob-thumbnail');

    await image.click();
    const lightbox = bob.locator(tid('lightbox'));
    await visible(lightbox);
    const big = lightbox.locator(tid('lightbox-image'));
    await until('the lightbox image loaded', () => imageLoaded(big));
    assert.equal(await lightbox.locator(tid('lightbox-name')).textContent(), 'harbour at dusk.png');
    // The download link gives the original bytes.
    const href = await lightbox.locator(tid('lightbox-download')).getAttribute('href');
    const got = await bob.evaluate(async (u) => {
      const r = await fetch(u);
      return { status: r.status, size: (await r.arrayBuffer()).byteLength };
    }, href);
    assert.deepEqual(got, { status: 200, size: photo.length });
    await shot(bob, '16-bob-lightbox');
    await bob.keyboard.press('Escape');
    await hidden(lightbox);
  });

  it('a file dropped on the conversation and an image pasted into the composer go out as one message', async () => {
    const notes = 'Ferry at 9:40 from pier 3.\nBring the blue cooler.\n';
    // Drag and drop: the same events a file dragged from the desktop fires.
    const dt = await alice.evaluateHandle((text) => {
      const d = new DataTransfer();
      d.items.add(new File([text], 'trip-notes.txt', { type: 'text/plain' }));
      return d;
    }, notes);
    const view = alice.locator(tid('conversation-view'));
    await view.dispatchEvent('dragenter', { dataTransfer: dt });
    await visible(alice.locator(tid('drop-overlay')));
    await shot(alice, '17-alice-drop-overlay');
    await view.dispatchEvent('drop', { dataTransfer: dt });
    await hidden(alice.locator(tid('drop-overlay')));
    // Paste: an image on the clipboard (a screenshot tool puts a nameless PNG there).
    const pngBase64 = photo.toString('base64');
    await alice.locator(tid('composer')).evaluate((el, b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const d = new DataTransfer();
      d.items.add(new File([bytes], '', { type: 'image/png' }));
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: d, bubbles: true, cancelable: true }));
    }, pngBase64);
    await until('two uploads in the tray', async () => (await tray(alice).count()) === 2);
    await until('both uploaded', async () => (await tray(alice, 'done').count()) === 2);
    assert.match(await tray(alice).nth(1).getAttribute('data-name'), /^pasted-.*\.png$/);
    await alice.locator(tid('send-button')).click(); // attachments only, no text
    await hidden(tray(alice));

    const card = bob.locator(tid('attachment-file'), { has: bob.locator(tid('attachment-name'), { hasText: 'trip-notes.txt' }) });
    await visible(card);
    assert.match(await card.locator(tid('attachment-size')).textContent(), /^\d+ B/);
    const href = await card.locator(tid('attachment-download')).getAttribute('href');
    assert.equal(await card.locator(tid('attachment-download')).getAttribute('download'), 'trip-notes.txt');
    const text = await bob.evaluate(async (u) => (await fetch(u)).text(), href);
    assert.equal(text, notes);
    const pasted = bob.locator(tid('message'), { has: card }).locator(tid('attachment-image'));
    await until('the pasted image thumbnail', async () => (await pasted.getAttribute('data-preview')) === 'ready', PREVIEW_WAIT);
    await until('the pasted thumbnail loaded', () => imageLoaded(pasted.locator(tid('attachment-thumbnail'))));
    await shot(bob, '18-bob-file-card');
  });

  it('an image the server cannot preview shows as a file card', async () => {
    // A PNG signature and header, then garbage: sniffed as an image, refused by the thumbnailer.
    const broken = Buffer.concat([photo.subarray(0, 40), Buffer.alloc(2000, 0x5a)]);
    await alice.locator(tid('file-input')).setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: broken });
    await visible(tray(alice, 'done'));
    await alice.locator(tid('composer')).press('Enter');
    const card = bob.locator(tid('attachment-file'), { has: bob.locator(tid('attachment-name'), { hasText: 'broken.png' }) });
    await visible(card, PREVIEW_WAIT);
    await until('the preview failed', async () => (await card.getAttribute('data-preview')) === 'failed', PREVIEW_WAIT);
    await visible(card.locator(tid('attachment-download')));
  });

  it('an upload can be cancelled, retried after a dropped connection, and an oversized one is refused with a clear error', async () => {
    // Hold the upload on its way so that it is still in flight when cancelled.
    let held = null;
    await alice.route('**/api/uploads**', (route) => {
      held = route;
    });
    await alice.locator(tid('file-input')).setInputFiles({ name: 'slow.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(300_000, 7) });
    const item = tray(alice, 'uploading');
    await visible(item);
    await visible(item.locator(tid('upload-progress')));
    await until('the upload reached the network', async () => held !== null);
    assert.equal(await alice.locator(tid('send-button')).isEnabled(), false, 'no sending while uploading');
    await shot(alice, '19-alice-uploading');
    await item.locator(tid('upload-cancel')).click();
    await hidden(tray(alice));
    await held.abort().catch(() => {});
    await alice.unroute('**/api/uploads**');

    // The connection drops: the file stays with the error and a Retry that uploads it again.
    await alice.route('**/api/uploads**', (route) => route.abort('connectionreset'));
    await alice.locator(tid('file-input')).setInputFiles({ name: 'flaky.txt', mimeType: 'text/plain', buffer: Buffer.from('second try\n') });
    const flaky = tray(alice, 'failed');
    await visible(flaky);
    assert.match(await flaky.locator(tid('upload-error')).textContent(), /connection was lost/);
    await alice.unroute('**/api/uploads**');
    await flaky.locator(tid('upload-retry')).click();
    await visible(tray(alice, 'done'));
    await tray(alice, 'done').locator(tid('upload-remove')).click();
    await hidden(tray(alice));

    await alice.locator(tid('file-input')).setInputFiles({ name: 'holiday-video.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(MAX_UPLOAD + 1024 * 1024, 1) });
    const failed = tray(alice, 'failed');
    await visible(failed);
    assert.match(await failed.locator(tid('upload-error')).textContent(), /too large/i);
    assert.equal(await failed.locator(tid('upload-retry')).count(), 0, 'a refusal is not offered again');
    assert.equal(await alice.locator(tid('send-button')).isEnabled(), false, 'nothing to send');
    await shot(alice, '20-alice-upload-too-large');
    await failed.locator(tid('upload-remove')).click();
    await hidden(tray(alice));
  });
});
