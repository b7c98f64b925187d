// The change sequence (docs/features.md): every change of a message takes the
// conversation's next changeSeq, events carry it, and a client that was away
// catches up with GET /api/messages/:id?changedAfter=C, in changeSeq order, paged.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ParleyServer } from './lib/server.mjs';
import { registerUser } from './lib/api.mjs';
import { connect, nextEvent, waitFor } from './lib/chat.mjs';
import { group, sent, edit, react, unreact, remove, conversation, history } from './lib/features.mjs';

const server = new ParleyServer({ args: ['--rate-limit', 'off'] });
let alice, bob, dave;
const sockets = [];
const open = async (user, options) => { const s = await connect(server.url, user.token, options); sockets.push(s); return s; };

before(async () => {
  await server.start();
  [alice, bob, dave] = await Promise.all(['alice', 'bob', 'dave'].map((n) => registerUser(server.url, n)));
});
after(async () => { for (const s of sockets) s.close(); await server.stop(); server.cleanup(); });

// Every message changed after `after`, following nextCursor with pages of `limit`;
// checks each page's order and size. Returns the messages and the pages' sizes.
async function changesSince(user, cid, after, limit) {
  const messages = [];
  const sizes = [];
  let cursor = after;
  for (let pages = 0; pages < 1000; pages++) {
    const res = await user.api.get(`/api/messages/${cid}?changedAfter=${cursor}&limit=${limit}`);
    assert.equal(res.status, 200, res.text);
    const page = res.json.messages;
    assert.ok(page.length <= limit, `a page of ${page.length} for limit ${limit}`);
    sizes.push(page.length);
    for (const m of page) {
      assert.ok(m.changeSeq > cursor, `changeSeq ${m.changeSeq} not after the cursor ${cursor}`);
      assert.ok(messages.length === 0 || m.changeSeq > messages.at(-1).changeSeq, 'ascending changeSeq');
    }
    messages.push(...page);
    if (res.json.nextCursor === null) return { messages, sizes };
    assert.equal(res.json.nextCursor, page.at(-1).changeSeq, 'the cursor is the last changeSeq of the page');
    cursor = res.json.nextCursor;
  }
  throw new Error('paging did not end');
}

describe('the change sequence', () => {
  test('events carry the changeSeq of the change: new_message, message_updated, reaction_updated, message_deleted', async () => {
    const cid = (await group(alice, [bob], 'Events')).json.conversation.id;
    const b = await open(bob);
    const got = nextEvent(b, 'new_message', (m) => m.conversationId === cid);
    const m = await sent(alice, cid, 'one');
    assert.equal((await got).changeSeq, m.changeSeq);
    const upd = nextEvent(b, 'message_updated', (x) => x.id === m.id);
    const e = (await edit(alice, m.id, 'one, edited')).json.message;
    assert.equal((await upd).changeSeq, e.changeSeq);
    assert.equal(e.changeSeq, m.changeSeq + 1);
    const rx = nextEvent(b, 'reaction_updated', (x) => x.messageId === m.id);
    const r = (await react(alice, m.id, '👍')).json;
    assert.equal((await rx).changeSeq, r.changeSeq);
    assert.equal(r.changeSeq, e.changeSeq + 1);
    const del = nextEvent(b, 'message_deleted', (x) => x.id === m.id);
    const tomb = (await remove(alice, m.id)).json.message;
    assert.equal(tomb.changeSeq, r.changeSeq + 1);
    assert.equal((await del).changeSeq, tomb.changeSeq);
    // Deleting again changes nothing.
    const again = (await remove(alice, m.id)).json.message;
    assert.equal(again.changeSeq, tomb.changeSeq);
    assert.equal((await conversation(bob, cid)).lastChangeSeq, tomb.changeSeq);
  });

  test('a client away meets every edit, reaction, deletion and new message again, in changeSeq order, paged', async () => {
    const cid = (await group(alice, [bob], 'Away')).json.conversation.id;
    let b = await open(bob);
    let applied = 0;  // the highest changeSeq bob has applied, as a client keeps it
    b.on('new_message', (m) => { if (m.conversationId === cid) applied = Math.max(applied, m.changeSeq); });
    const m = [];
    for (let i = 1; i <= 5; i++) m.push(await sent(alice, cid, `m${i}`));
    await waitFor(() => applied === m[4].changeSeq, { what: 'bob to see the five messages' });
    const C = applied;
    assert.equal((await conversation(bob, cid)).lastChangeSeq, C);
    b.close();

    // While bob is away.
    let changes = 0;
    const e1 = (await edit(alice, m[0].id, 'm1, edited')).json.message; changes++;
    await react(alice, m[1].id, '👍'); changes++;
    const r2 = (await react(bob, m[1].id, '❤️')).json; changes++;
    const r3 = await react(alice, m[1].id, '👍');  // a repeat: no change
    assert.equal(r3.status, 200);
    const tomb = (await remove(alice, m[2].id)).json.message; changes++;
    const n1 = await sent(alice, cid, 'm6, new'); changes++;
    const n2 = await sent(bob, cid, 'm7, a reply', { replyToId: m[0].id }); changes++;
    const e2 = (await edit(alice, n1.id, 'm6, new and edited')).json.message; changes++;
    await react(bob, m[3].id, '🎉'); changes++;
    await unreact(bob, m[3].id, '🎉'); changes++;
    // m[4] is untouched: it must not come back.

    const lastChangeSeq = (await conversation(bob, cid)).lastChangeSeq;
    assert.equal(lastChangeSeq, C + changes, 'every change took exactly one changeSeq');

    b = await open(bob);
    const { messages, sizes } = await changesSince(bob, cid, C, 2);
    assert.ok(sizes.length >= 3, `paged (${sizes.join(',')})`);
    assert.equal(new Set(messages.map((x) => x.id)).size, messages.length, 'each changed message once');
    // The order is that of each message's latest change.
    const order = [
      [e1.id, e1.changeSeq],
      [tomb.id, tomb.changeSeq],
      [n2.id, n2.changeSeq],
      [e2.id, e2.changeSeq],
      [m[3].id, C + changes],
      [m[1].id, r2.changeSeq],
    ];
    const reactedM2 = messages.find((x) => x.id === m[1].id);
    order.sort((x, y) => x[1] - y[1]);
    assert.deepEqual(messages.map((x) => x.id), order.map(([id]) => id));
    assert.deepEqual(messages.map((x) => x.changeSeq), order.map(([, cs]) => cs));
    assert.ok(!messages.some((x) => x.id === m[4].id), 'an unchanged message does not come back');
    // Each copy is the message as it is now, whole.
    const now = new Map((await history(bob, cid)).map((x) => [x.id, x]));
    for (const x of messages) assert.deepEqual(x, now.get(x.id));
    assert.equal(messages.find((x) => x.id === e1.id).body, 'm1, edited');
    assert.notEqual(messages.find((x) => x.id === e1.id).editedAt, null);
    assert.deepEqual(reactedM2.reactions, [
      { emoji: '👍', count: 1, userIds: [alice.user.id] },
      { emoji: '❤️', count: 1, userIds: [bob.user.id] },
    ]);
    const t = messages.find((x) => x.id === tomb.id);
    assert.equal(t.body, '');
    assert.notEqual(t.deletedAt, null);
    assert.deepEqual(messages.find((x) => x.id === m[3].id).reactions, []);
    assert.equal(messages.find((x) => x.id === m[3].id).changeSeq, C + changes, 'the removal was the last change');
    assert.equal(messages.find((x) => x.id === n2.id).replyTo.body, 'm1, edited', 'the quote as it is now');
    assert.equal(messages.find((x) => x.id === e2.id).body, 'm6, new and edited');
    // The same with one page, and from the last changeSeq: nothing.
    assert.deepEqual((await changesSince(bob, cid, C, 100)).messages, messages);
    const caughtUp = await bob.api.get(`/api/messages/${cid}?changedAfter=${lastChangeSeq}`);
    assert.deepEqual(caughtUp.json, { messages: [], nextCursor: null });
    // From 0: every message, each once, at its latest change.
    const all = (await changesSince(bob, cid, 0, 3)).messages;
    assert.equal(all.length, 7);
    assert.deepEqual(new Set(all.map((x) => x.id)), new Set(now.keys()));
    assert.equal(all.at(-1).changeSeq, lastChangeSeq);
    b.close();
  });

  test('a client that applies live events and catches up by changedAfter ends with the server\'s copies', async () => {
    const cid = (await group(alice, [bob], 'Converge')).json.conversation.id;
    const have = new Map();
    let applied = 0;
    // A copy replaces the one held only when newer (an older event arriving late is
    // ignored); a page's copy is whole and replaces one of the same changeSeq too (a
    // reaction event applied to a stale copy). A live event advances the watermark only when it is the next change
    // (a gap means a missed event: the next catch-up fetches it); a page moves it to
    // its last changeSeq.
    const take = (x, live) => {
      const held = have.get(x.id);
      if (!held || held.changeSeq < x.changeSeq || (!live && held.changeSeq === x.changeSeq)) have.set(x.id, x);
      if (!live || x.changeSeq === applied + 1) applied = Math.max(applied, x.changeSeq);
    };
    const attach = (s) => {
      for (const ev of ['new_message', 'message_updated', 'message_deleted']) s.on(ev, (x) => { if (x.conversationId === cid) take(x, true); });
      s.on('reaction_updated', (r) => {
        if (r.conversationId !== cid) return;
        const held = have.get(r.messageId);
        if (held) take({ ...held, reactions: r.reactions, changeSeq: r.changeSeq }, true);
      });
    };
    const ids = [];
    for (let round = 0; round < 4; round++) {
      const s = await open(bob);
      attach(s);
      // Catch up first, then live.
      for (;;) {
        const page = await bob.api.get(`/api/messages/${cid}?changedAfter=${applied}&limit=3`);
        for (const x of page.json.messages) take(x, false);
        if (page.json.nextCursor === null) break;
      }
      for (let i = 0; i < 3; i++) ids.push((await sent(alice, cid, `r${round}-${i}`)).id);
      await edit(alice, ids[round * 2], `edited in round ${round}`);
      await react(alice, ids.at(-1), '👍');
      if (round > 0) await remove(alice, ids[round]);
      s.close();
      // Away: more changes.
      await edit(alice, ids.at(-2), `edited while away ${round}`);
      await react(bob, ids[0], String.fromCodePoint(0x1F600 + round));
      ids.push((await sent(alice, cid, `away-${round}`)).id);
    }
    for (;;) {
      const page = await bob.api.get(`/api/messages/${cid}?changedAfter=${applied}&limit=3`);
      for (const x of page.json.messages) take(x, false);
      if (page.json.nextCursor === null) break;
    }
    const now = await history(bob, cid);
    assert.equal(have.size, now.length);
    for (const x of now) assert.deepEqual(have.get(x.id), x, `message ${x.seq}`);
    assert.equal(applied, (await conversation(bob, cid)).lastChangeSeq);
  });

  test('100 changes per page at most, by default and as the limit\'s maximum', async () => {
    const cid = (await group(alice, [bob], 'Long')).json.conversation.id;
    const made = [];
    for (let i = 0; i < 105; i++) made.push(await sent(i % 2 ? alice : bob, cid, `n${i}`));
    const page = await bob.api.get(`/api/messages/${cid}?changedAfter=0`);
    assert.equal(page.json.messages.length, 100);
    assert.equal(page.json.nextCursor, made[99].changeSeq);
    const rest = await bob.api.get(`/api/messages/${cid}?changedAfter=${page.json.nextCursor}&limit=100`);
    assert.deepEqual(rest.json, { messages: made.slice(100), nextCursor: null });
    assert.deepEqual(page.json.messages, made.slice(0, 100));
  });

  test('concurrent changes each take one changeSeq, without gaps; the 20-emoji cap holds under a race', async () => {
    const crowd = await Promise.all(Array.from({ length: 24 }, (_, i) => registerUser(server.url, `fan${i}`)));
    const cid = (await group(alice, crowd, 'Crowd')).json.conversation.id;
    const m = await sent(alice, cid, 'react, all of you');
    const other = await sent(alice, cid, 'and edit me');
    // 24 users add 24 distinct emoji at once, while the sender edits another message.
    const emoji = crowd.map((_, i) => String.fromCodePoint(0x1F400 + i));
    const [answers, edits] = await Promise.all([
      Promise.all(crowd.map((u, i) => react(u, m.id, emoji[i]))),
      Promise.all([1, 2, 3].map(async (i) => (await edit(alice, other.id, `edit ${i}`)).json.message)),
    ]);
    const ok = answers.filter((r) => r.status === 200);
    const refused = answers.filter((r) => r.status !== 200);
    assert.equal(ok.length, 20, 'exactly 20 distinct emoji');
    for (const r of refused) assert.deepEqual([r.status, r.json.error.code], [409, 'too_many_reactions']);
    const seqs = [...ok.map((r) => r.json.changeSeq), ...edits.map((e) => e.changeSeq)].sort((x, y) => x - y);
    assert.deepEqual(seqs, Array.from({ length: 23 }, (_, i) => other.changeSeq + 1 + i), 'one changeSeq per change, gapless');
    const stored = (await history(alice, cid)).find((x) => x.id === m.id);
    assert.equal(stored.reactions.length, 20);
    // The 20 that got in are those answered 200, each with its user.
    const expected = new Map(crowd.map((u, i) => [emoji[i], u.user.id]).filter((_, i) => answers[i].status === 200));
    assert.deepEqual(new Map(stored.reactions.map((r) => [r.emoji, r.userIds[0]])), expected);
    for (const r of stored.reactions) assert.equal(r.count, 1);
    // Everyone piles onto one emoji at once: one entry, each user once.
    const pile = stored.reactions[0].emoji;
    const piled = await Promise.all([alice, ...crowd].map((u) => react(u, m.id, pile)));
    for (const r of piled) assert.equal(r.status, 200);
    const after = (await history(alice, cid)).find((x) => x.id === m.id);
    const entry = after.reactions.find((x) => x.emoji === pile);
    assert.equal(entry.count, 25);
    assert.equal(new Set(entry.userIds).size, 25);
    assert.equal((await conversation(alice, cid)).lastChangeSeq, other.changeSeq + 23 + 24, 'the one who was there already changed nothing');
  });

  test('the change sequence, edits, reactions, replies and mentions survive a restart', async () => {
    const cid = (await group(alice, [bob], 'Durable')).json.conversation.id;
    const parent = await sent(alice, cid, `hello @${bob.user.username}`);
    await sent(bob, cid, 'a reply', { replyToId: parent.id });
    await edit(alice, parent.id, `hello again @${bob.user.username}`);
    await react(bob, parent.id, '👍');
    const before = await history(bob, cid);
    const last = (await conversation(bob, cid)).lastChangeSeq;
    const listedBefore = (await bob.api.get('/api/conversations?limit=100')).json.conversations.find((c) => c.id === cid);
    assert.equal(listedBefore.mentionCount, 1);
    await server.restart();
    assert.deepEqual(await history(bob, cid), before);
    assert.equal((await conversation(bob, cid)).lastChangeSeq, last);
    const listedAfter = (await bob.api.get('/api/conversations?limit=100')).json.conversations.find((c) => c.id === cid);
    assert.equal(listedAfter.mentionCount, 1);
    // The sequence goes on from where it was.
    const next = (await react(alice, parent.id, '🎉')).json;
    assert.equal(next.changeSeq, last + 1);
    const page = await bob.api.get(`/api/messages/${cid}?changedAfter=${last}`);
    assert.deepEqual(page.json.messages.map((x) => [x.id, x.changeSeq]), [[parent.id, last + 1]]);
  });

  test('bad changedAfter queries → 400; a non-member → 404', async () => {
    const cid = (await group(alice, [bob], 'Bad')).json.conversation.id;
    const m = await sent(alice, cid, 'x');
    for (const q of ['changedAfter=1&before=5', 'changedAfter=0&before=1', 'changedAfter=-1', 'changedAfter=abc', 'changedAfter=',
      'changedAfter=1&limit=0', 'changedAfter=1&limit=101']) {
      const res = await bob.api.get(`/api/messages/${cid}?${q}`);
      assert.equal(res.status, 400, q);
    }
    assert.equal((await dave.api.get(`/api/messages/${cid}?changedAfter=0`)).status, 404);
    const ok = await bob.api.get(`/api/messages/${cid}?changedAfter=0&limit=100`);
    assert.deepEqual(ok.json, { messages: [m], nextCursor: null });
  });
});
