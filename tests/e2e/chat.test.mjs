// End-to-end: a real `parley serve` and the built web client, driven in Debian's chromium by
// playwright-core. Three people in three isolated browser contexts (alice and carol on a desktop
// viewport, bob on a 375 px phone viewport).
//
//   PARLEY_BIN=build/dev/parley node --test tests/e2e/      (or `npm test` in tests/e2e)
//
// Environment:
//   PARLEY_BIN      the server binary (required)
//   PARLEY_WEB_DIR  the built client (default: web/out)
//   E2E_ARTIFACTS   where screenshots, the server log and the browser console go (default: tests/e2e/artifacts)
//   CHROMIUM        the browser (default: /usr/bin/chromium)
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
const WAIT = 15_000;
const PASSWORD = 'correct-horse-battery-staple';

mkdirSync(ARTIFACTS, { recursive: true });
const serverLog = join(ARTIFACTS, 'server.log');
const consoleLog = join(ARTIFACTS, 'browser-console.log');
writeFileSync(serverLog, '');
writeFileSync(consoleLog, '');

// ───────────────────────── the server ─────────────────────────

let port = 0;
let dataDir = '';
let server = null;
let base = '';

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

async function startServer() {
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--web-dir', WEB_DIR];
  const js = /\.[cm]?js$/.test(BIN);
  appendFileSync(serverLog, `\n=== start ${new Date().toISOString()}: ${BIN} ${args.join(' ')}\n`);
  const child = spawn(js ? process.execPath : BIN, js ? [BIN, ...args] : args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => appendFileSync(serverLog, d));
  child.stderr.on('data', (d) => appendFileSync(serverLog, d));
  let exited = null;
  child.once('exit', (code, sig) => {
    exited = `exited with ${code ?? sig}`;
    appendFileSync(serverLog, `=== ${exited}\n`);
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`parley ${exited} before it was ready; see ${serverLog}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`parley not healthy within 30 s; see ${serverLog}`);
    await sleep(100);
  }
  server = child;
}

async function stopServer() {
  const child = server;
  server = null;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((res) => child.once('exit', res));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(t);
}

// ───────────────────────── helpers ─────────────────────────

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

const tid = (id) => `[data-testid="${id}"]`;

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) }).catch(() => {});
}

async function visible(locator, timeout = WAIT) {
  await locator.first().waitFor({ state: 'visible', timeout });
}

async function hidden(locator, timeout = WAIT) {
  await locator.first().waitFor({ state: 'hidden', timeout });
}

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

function conversationItem(page, title) {
  return page.locator(tid('conversation-item'), { has: page.locator(tid('conversation-title'), { hasText: title }) });
}

function message(page, text) {
  return page.locator(tid('message'), { has: page.locator(tid('message-body'), { hasText: text }) });
}

async function send(page, text) {
  const box = page.locator(tid('composer'));
  await box.click();
  await box.fill(text);
  await box.press('Enter');
}

/** Start a conversation from the "new conversation" dialog. */
async function startConversation(page, usernames, title, shotName) {
  await page.click(tid('new-conversation'));
  const dialog = page.locator(tid('new-conversation-dialog'));
  await visible(dialog);
  for (const u of usernames) {
    await dialog.locator(tid('user-search')).fill(u);
    const result = dialog.locator(`${tid('user-result')}[data-username="${u}"]`);
    await visible(result);
    await result.click();
  }
  if (title) await dialog.locator(tid('group-title')).fill(title);
  if (shotName) await shot(page, shotName);
  await dialog.locator(tid('create-conversation')).click();
  await hidden(dialog);
  await visible(page.locator(tid('composer')));
}

// ───────────────────────── the suite ─────────────────────────

describe('web client against a live parley server', { concurrency: false }, () => {
  let browser;
  const pages = {};
  let blockAliceRealtime = false;

  before(async () => {
    assert.ok(BIN, 'set PARLEY_BIN to the parley server binary (e.g. build/dev/parley)');
    assert.ok(existsSync(BIN), `PARLEY_BIN ${BIN} does not exist`);
    assert.ok(existsSync(join(WEB_DIR, 'index.html')), `${WEB_DIR}/index.html missing: run \`cd web && npm ci && npm run build\``);
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install -y chromium`);
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
    await startServer();

    // launch() gives the browser a fresh temporary profile (user-data-dir) of its own.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const desktop = { viewport: { width: 1280, height: 800 } };
    const phone = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
    for (const [name, opts] of [['alice', desktop], ['bob', phone], ['carol', desktop]]) {
      const ctx = await browser.newContext({ ...opts, baseURL: base });
      const page = await ctx.newPage();
      page.setDefaultTimeout(WAIT);
      page.on('console', (m) => appendFileSync(consoleLog, `[${name}] ${m.type()}: ${m.text()}\n`));
      page.on('pageerror', (e) => appendFileSync(consoleLog, `[${name}] pageerror: ${e.stack || e}\n`));
      pages[name] = page;
    }
    // Lets the restart test keep alice's realtime connection down while the others reconnect.
    await pages.alice.route('**/socket.io/**', (route) => (blockAliceRealtime ? route.abort() : route.continue()));
    await pages.alice.routeWebSocket('**/socket.io/**', (ws) => {
      if (blockAliceRealtime) ws.close();
      else ws.connectToServer();
    });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await stopServer();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('registers alice, bob and carol', async () => {
    await register(pages.alice, 'alice', 'Alice Liddell');
    await register(pages.bob, 'bob', 'Bob Builder');
    await register(pages.carol, 'carol', 'Carol Danvers');
    await shot(pages.alice, '01-alice-empty');
  });

  it('alice opens a direct conversation with bob and sends; her message is confirmed', async () => {
    const { alice } = pages;
    await startConversation(alice, ['bob']);
    assert.equal(await alice.textContent(tid('conversation-header-title')), 'Bob Builder');
    await send(alice, 'Hi Bob! ¿Qué tal? <b>not bold</b>');
    const m = message(alice, 'Hi Bob!');
    await visible(m);
    await until('first message confirmed', async () => (await m.getAttribute('data-status')) === 'sent');
    // Text, never HTML.
    assert.equal(await alice.locator(`${tid('message-body')} b`).count(), 0);
    assert.match(await m.locator(tid('message-body')).textContent(), /<b>not bold<\/b>/);
    // Shift+Enter makes a new line, Enter sends.
    const box = alice.locator(tid('composer'));
    await box.click();
    await box.type('line one');
    await box.press('Shift+Enter');
    await box.type('line two');
    await box.press('Enter');
    const two = message(alice, 'line one');
    await visible(two);
    assert.equal(await two.locator(tid('message-body')).innerText(), 'line one\nline two');
    await until('second message confirmed', async () => (await two.getAttribute('data-status')) === 'sent');
    assert.equal(await box.inputValue(), '');
  });

  it('bob sees it live with an unread badge, opens it, and alice sees it seen', async () => {
    const { alice, bob } = pages;
    const item = conversationItem(bob, 'Alice Liddell');
    await visible(item);
    await until('unread badge 2', async () => (await item.locator(tid('unread-badge')).textContent()) === '2');
    assert.match(await item.locator(tid('conversation-preview')).textContent(), /line one/);
    await visible(item.locator(tid('online-dot')));
    await shot(bob, '02-bob-unread-mobile');

    await item.click();
    await visible(message(bob, 'Hi Bob!'));
    await visible(message(bob, 'line two'));
    const seen = alice.locator(tid('seen-by'));
    await visible(seen);
    assert.match(await seen.textContent(), /Seen/);
    await shot(alice, '03-alice-seen');
  });

  it('bob types and alice sees the typing indicator; bob replies live', async () => {
    const { alice, bob } = pages;
    const box = bob.locator(tid('composer'));
    await box.click();
    await box.type('Hey Alice, typing slowly', { delay: 40 });
    const typing = alice.locator(tid('typing-indicator'));
    await visible(typing);
    assert.match(await typing.textContent(), /Bob is typing/);
    await shot(alice, '04-alice-sees-typing');
    await box.press('Enter');
    await visible(message(alice, 'Hey Alice, typing slowly'));
    await hidden(typing);
    await send(bob, 'This one will be deleted');
    await visible(message(alice, 'This one will be deleted'));
  });

  it('bob deletes a message and it disappears for alice', async () => {
    const { alice, bob } = pages;
    const m = message(bob, 'This one will be deleted');
    await until('message confirmed for bob', async () => (await m.getAttribute('data-status')) === 'sent');
    await m.locator(tid('message-bubble')).click(); // on a phone a tap shows the actions
    await m.locator(tid('delete-message')).click();
    await bob.click(tid('confirm-delete'));
    await hidden(message(bob, 'This one will be deleted'));
    await hidden(message(alice, 'This one will be deleted'));
    await visible(alice.locator(tid('message-deleted')));
    await shot(alice, '05-alice-after-delete');
  });

  it('a group of three, renamed, reaches everyone live', async () => {
    const { alice, bob, carol } = pages;
    await startConversation(alice, ['bob', 'carol'], 'Weekend plans', '06-alice-new-group-dialog');
    assert.equal(await alice.textContent(tid('conversation-header-title')), 'Weekend plans');
    await send(alice, 'Who is in for Saturday?');
    await visible(message(alice, 'Who is in for Saturday?'));

    const carolItem = conversationItem(carol, 'Weekend plans');
    await visible(carolItem);
    await until('carol unread 1', async () => (await carolItem.locator(tid('unread-badge')).textContent()) === '1');

    // Rename from the details panel.
    await alice.click(tid('conversation-info'));
    await visible(alice.locator(tid('details-panel')));
    assert.equal(await alice.locator(tid('member-row')).count(), 3);
    await alice.click(tid('rename'));
    await alice.fill(tid('rename-input'), 'Weekend trip');
    await alice.click(tid('rename-save'));
    await until('alice header renamed', async () => (await alice.textContent(tid('conversation-header-title'))) === 'Weekend trip');
    await visible(conversationItem(carol, 'Weekend trip'));
    await shot(alice, '07-alice-group-details');
    await alice.click(tid('close-details'));

    // Bob, on his phone, goes back to the list and sees the renamed group.
    await bob.click(tid('back'));
    await visible(conversationItem(bob, 'Weekend trip'));
    await conversationItem(bob, 'Weekend trip').click();
    await visible(message(bob, 'Who is in for Saturday?'));
    await send(bob, 'Me!');
    await visible(message(alice, 'Me!'));
    await conversationItem(carol, 'Weekend trip').click();
    await visible(message(carol, 'Me!'));
    await send(carol, 'Count me in too');
    await visible(message(alice, 'Count me in too'));
    await visible(message(bob, 'Count me in too'));
    const seen = alice.locator(tid('seen-by'));
    await until('group seen by both', async () => /Seen by (everyone|Bob and Carol|Carol and Bob)/.test(await seen.textContent()));
    await shot(bob, '08-bob-group-mobile');
    await shot(alice, '09-alice-group');
  });

  it('a reload keeps the session and the open conversation', async () => {
    const { bob } = pages;
    await bob.reload();
    await visible(bob.locator(tid('composer')));
    await visible(message(bob, 'Count me in too'));
    await bob.click(tid('back'));
    assert.equal(await bob.textContent(tid('me-name')), 'Bob Builder');
    await visible(conversationItem(bob, 'Alice Liddell'));
    await conversationItem(bob, 'Alice Liddell').click();
    await visible(message(bob, 'Hey Alice, typing slowly'));
  });

  it('a server restart shows the banner, then everything catches up', async () => {
    const { alice, bob } = pages;
    await conversationItem(alice, 'Bob Builder').click();
    await visible(message(alice, 'Hey Alice, typing slowly'));

    await stopServer();
    await visible(alice.locator(tid('disconnected-banner')));
    await visible(bob.locator(tid('disconnected-banner')));
    await shot(alice, '10-alice-disconnected');

    // Alice writes while the server is down: shown at once as pending.
    await send(alice, 'Written while the server was down');
    const queued = message(alice, 'Written while the server was down');
    await visible(queued);
    assert.equal(await queued.getAttribute('data-status'), 'sending');

    // The server comes back; alice's realtime connection is held down a while longer, so that what
    // bob sends now can reach her only through the REST catch-up.
    blockAliceRealtime = true;
    await startServer();
    await hidden(bob.locator(tid('disconnected-banner')), 30_000);
    await send(bob, 'Sent while Alice was still away');
    const bobs = message(bob, 'Sent while Alice was still away');
    await until('bob message confirmed after restart', async () => (await bobs.getAttribute('data-status')) === 'sent');
    assert.ok(await alice.locator(tid('disconnected-banner')).isVisible(), 'alice is still offline');

    blockAliceRealtime = false;
    await hidden(alice.locator(tid('disconnected-banner')), 30_000);
    await visible(message(alice, 'Sent while Alice was still away'));
    assert.equal(await message(alice, 'Sent while Alice was still away').count(), 1);
    await until('alice queued message confirmed', async () => (await queued.getAttribute('data-status')) === 'sent');
    await visible(message(bob, 'Written while the server was down'));
    // Exactly once each, in order.
    assert.equal(await message(alice, 'Written while the server was down').count(), 1);
    assert.equal(await message(bob, 'Written while the server was down').count(), 1);
    await shot(alice, '11-alice-caught-up');
    // The conversation list caught up too.
    await visible(conversationItem(alice, 'Weekend trip'));
  });

  it('logs out and back in', async () => {
    const { carol } = pages;
    await carol.click(tid('logout'));
    await visible(carol.locator(tid('auth-submit')));
    await carol.fill(tid('auth-login'), 'carol');
    await carol.fill(tid('auth-password'), PASSWORD);
    await carol.click(tid('auth-submit'));
    await visible(conversationItem(carol, 'Weekend trip'));
    await shot(carol, '12-carol-signed-in-again');
  });
});
