// The peer: the seed's real-time stack (Node.js + socket.io 4.8) as a user runs it, with
// Parley's event names and shapes, so that one load generator drives both servers.
//
// Deliberately favourable to the peer: rooms and messages live in memory only (no
// database, no commit before the ack), any token is accepted (the token is the user id),
// and membership is not checked. One process, default socket.io options.
//
// Usage: node server.js [--port N] [--host 127.0.0.1] [--compression]
// --compression: perMessageDeflate as socket.io offers it ({threshold: 1024}: ws's other
// defaults, so each socket keeps its own compression context).
// Prints "peer listening on http://HOST:PORT" once it accepts connections.
'use strict';

const http = require('node:http');
const { Server } = require('socket.io');
const { arg, attachChatEvents } = require('../chat-events');

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

const io = new Server(httpServer, {
  cors: { origin: '*' },
  perMessageDeflate: process.argv.includes('--compression') ? { threshold: 1024 } : false,
});

// Per-conversation counters, as Parley's `seq` (in memory: nothing survives a restart).
const seqs = new Map();
let nextId = 1;

attachChatEvents(io, {
  nextSeq: (cid) => {
    const seq = (seqs.get(cid) || 0) + 1;
    seqs.set(cid, seq);
    return seq;
  },
  nextId: () => String(nextId++),
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
