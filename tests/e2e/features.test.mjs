// End-to-end, conversation features (docs/features.md, docs/web.md): a real `parley serve` and the
// built web client in Debian's chromium, two people on desktop viewports (alice_f and bob_f, so that
// this file can share a database with the others): edit (hover menu and Up), reactions, a reply whose
// parent is pages back in history (jump and highlight), a mention (autocomplete, highlight, "@" badge),
// search (snippet rendered safely, jump in context), mute (a dot, no notification), browser notifications
// while the tab is hidden, and the changedAfter catch-up of edits and reactions missed while offline.
//
//   PARLEY_BIN=build/parley node --test tests/e2e/features.test.mjs
//
// Environment: as chat.test.mjs (PARLEY_BIN, PARLEY_WEB_DIR, E2E_ARTIFACTS, CHROMIUM). Screenshots
// features-*.png go to E2E_ARTIFACTS.
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
const serverLog = join(ARTIFACTS, 'features-server.log');
const consoleLog = join(ARTIFACTS, 'features-browser-console.log');
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
  // No rate limit: the test sends a page and more of history at once.
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--web-dir', WEB_DIR, '--rate-limit', 'off'];
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


async function hoverAction(page, msg, action) {
  await msg.scrollIntoViewIfNeeded();
  await msg.locator(tid('message-bubble')).hover();
  await msg.locator(tid(action)).click();
}

async function token(page) {
  return page.evaluate(() => localStorage.getItem('parley.token'));
}

let fillers = 0;

/** Send straight through the REST API (history filler), as the page's user. */
async function apiSend(page, conversationId, body) {
  const t = await token(page);
  const r = await fetch(`${base}/api/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${t}` },
    body: JSON.stringify({ conversationId, body, clientMsgId: `filler-${++fillers}` }),
  });
  assert.ok(r.ok, `send ${body}: ${r.status} ${await r.text()}`);
}

/** Watches the real Notification constructor and lets the test say whether the tab is hidden. */
function notificationSpy() {
  window.__notes = [];
  window.__hidden = false;
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => window.__hidden });
  const Real = window.Notification;
  if (!Real) return;
  function Watched(title, opts) {
    window.__notes.push({ title, body: opts?.body ?? '' });
    return new Real(title, opts);
  }
  Watched.prototype = Real.prototype;
  Object.defineProperty(Watched, 'permission', { get: () => Real.permission });
  Watched.requestPermission = (...a) => Real.requestPermission(...a);
  window.Notification = Watched;
}

// ───────────────────────── the suite ─────────────────────────

describe('conversation features in the web client', { concurrency: false }, () => {
  let browser;
  const pages = {};
  const ctxs = {};
  let groupId = '';
  let blockBob = false;
  const bobSockets = new Set();
  // A filter of the frames the server sends bob: those it matches are dropped (a lost event).
  let dropForBob = null;
  const droppedForBob = [];

  before(async () => {
    assert.ok(BIN, 'set PARLEY_BIN to the parley server binary (e.g. build/parley)');
    assert.ok(existsSync(BIN), `PARLEY_BIN ${BIN} does not exist`);
    assert.ok(existsSync(join(WEB_DIR, 'index.html')), `${WEB_DIR}/index.html missing: run \`cd web && npm ci && npm run build\``);
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install -y chromium`);
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-features-'));
    await startServer();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    for (const name of ['alice', 'bob']) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: base });
      await ctx.addInitScript(notificationSpy);
      const page = await ctx.newPage();
      page.setDefaultTimeout(WAIT);
      page.on('console', (m) => appendFileSync(consoleLog, `[${name}] ${m.type()}: ${m.text()}\n`));
      page.on('pageerror', (e) => appendFileSync(consoleLog, `[${name}] pageerror: ${e.stack || e}\n`));
      pages[name] = page;
      ctxs[name] = ctx;
    }
    // Lets a test take bob's realtime connection down (and keep it down) while the others go on.
    await pages.bob.route('**/socket.io/**', (route) => (blockBob ? route.abort() : route.continue()));
    await pages.bob.routeWebSocket('**/socket.io/**', (ws) => {
      if (blockBob) return ws.close();
      const server = ws.connectToServer();
      server.onMessage((m) => {
        if (dropForBob && typeof m === 'string' && dropForBob(m)) droppedForBob.push(m);
        else ws.send(m);
      });
      bobSockets.add(ws);
    });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await stopServer();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('alice and bob meet in a group and a direct conversation', async () => {
    const { alice, bob } = pages;
    await register(alice, 'alice_f', 'Alice Liddell');
    await register(bob, 'bob_f', 'Bob Builder');
    // A third member (no browser) makes it a group.
    const r = await fetch(`${base}/api/auth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'carol_f', displayName: 'Carol Danvers', email: 'carol_f@example.test', password: PASSWORD }),
    });
    assert.ok(r.ok, `register carol_f: ${r.status}`);
    await startConversation(alice, ['bob_f', 'carol_f'], 'Launch plans');
    groupId = await alice.locator(tid('conversation-view')).getAttribute('data-conversation-id');
    await send(alice, 'The launch is on Tuesday');
    await startConversation(alice, ['bob_f']);
    await send(alice, 'Hi Bob, just us here');
    await conversationItem(bob, 'Alice Liddell').click();
    await visible(message(bob, 'Hi Bob, just us here'));
    await conversationItem(bob, 'Launch plans').click();
    await visible(message(bob, 'The launch is on Tuesday'));
    await conversationItem(alice, 'Launch plans').click();
  });

  it('alice edits from the hover menu and with Up; bob sees the text change and "edited"', async () => {
    const { alice, bob } = pages;
    const mine = message(alice, 'The launch is on Tuesday');
    await until('confirmed', async () => (await mine.getAttribute('data-status')) === 'sent');
    await hoverAction(alice, mine, 'edit-button');
    await visible(alice.locator(tid('composer-editing')));
    const box = alice.locator(tid('composer'));
    assert.equal(await box.inputValue(), 'The launch is on Tuesday');
    await box.fill('The launch is on Thursday');
    await box.press('Enter');
    await hidden(alice.locator(tid('composer-editing')));
    const theirs = message(bob, 'The launch is on Thursday');
    await visible(theirs);
    await visible(theirs.locator(tid('edited-label')));
    assert.equal(await message(bob, 'Tuesday').count(), 0);

    // Up in the empty composer edits my latest message; Esc cancels, the draft comes back.
    await box.fill('a draft');
    await box.fill('');
    await box.press('ArrowUp');
    await visible(alice.locator(tid('composer-editing')));
    assert.equal(await box.inputValue(), 'The launch is on Thursday');
    await box.press('Escape');
    await hidden(alice.locator(tid('composer-editing')));
    await box.press('ArrowUp');
    await box.fill('The launch is on Friday');
    await shot(alice, 'features-01-alice-editing');
    await box.press('Enter');
    await visible(message(bob, 'The launch is on Friday'));
    await visible(message(alice, 'The launch is on Friday').locator(tid('edited-label')));
    assert.equal(await message(bob, 'Thursday').count(), 0);
  });

  it('reactions: bob picks one, alice adds hers by clicking the chip, bob takes his back', async () => {
    const { alice, bob } = pages;
    const theirs = message(bob, 'The launch is on Friday');
    await hoverAction(bob, theirs, 'react-button');
    await visible(bob.locator(tid('reaction-picker')));
    await bob.locator(`${tid('reaction-option')}[data-emoji="🎉"]`).click();
    const chipA = message(alice, 'The launch is on Friday').locator(`${tid('reaction-chip')}[data-emoji="🎉"]`);
    await visible(chipA);
    assert.equal(await chipA.getAttribute('data-count'), '1');
    assert.equal(await chipA.getAttribute('data-mine'), 'false');
    assert.match(await chipA.getAttribute('title'), /Bob Builder/);
    await chipA.click();
    await until('two 🎉 for alice', async () => (await chipA.getAttribute('data-count')) === '2');
    assert.equal(await chipA.getAttribute('data-mine'), 'true');
    const chipB = theirs.locator(`${tid('reaction-chip')}[data-emoji="🎉"]`);
    await until('two 🎉 for bob', async () => (await chipB.getAttribute('data-count')) === '2');
    assert.match(await chipB.getAttribute('title'), /You and Alice Liddell/);
    await hoverAction(bob, theirs, 'react-button');
    await bob.locator(`${tid('reaction-option')}[data-emoji="👍"]`).click();
    await visible(message(alice, 'The launch is on Friday').locator(`${tid('reaction-chip')}[data-emoji="👍"]`));
    await shot(alice, 'features-02-alice-reactions');
    await chipB.click(); // toggles bob's 🎉 off
    await until('one 🎉 for alice', async () => (await chipA.getAttribute('data-count')) === '1');
    assert.equal(await chipA.getAttribute('data-mine'), 'true');
  });

  it('a mention: autocomplete for alice, an "@" badge and a highlight for bob', async () => {
    const { alice, bob } = pages;
    await conversationItem(bob, 'Alice Liddell').click();
    const box = alice.locator(tid('composer'));
    await box.click();
    await box.type('Can @bo');
    await visible(alice.locator(tid('mention-suggestions')));
    await shot(alice, 'features-03-alice-mention-autocomplete');
    await box.press('Enter'); // picks the suggestion, does not send
    assert.equal(await box.inputValue(), 'Can @bob_f ');
    await box.type('check the deck?');
    await box.press('Enter');
    const item = conversationItem(bob, 'Launch plans');
    await until('mention badge', async () => (await item.getAttribute('data-mentions')) === '1');
    await visible(item.locator(tid('mention-badge')));
    await until('tab title counts unread', async () => /^\(1\) Parley$/.test(await bob.title()));
    await shot(bob, 'features-04-bob-mention-badge');
    await item.click();
    const m = message(bob, 'check the deck?');
    await visible(m);
    assert.equal(await m.getAttribute('data-mentioned'), 'true');
    assert.equal(await m.locator(tid('mention')).textContent(), '@bob_f');
    assert.equal(await message(bob, 'The launch is on Friday').getAttribute('data-mentioned'), null);
    await until('badge gone', async () => (await item.getAttribute('data-mentions')) === '0');
    await hidden(item.locator(tid('mention-badge')));
    await until('title back', async () => (await bob.title()) === 'Parley');
    await shot(bob, 'features-05-bob-mentioned');
  });

  it('a reply to a message 60 messages back: bob jumps to the parent, loading older pages', async () => {
    const { alice, bob } = pages;
    for (let i = 1; i <= 60; i++) await apiSend(alice, groupId, `Filler message ${i} of 60`);
    await visible(message(alice, 'Filler message 60 of 60'));
    const parent = message(alice, 'The launch is on Friday');
    await hoverAction(alice, parent, 'reply-button');
    await visible(alice.locator(tid('composer-reply')));
    assert.match(await alice.locator(tid('composer-reply')).textContent(), /The launch is on Friday/);
    await send(alice, 'Friday it is, replying to myself');
    await hidden(alice.locator(tid('composer-reply')));
    const reply = message(alice, 'Friday it is');
    await until('reply confirmed', async () => (await reply.getAttribute('data-status')) === 'sent');
    assert.match(await reply.locator(tid('reply-quote')).textContent(), /The launch is on Friday/);

    // Bob starts afresh: only the latest page is loaded, the parent is not.
    await bob.reload();
    const theirs = message(bob, 'Friday it is');
    await visible(theirs);
    assert.equal(await message(bob, 'The launch is on Friday').count(), 0);
    await theirs.locator(tid('reply-quote')).click();
    const target = message(bob, 'The launch is on Friday');
    await visible(target, 30_000);
    await until('parent highlighted', async () => (await target.getAttribute('data-highlighted')) === 'true');
    assert.ok(await target.isVisible());
    const box = await target.boundingBox();
    const list = await bob.locator(tid('message-list')).boundingBox();
    assert.ok(box && list && box.y >= list.y && box.y + box.height <= list.y + list.height, 'the parent is on screen');
    await shot(bob, 'features-06-bob-jumped-to-parent');
  });

  it('a deleted parent shows as "Deleted message" in the reply', async () => {
    const { alice, bob } = pages;
    await send(bob, 'This plan will be withdrawn');
    const parentA = message(alice, 'This plan will be withdrawn');
    await visible(parentA);
    await hoverAction(alice, parentA, 'reply-button');
    await send(alice, 'Reply to a plan soon withdrawn');
    const reply = message(bob, 'Reply to a plan soon withdrawn');
    await visible(reply);
    const mine = message(bob, 'This plan will be withdrawn');
    await hoverAction(bob, mine, 'delete-message');
    await bob.click(tid('confirm-delete'));
    const quoteA = message(alice, 'Reply to a plan soon withdrawn').locator(tid('reply-quote'));
    await until('deleted in the quote', async () => (await quoteA.getAttribute('data-deleted')) === 'true');
    assert.match(await quoteA.textContent(), /Deleted message/);
  });

  it('search: the snippet is rendered as text with marks, a click opens the message in context', async () => {
    const { alice, bob } = pages;
    await send(alice, 'Friday <b>snacks</b> & <img src=x onerror="window.__xss=1"> for everyone');
    await visible(message(bob, 'for everyone'));
    await bob.reload(); // the Friday message is far back again
    await visible(message(bob, 'for everyone'));
    await bob.fill(tid('conversation-filter'), 'frida');
    const results = bob.locator(tid('search-result'));
    await until('three results', async () => (await results.count()) === 3);
    const snippets = bob.locator(tid('search-snippet'));
    const texts = await snippets.allTextContents();
    assert.ok(texts.some((t) => t.includes('<b>snacks</b> & <img src=x')), `the markup is shown as text: ${texts}`);
    assert.equal(await snippets.locator('b, img').count(), 0);
    assert.equal(await bob.evaluate(() => window.__xss), undefined);
    assert.ok((await snippets.locator('mark').allTextContents()).every((t) => /^frida/i.test(t)));
    assert.match(await results.first().locator(tid('search-result-conversation')).textContent(), /Launch plans/);
    // An edited-away word is not found.
    await bob.fill(tid('conversation-filter'), 'tuesday');
    await visible(bob.locator(tid('search-empty')));
    await bob.fill(tid('conversation-filter'), 'launch frida');
    await until('one result', async () => (await results.count()) === 1);
    await shot(bob, 'features-07-bob-search');
    await results.first().click();
    const target = message(bob, 'The launch is on Friday');
    await visible(target, 30_000);
    await until('hit highlighted', async () => (await target.getAttribute('data-highlighted')) === 'true');
    await visible(message(bob, 'Filler message 1 of 60'));
    await shot(bob, 'features-08-bob-search-jump');
  });

  it('notifications while hidden; a muted conversation shows a dot and notifies nobody', async () => {
    const { alice, bob } = pages;
    await ctxs.bob.grantPermissions(['notifications'], { origin: base });
    const enable = bob.locator(tid('enable-notifications'));
    if (await enable.isVisible()) await enable.click(); // asks on a user gesture
    await conversationItem(bob, 'Alice Liddell').click();
    await bob.evaluate(() => (window.__hidden = true));
    await send(alice, 'Ping while you are away');
    await until('a notification', async () => (await bob.evaluate(() => window.__notes.length)) === 1);
    const [note] = await bob.evaluate(() => window.__notes);
    assert.match(note.title, /Alice Liddell in Launch plans/);
    assert.match(note.body, /Ping while you are away/);
    await bob.evaluate(() => (window.__hidden = false));

    await conversationItem(bob, 'Launch plans').click();
    const mute = bob.locator(tid('mute-toggle'));
    await mute.click();
    await until('muted', async () => (await mute.getAttribute('data-muted')) === 'true');
    await conversationItem(bob, 'Alice Liddell').click();
    await bob.evaluate(() => (window.__hidden = true));
    await send(alice, 'Nobody is notified of this one');
    await send(alice, 'Nor of this one');
    const item = conversationItem(bob, 'Launch plans');
    await until('unread 2', async () => (await item.getAttribute('data-unread')) === '2');
    const badge = item.locator(tid('unread-badge'));
    assert.equal(await badge.getAttribute('data-muted'), 'true');
    assert.equal((await badge.textContent()).trim(), '');
    assert.equal(await bob.evaluate(() => window.__notes.length), 1);
    assert.equal(await bob.title(), 'Parley'); // a muted conversation is not counted
    await bob.evaluate(() => (window.__hidden = false));
    await shot(bob, 'features-09-bob-muted');
    // Unmuted again: counted and notified.
    await item.click();
    await mute.click();
    await until('unmuted', async () => (await mute.getAttribute('data-muted')) === 'false');
  });

  it('edits and reactions made while bob was offline arrive on reconnect (changedAfter)', async () => {
    const { alice, bob } = pages;
    await conversationItem(bob, 'Launch plans').click();
    await visible(message(bob, 'Nor of this one'));
    // Bob holds the whole history since the search jump; the messages changed below are older than the
    // latest page, so only the changedAfter catch-up can bring their changes.
    await visible(message(bob, 'Filler message 3 of 60'));
    blockBob = true;
    for (const ws of bobSockets) await ws.close().catch(() => {});
    bobSockets.clear();
    await visible(bob.locator(tid('disconnected-banner')));
    const a = message(alice, 'Filler message 3 of 60');
    await hoverAction(alice, a, 'edit-button');
    const box = alice.locator(tid('composer'));
    await box.fill('Filler message 3, edited while Bob was away');
    await box.press('Enter');
    await visible(message(alice, 'edited while Bob was away'));
    await hoverAction(alice, message(alice, 'Filler message 2 of 60'), 'react-button');
    await alice.locator(`${tid('reaction-option')}[data-emoji="👀"]`).click();
    await visible(message(alice, 'Filler message 2 of 60').locator(tid('reaction-chip')));
    assert.equal(await message(bob, 'edited while Bob was away').count(), 0);

    blockBob = false;
    await hidden(bob.locator(tid('disconnected-banner')), 30_000);
    const edited = message(bob, 'edited while Bob was away');
    await visible(edited);
    await visible(edited.locator(tid('edited-label')));
    assert.equal(await message(bob, 'Filler message 3 of 60').count(), 0);
    const chip = message(bob, 'Filler message 2 of 60').locator(`${tid('reaction-chip')}[data-emoji="👀"]`);
    await visible(chip);
    assert.equal(await chip.getAttribute('data-count'), '1');
    await shot(bob, 'features-10-bob-caught-up');
  });

  it('a lost event is noticed by the changeSeq it skips and fetched (changedAfter)', async () => {
    const { alice, bob } = pages;
    await until('bob on a WebSocket again', async () => bobSockets.size > 0);
    await visible(message(bob, 'Filler message 4 of 60'));
    dropForBob = (m) => m.includes('"reaction_updated"');
    await hoverAction(alice, message(alice, 'Filler message 4 of 60'), 'react-button');
    await alice.locator(`${tid('reaction-option')}[data-emoji="❤️"]`).click();
    await until('the event dropped', async () => droppedForBob.length === 1);
    dropForBob = null;
    const chip = message(bob, 'Filler message 4 of 60').locator(tid('reaction-chip'));
    assert.equal(await chip.count(), 0);
    // The next change's changeSeq is two above the last bob applied: he fetches what he missed.
    await hoverAction(alice, message(alice, 'Filler message 5 of 60'), 'edit-button');
    const box = alice.locator(tid('composer'));
    await box.fill('Filler message 5, edited after a lost event');
    await box.press('Enter');
    await visible(message(bob, 'edited after a lost event'));
    await visible(chip);
    assert.equal(await chip.getAttribute('data-emoji'), '❤️');
  });
});
