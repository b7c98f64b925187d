// Message search (docs/features.md, "Search"): GET /api/search over the
// caller's conversations only, snippets as escaped HTML, paging, the index kept
// in step with edits and deletions, and --search-index off / the rebuild at start.
// The same assertions hold on SQLite (FTS5) and PostgreSQL (tsvector) unless a
// test says otherwise.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ParleyServer } from './lib/server.mjs';
import { Api, registerUser } from './lib/api.mjs';
import { group, direct, send, sent, edit, remove, search, searchAll, history, MESSAGE_KEYS } from './lib/features.mjs';

// A word no other message holds: letters only, so every tokenizer keeps it whole.
const word = () => `q${[...randomBytes(9)].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;
const ids = (results) => results.map((r) => r.message.id);
// A snippet's text with the marks taken out; and its marked words.
const unmark = (snippet) => snippet.replaceAll('<mark>', '').replaceAll('</mark>', '');
const marked = (snippet) => [...snippet.matchAll(/<mark>(.*?)<\/mark>/g)].map((m) => m[1]);

describe('search', () => {
  const server = new ParleyServer({ args: ['--rate-limit', 'off'] });
  let alice, bob, carol, dave;
  let ab, cd, abc;  // conversations: alice+bob, carol+dave, alice+bob+carol

  before(async () => {
    await server.start();
    [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => registerUser(server.url, n)));
    ab = (await direct(alice, bob)).json.conversation.id;
    cd = (await direct(carol, dave)).json.conversation.id;
    abc = (await group(alice, [bob, carol], 'Three')).json.conversation.id;
  });
  after(async () => { await server.stop(); server.cleanup(); });

  test('finds the caller\'s messages: the whole message and a snippet with the match marked', async () => {
    const w = word();
    const m = await sent(bob, ab, `the ${w} is here`);
    const res = await search(alice, { q: w });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['nextCursor', 'results']);
    assert.equal(res.json.nextCursor, null);
    assert.equal(res.json.results.length, 1);
    const [hit] = res.json.results;
    assert.deepEqual(Object.keys(hit).sort(), ['message', 'snippet']);
    assert.deepEqual(Object.keys(hit.message).sort(), MESSAGE_KEYS);
    assert.deepEqual(hit.message, (await history(alice, ab)).find((x) => x.id === m.id));
    assert.ok(hit.snippet.includes(`<mark>${w}</mark>`), hit.snippet);
    assert.equal(unmark(hit.snippet), `the ${w} is here`);
    // Bob, the sender, finds it too.
    assert.deepEqual(ids((await search(bob, { q: w })).json.results), [m.id]);
  });

  test('only the caller\'s conversations: a non-member never sees another conversation\'s messages', async () => {
    const w = word();
    const mine = await sent(alice, ab, `${w} for alice and bob`);
    const theirs = await sent(carol, cd, `${w} for carol and dave`);
    const shared = await sent(carol, abc, `${w} for the three`);
    assert.deepEqual(new Set(ids((await searchAll(alice, { q: w })))), new Set([mine.id, shared.id]));
    assert.deepEqual(new Set(ids((await searchAll(carol, { q: w })))), new Set([theirs.id, shared.id]));
    assert.deepEqual(new Set(ids((await searchAll(dave, { q: w })))), new Set([theirs.id]));
    // Asking for a conversation one is not a member of: 404, not an empty page.
    const refused = await search(alice, { q: w, conversationId: cd });
    assert.equal(refused.status, 404);
    assert.equal(refused.json.error.code, 'not_found');
    assert.equal((await search(alice, { q: w, conversationId: '999999999' })).status, 404);
    assert.equal((await search(alice, { q: w, conversationId: 'nope' })).status, 404);
    // A member who leaves stops finding the conversation's messages at once.
    const g = (await group(alice, [bob, dave], 'Leaving')).json.conversation.id;
    const inGroup = await sent(alice, g, `${w} in the group dave leaves`);
    assert.ok(ids(await searchAll(dave, { q: w })).includes(inGroup.id));
    assert.equal((await dave.api.put(`/api/conversations/${g}`, { removeMemberIds: [dave.user.id] })).status, 200);
    assert.deepEqual(ids(await searchAll(dave, { q: w })), [theirs.id]);
  });

  test('conversationId and before narrow the search', async () => {
    const w = word();
    const a1 = await sent(alice, ab, `${w} one`);
    const g1 = await sent(alice, abc, `${w} two`);
    const a2 = await sent(bob, ab, `${w} three`);
    const g2 = await sent(carol, abc, `${w} four`);
    assert.deepEqual(new Set(ids(await searchAll(alice, { q: w, conversationId: ab }))), new Set([a1.id, a2.id]));
    assert.deepEqual(new Set(ids(await searchAll(alice, { q: w, conversationId: abc }))), new Set([g1.id, g2.id]));
    // before: only messages older than that message id (across conversations).
    assert.deepEqual(new Set(ids(await searchAll(alice, { q: w, before: a2.id }))), new Set([a1.id, g1.id]));
    assert.deepEqual(ids(await searchAll(alice, { q: w, before: a2.id, conversationId: ab })), [a1.id]);
    assert.deepEqual(ids(await searchAll(alice, { q: w, before: a1.id })), []);
    assert.equal((await search(alice, { q: w, before: 'junk' })).status, 400);
  });

  test('every word must match, the last as a prefix; case does not matter', async () => {
    const [w1, w2, w3] = [word(), word(), word()];
    const m = await sent(alice, ab, `${w1} and ${w2}`);
    const finds = async (q) => ids((await search(alice, { q })).json.results).includes(m.id);
    assert.ok(await finds(`${w2} ${w1}`), 'any order');
    assert.ok(await finds(`${w1} ${w2.slice(0, 4)}`), 'the last word as a prefix');
    assert.ok(await finds(w1.slice(0, 3)), 'a prefix alone');
    assert.ok(await finds(w1.toUpperCase()), 'case folded');
    assert.ok(!(await finds(`${w1} ${w3}`)), 'a word it lacks');
    assert.ok(!(await finds(`${w1.slice(0, 4)} ${w2}`)), 'only the last word is a prefix');
    // Query syntax is not syntax: operators are words, punctuation separates words.
    assert.ok(!(await finds(`${w1} OR ${w3}`)), 'OR is a word, not an operator');
    assert.ok(!(await finds(`${w3} OR ${w1}`)));
    assert.ok(!(await finds(`${w1} NOT ${w2}`)), 'NOT is a word');
    assert.ok(await finds(`${w1} -${w2}`), 'a minus is not a negation');
    assert.ok(await finds(`"${w1}`), 'an unbalanced quote');
    assert.ok(await finds(`${w1}* (${w2})`));
    assert.ok(await finds(`${w1}:${w2}`), 'a colon is no column filter');
  });

  test('accents are folded', async () => {
    const w = word();
    const m = await sent(alice, ab, `${w} café Ünïcödé`);
    assert.deepEqual(ids((await search(alice, { q: `${w} cafe` })).json.results), [m.id]);
    assert.deepEqual(ids((await search(alice, { q: `unicode ${w}` })).json.results), [m.id]);
  });

  test('HTML in a body is escaped in the snippet; only the marks are tags', async () => {
    const w = word();
    const body = `<script>alert("x")</script> & <b>${w}</b> <img src=x onerror=alert(1)> &amp;`;
    await sent(bob, ab, body);
    const [hit] = (await search(alice, { q: w })).json.results;
    const plain = unmark(hit.snippet);
    assert.ok(!/[<>]/.test(plain), `an unescaped angle bracket: ${hit.snippet}`);
    assert.ok(!/&(?!(amp|lt|gt|quot|#39|#x27|apos);)/.test(plain), `a bare ampersand: ${hit.snippet}`);
    assert.deepEqual(marked(hit.snippet), [w]);
    // The characters a store may use as its own marks, inside a body: the marks stay balanced.
    const odd = await send(bob, ab, `\u0002${w} \u0003x\u0003 y\u0002`);
    if (odd.status === 201) {
      const oddHit = (await search(alice, { q: w })).json.results.find((r) => r.message.id === odd.json.message.id);
      const tags = [...oddHit.snippet.matchAll(/<\/?mark>/g)].map((t) => t[0]);
      tags.forEach((t, i) => assert.equal(t, i % 2 ? '</mark>' : '<mark>', `unbalanced marks: ${oddHit.snippet}`));
      assert.ok(!/[<>]/.test(unmark(oddHit.snippet)));
    } else {
      assert.equal(odd.status, 400, odd.text);
    }
  });

  test('the snippet shows the text as typed: a short body whole, its HTML as text', async () => {
    const w = word();
    const body = `use <div> & <b>${w}</b> here, not &amp; "quotes" 'too' <script>alert(1)</script> end`;
    await sent(bob, ab, body);
    const [hit] = (await search(alice, { q: w })).json.results;
    const text = unmark(hit.snippet).replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"')
      .replaceAll('&#39;', "'").replaceAll('&#x27;', "'").replaceAll('&apos;', "'").replaceAll('&amp;', '&');
    assert.equal(text, body, `snippet ${hit.snippet}`);
    assert.deepEqual(marked(hit.snippet), [w]);
  });

  test('a long body gives a shortened snippet around the match', async () => {
    const w = word();
    const filler = (n, p) => Array.from({ length: n }, (_, i) => `${p}${i}`).join(' ');
    const body = `${filler(150, 'before')} ${w} ${filler(150, 'after')}`;
    await sent(alice, ab, body);
    const [hit] = (await search(alice, { q: w })).json.results;
    assert.ok(hit.snippet.includes(`<mark>${w}</mark>`));
    assert.ok(unmark(hit.snippet).length < body.length / 2, `a snippet of ${hit.snippet.length} characters`);
  });

  test('deletions and edits are in step: no deleted message, no old text', async () => {
    const [w1, w2, w3] = [word(), word(), word()];
    const gone = await sent(alice, ab, `${w1} to be deleted`);
    const kept = await sent(alice, ab, `${w1} to be edited`);
    assert.equal((await searchAll(alice, { q: w1 })).length, 2);
    await remove(alice, gone.id);
    assert.deepEqual(ids(await searchAll(alice, { q: w1 })), [kept.id]);
    assert.deepEqual(ids(await searchAll(bob, { q: w1 })), [kept.id]);
    const e = (await edit(alice, kept.id, `${w2} after the edit`)).json.message;
    assert.deepEqual(ids(await searchAll(alice, { q: w1 })), [], 'the old text is gone');
    const [hit] = await searchAll(alice, { q: w2 });
    assert.deepEqual(hit.message, e, 'the result is the edited message');
    assert.ok(hit.snippet.includes(`<mark>${w2}</mark>`));
    assert.deepEqual(ids(await searchAll(alice, { q: 'deleted ' + w1 })), []);
    // Edited twice, deleted after: nothing left.
    await edit(alice, kept.id, `${w3} again`);
    assert.deepEqual(ids(await searchAll(alice, { q: w2 })), []);
    assert.deepEqual(ids(await searchAll(alice, { q: w3 })), [kept.id]);
    await remove(alice, kept.id);
    assert.deepEqual(ids(await searchAll(alice, { q: w3 })), []);
  });

  test('paging with the cursor: every result once; limit 1–50; ties newest first', async () => {
    const w = word();
    const c = (await group(alice, [bob], 'Many')).json.conversation.id;
    const msgs = [];
    for (let i = 0; i < 25; i++) msgs.push(await sent(i % 2 ? alice : bob, c, `same ${w} text`));
    const first = await search(alice, { q: w, limit: 10 });
    assert.equal(first.json.results.length, 10);
    assert.equal(typeof first.json.nextCursor, 'string');
    const all = await searchAll(alice, { q: w }, 10);
    assert.equal(all.length, 25);
    assert.deepEqual(ids(all), msgs.map((m) => m.id).reverse(), 'equal bodies rank equal: newest first');
    assert.deepEqual(ids(all.slice(0, 10)), ids(first.json.results));
    assert.deepEqual(ids(await searchAll(alice, { q: w }, 7)), ids(all));
    assert.equal((await search(alice, { q: w })).json.results.length, 20, 'default limit 20');
    assert.equal((await search(alice, { q: w, limit: 50 })).json.nextCursor, null);
    for (const limit of ['0', '51', 'x', '-1']) assert.equal((await search(alice, { q: w, limit })).status, 400, limit);
    assert.equal((await search(alice, { q: w, cursor: 'garbage' })).status, 400);
  });

  test('the cursor pages 1,000 results deep, no further', async () => {
    const w = word();
    const c = (await group(alice, [bob], 'Deep')).json.conversation.id;
    for (let i = 0; i < 1010; i += 30) {
      await Promise.all(Array.from({ length: Math.min(30, 1010 - i) }, (_, j) => sent(j % 2 ? alice : bob, c, `${w} deep ${i + j}`)));
    }
    const all = await searchAll(bob, { q: w, conversationId: c }, 50);
    assert.equal(all.length, 1000);
    assert.equal(new Set(ids(all)).size, 1000);
  });

  test('ranked by relevance before recency', async () => {
    const w = word();
    const strong = await sent(alice, ab, `${w} ${w} ${w}`);
    const weak = await sent(alice, ab, `${w} among many other words that say little about anything at all here`);
    assert.deepEqual(ids((await search(alice, { q: w })).json.results), [strong.id, weak.id]);
  });

  test('400 invalid_query for an empty or over-200-character q', async () => {
    for (const q of [undefined, '', '   ', 'x'.repeat(201)]) {
      const res = await search(alice, { q });
      assert.equal(res.status, 400, JSON.stringify(q));
      assert.equal(res.json.error.code, 'invalid_query', JSON.stringify(q));
    }
    assert.equal((await search(alice, { q: 'x'.repeat(200) })).status, 200);
    assert.equal((await new Api(server.url).get('/api/search?q=x')).status, 401);
  });

  test('odd input is harmless: never an error of the server, and the index keeps working', async () => {
    const w = word();
    const m = await sent(alice, ab, `${w} still searchable`);
    const odd = ['" * NEAR( OR -', '"', '*', '-', 'NEAR(a b)', 'a:b', '^x', '\'; DROP TABLE messages; --', '\\', '%', '_',
      '(', ')', 'AND', 'OR', 'NOT', 'a AND', '"a" "b', '{a b}', 'a & b | !c', ':*', 'a:*', '<mark>', '\u0002\u0003', '😀', '🙂 x',
      'x'.repeat(200), '\u200b', 'ﾟ', 'İ'];
    for (const q of odd) {
      const res = await search(alice, { q });
      assert.ok(res.status === 200 || (res.status === 400 && res.json.error.code === 'invalid_query'), `${JSON.stringify(q)}: ${res.status} ${res.text}`);
      if (res.status === 200) {
        assert.ok(Array.isArray(res.json.results));
        for (const r of res.json.results) assert.ok(!/[<>]/.test(unmark(r.snippet)));
      }
    }
    assert.deepEqual(ids((await search(alice, { q: w })).json.results), [m.id]);
    // Sends and reads still work.
    assert.equal((await send(alice, ab, 'after the odd queries')).status, 201);
  });
});

describe('--search-index off', () => {
  test('search answers 503 search_disabled while sends work; on again, the index is rebuilt from the messages', async () => {
    const server = new ParleyServer({ args: ['--rate-limit', 'off'] });
    await server.start();
    try {
      const alice = await registerUser(server.url, 'alice');
      const bob = await registerUser(server.url, 'bob');
      const cid = (await direct(alice, bob)).json.conversation.id;
      const [w1, w2, w3, w4] = [word(), word(), word(), word()];
      // With the index on: indexed as sent.
      const early = await sent(alice, cid, `${w1} before the index went off`);
      const doomed = await sent(alice, cid, `${w1} deleted while the index is off`);
      assert.equal((await searchAll(alice, { q: w1 })).length, 2);

      server.args = ['--rate-limit', 'off', '--search-index', 'off'];
      await server.restart();
      const off = await search(alice, { q: w1 });
      assert.equal(off.status, 503);
      assert.equal(off.json.error.code, 'search_disabled');
      // Everything else works: sends, edits, deletions.
      const late = await sent(bob, cid, `${w1} ${w2} sent while the index is off`);
      await edit(alice, early.id, `${w3} edited while the index is off`);
      await remove(alice, doomed.id);
      const reply = await sent(bob, cid, `${w4} reply`, { replyToId: early.id });
      assert.equal(reply.replyTo.body, `${w3} edited while the index is off`);
      assert.equal((await search(bob, { q: w2 })).status, 503);

      server.args = ['--rate-limit', 'off'];
      await server.restart();
      // The rebuild: what is in the messages now, nothing stale.
      assert.deepEqual(ids(await searchAll(alice, { q: w1 })), [late.id], 'neither the old text nor the deleted message');
      assert.deepEqual(ids(await searchAll(alice, { q: w3 })), [early.id]);
      assert.deepEqual(ids(await searchAll(bob, { q: `${w1} ${w2}` })), [late.id]);
      assert.deepEqual(ids(await searchAll(bob, { q: w4 })), [reply.id]);
      // And it is kept from then on.
      const now = await sent(alice, cid, `${w2} after the rebuild`);
      assert.deepEqual(new Set(ids(await searchAll(alice, { q: w2 }))), new Set([late.id, now.id]));
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  test('a server that starts with the index off and never had one builds it when turned on', async () => {
    const server = new ParleyServer({ args: ['--rate-limit', 'off', '--search-index', 'off'] });
    await server.start();
    try {
      const alice = await registerUser(server.url, 'alice');
      const bob = await registerUser(server.url, 'bob');
      const cid = (await direct(alice, bob)).json.conversation.id;
      const w = word();
      const made = [];
      for (let i = 0; i < 30; i++) made.push(await sent(i % 2 ? alice : bob, cid, `${w} number ${i}`));
      assert.equal((await search(alice, { q: w })).status, 503);
      server.args = ['--rate-limit', 'off'];
      await server.restart();
      const found = await searchAll(bob, { q: w }, 50);
      assert.deepEqual(new Set(ids(found)), new Set(made.map((m) => m.id)));
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});
