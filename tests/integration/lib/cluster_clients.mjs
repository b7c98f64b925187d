// Clients for the cluster suites that behave as the web client does, and keep
// the evidence a checker needs: what each connection received live (and in
// which order), what catch-up returned, and what each sender had acknowledged.
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { Api } from './api.mjs';
import { sleep } from './chat.mjs';

// Every client made here and not closed yet: a test that fails halfway leaves
// reconnecting sockets behind, which would keep the test process alive after
// the cluster is gone; its after hook calls closeClients().
const open = new Set();
export function closeClients() {
  for (const client of [...open]) client.close();
}

// A member's client: one socket to `url` that reconnects by itself (through
// nginx it lands on any live node), and after every (re)connect catches up
// on each conversation with `GET /api/messages/:cid?after=<last seq it has>`,
// de-duplicating by seq, as docs/realtime.md tells clients to.
export class MemberClient {
  constructor(url, member, conversationIds, { transports = ['websocket'] } = {}) {
    this.api = new Api(url, member.token);
    this.userId = member.user.id;
    this.have = new Map(conversationIds.map((cid) => [cid, new Map()]));  // cid → seq → message
    this.lastSeq = new Map(conversationIds.map((cid) => [cid, 0]));
    this.liveDuplicates = [];   // a seq delivered twice on one connection
    this.outOfOrder = [];       // a seq delivered after a higher one on one connection
    this.connections = 0;
    this.catchUps = Promise.resolve();
    this.log = [];              // connects and catch-up requests, for a failure's message
    this.socket = io(url, { auth: { token: member.token }, forceNew: true, transports,
      reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 500, timeout: 3000 });
    open.add(this);
    let liveMax = new Map();
    this.socket.on('connect', () => {
      this.connections += 1;
      this.log.push(`connect ${this.connections} at ${JSON.stringify(Object.fromEntries(this.lastSeq))}`);
      liveMax = new Map();
      // From what it held when this connection came up: live messages on the
      // new connection may advance lastSeq before (or while) the catch-up runs.
      const from = new Map(this.lastSeq);
      this.catchUps = this.catchUps.then(() => this.catchUp(from));
    });
    this.socket.on('new_message', (m) => {
      const seen = liveMax.get(m.conversationId) ?? 0;
      if (m.seq === seen) this.liveDuplicates.push(m.seq);
      else if (m.seq < seen) this.outOfOrder.push(`${m.seq} after ${seen}`);
      liveMax.set(m.conversationId, Math.max(seen, m.seq));
      this.take(m);
    });
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('connect_error', (e) => { if (this.connections === 0 && !this.socket.active) reject(e); });
    });
  }

  take(m) {
    const have = this.have.get(m.conversationId);
    if (!have) return;
    have.set(m.seq, m);
    this.lastSeq.set(m.conversationId, Math.max(this.lastSeq.get(m.conversationId), m.seq));
  }

  // Pages through what was missed in every conversation since `from` (cid →
  // seq); retries while the node it reached is going away (a 502 from nginx, a
  // refused connection).
  async catchUp(from) {
    for (const cid of this.have.keys()) {
      let after = from.get(cid);
      for (let attempt = 0; ; attempt++) {
        try {
          const page = await this.api.get(`/api/messages/${cid}?after=${after}&limit=100`);
          const seqs = page.json?.messages?.map((m) => m.seq) ?? [];
          this.log.push(`catch-up ${cid} after ${after}: ${page.status}, ${seqs.length ? `${seqs[0]}..${seqs.at(-1)}` : 'none'}`);
          if (page.status !== 200) throw new Error(`catch-up answered ${page.status}`);
          for (const m of page.json.messages) this.take(m);
          if (page.json.nextCursor === null) break;
          after = seqs.at(-1);
          attempt = -1;
        } catch (e) {
          this.log.push(`catch-up ${cid}: ${e.message}`);
          if (attempt >= 50) throw e;
          await sleep(100);
        }
      }
    }
  }

  seqs(cid) { return [...this.have.get(cid).keys()].sort((a, b) => a - b); }
  close() { this.socket.close(); open.delete(this); }
}

// Sends `body`s into one conversation over its own socket, one at a time, and
// keeps what was acknowledged. A send that gets no ack within `ackTimeoutMs`
// is recorded as hung (a test that says sends never hang asserts none), then
// retried with the same clientMsgId, as a client retries.
export class Sender {
  constructor(url, member, cid, name, { ackTimeoutMs = 5000, transports = ['websocket'] } = {}) {
    this.cid = cid;
    this.name = name;
    this.ackTimeoutMs = ackTimeoutMs;
    this.acked = new Map();  // clientMsgId → {id, seq}
    this.hung = [];
    this.refused = [];       // acks with ok:false (the code), then retried
    this.stopped = false;
    this.socket = io(url, { auth: { token: member.token }, forceNew: true, transports,
      reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 500, timeout: 3000 });
    open.add(this);
  }

  run({ pauseMs = 0, count = Infinity } = {}) {
    this.done = (async () => {
      for (let i = 0; i < count && !this.stopped; i++) {
        const clientMsgId = `${this.name}-${i}`;
        for (;;) {
          if (!this.socket.connected) { await sleep(20); if (this.stopped) return; continue; }
          try {
            const ack = await this.socket.timeout(this.ackTimeoutMs).emitWithAck('new_message',
              { conversationId: this.cid, body: clientMsgId, clientMsgId });
            if (ack.ok) { this.acked.set(clientMsgId, { id: ack.data.id, seq: ack.data.seq }); break; }
            this.refused.push(ack.error?.code);
            await sleep(50);
          } catch {
            // No ack in time: a hang if the socket stayed up; else the node went away.
            if (this.socket.connected) this.hung.push(clientMsgId);
            await sleep(50);
          }
          if (this.stopped) return;
        }
        if (pauseMs) await sleep(pauseMs);
      }
    })();
    return this;
  }

  async stop() { this.stopped = true; await this.done; }
  close() { this.stopped = true; this.socket.close(); open.delete(this); }
}

// The end-of-test checker: in the database, the conversation's seqs are
// exactly 1..N, every acknowledged clientMsgId is stored exactly once with the
// acknowledged id and seq, and every client holds exactly the stored history
// (after its catch-ups), with no duplicate or out-of-order live delivery.
export async function checkConversation(cluster, cid, senders, clients) {
  const rows = await cluster.sql(`SELECT seq, id, client_msg_id FROM messages WHERE conversation_id = ${cid} ORDER BY seq`);
  const seqs = rows.map((r) => Number(r[0]));
  assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), 'seqs contiguous from 1');
  const byClientId = new Map();
  for (const [seq, id, clientMsgId] of rows) {
    assert.ok(!byClientId.has(clientMsgId), `${clientMsgId} stored twice`);
    byClientId.set(clientMsgId, { id, seq: Number(seq) });
  }
  let acknowledged = 0;
  for (const sender of senders) {
    for (const [clientMsgId, ack] of sender.acked) {
      acknowledged += 1;
      const row = byClientId.get(clientMsgId);
      assert.ok(row, `acknowledged ${clientMsgId} is not stored`);
      assert.equal(String(row.id), String(ack.id), `${clientMsgId}: stored id differs from the acknowledged one`);
      assert.equal(row.seq, ack.seq, `${clientMsgId}: stored seq differs from the acknowledged one`);
    }
  }
  for (const client of clients) {
    await client.catchUps;
    assert.deepEqual(client.liveDuplicates, [], `user ${client.userId}: a message delivered twice on one connection`);
    assert.deepEqual(client.outOfOrder, [], `user ${client.userId}: live delivery out of seq order`);
    assert.deepEqual(client.seqs(cid), seqs, `user ${client.userId}: delivered set differs from the history`);
  }
  return { stored: seqs.length, acknowledged };
}

// The whole history of a conversation as `api` sees it, oldest first.
export async function history(api, cid) {
  const all = [];
  let after = 0;
  for (;;) {
    const page = await api.get(`/api/messages/${cid}?after=${after}&limit=100`);
    assert.equal(page.status, 200, `history: ${page.status} ${page.text}`);
    all.push(...page.json.messages);
    if (page.json.nextCursor === null || page.json.messages.length === 0) return all;
    after = page.json.messages.at(-1).seq;
  }
}
