// The peer: the seed's real-time stack (Node.js + socket.io 4.8) as a user runs it, with
// Parley's event names and shapes, so that one load generator drives both servers.
//
// Deliberately favourable to the peer: rooms and messages live in memory only (no
// database, no commit before the ack), any token is accepted (the token is the user id),
// and membership is not checked. One process, default socket.io options.
//
// Usage: node server.js [--port N] [--host 127.0.0.1]
// Prints "peer listening on http://HOST:PORT" once it accepts connections.
'use strict';

const http = require('node:http');
const { Server } = require('socket.io');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg('port', '3001'));
const host = arg('host', '127.0.0.1');

// GET /healthz for readiness checks; everything else is socket.io's.
const httpServer = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
    return;
  }
  res.writeHead(404);
  res.end();
});

const io = new Server(httpServer, { cors: { origin: '*' } });

// Per-conversation counters, as Parley's `seq` (in memory: nothing survives a restart).
const seqs = new Map();
let nextId = 1;

function fail(ack, code, message) {
  if (typeof ack === 'function') ack({ ok: false, error: { code, message } });
}

io.use((socket, next) => {
  const token = socket.handshake.auth && socket.handshake.auth.token;
  if (typeof token !== 'string' || token.length === 0) return next(new Error('unauthorized'));
  socket.data.userId = token;
  next();
});

io.on('connection', (socket) => {
  const userId = socket.data.userId;

  socket.on('join_conversation', (payload, ack) => {
    const cid = payload && payload.conversationId;
    if (typeof cid !== 'string') return fail(ack, 'invalid_request', 'conversationId required');
    socket.join(cid);
    if (typeof ack === 'function') ack({ ok: true, data: { conversationId: cid } });
  });

  socket.on('leave_conversation', (payload, ack) => {
    const cid = payload && payload.conversationId;
    if (typeof cid !== 'string') return fail(ack, 'invalid_request', 'conversationId required');
    socket.leave(cid);
    if (typeof ack === 'function') ack({ ok: true, data: { conversationId: cid } });
  });

  socket.on('new_message', (payload, ack) => {
    const cid = payload && payload.conversationId;
    if (typeof cid !== 'string' || typeof payload.body !== 'string') {
      return fail(ack, 'invalid_request', 'conversationId and body required');
    }
    const seq = (seqs.get(cid) || 0) + 1;
    seqs.set(cid, seq);
    const message = {
      id: String(nextId++),
      conversationId: cid,
      seq,
      senderId: userId,
      body: payload.body,
      clientMsgId: payload.clientMsgId ?? null,
      createdAt: new Date().toISOString(),
      deletedAt: null,
    };
    // Parley acks after the commit, then broadcasts; the peer keeps the same order.
    if (typeof ack === 'function') ack({ ok: true, data: message });
    io.to(cid).emit('new_message', message);
  });

  for (const name of ['typing', 'stop_typing']) {
    socket.on(name, (payload, ack) => {
      const cid = payload && payload.conversationId;
      if (typeof cid !== 'string') return fail(ack, 'invalid_request', 'conversationId required');
      socket.to(cid).emit(name, { conversationId: cid, userId });
      if (typeof ack === 'function') ack({ ok: true, data: null });
    });
  }
});

httpServer.listen(port, host, () => {
  const address = httpServer.address();
  console.log(`peer listening on http://${address.address}:${address.port}`);
});

function shutdown() {
  io.close();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
