// The cluster peer: the seed's multi-server real-time stack ("Socket.io with Redis adapter
// for multi-server") as a user runs it. One process is one node; three started on one
// Redis form the peer cluster that Parley's cluster mode is measured beside (issue 14,
// bench/cluster.sh). Events, shapes and acks come from bench/peers/chat-events.js, shared
// with bench/peers/socketio-node, so one load generator drives both peers and Parley.
//
// Rooms cross nodes through the official @socket.io/redis-adapter on the `redis` client:
// a broadcast is sent to the node's own sockets and published to Redis, and every other
// node delivers it to its sockets in the room.
//
// Favourable to the peer, as socketio-node is: messages live nowhere (no database, no
// commit before the ack), any token is accepted (the token is the user id), membership is
// not checked. The one piece of shared state a multi-node chat cannot do without is the
// conversation's `seq`; by default it is Redis INCR (one counter per conversation, so the
// numbers stay unique whichever node a message is sent through). `--seq local` counts in
// the process instead, as socketio-node does: cheaper, and correct only while each
// conversation's senders use one node (bench/cluster.sh puts every sender on the first).
//
// Usage: node server.js --redis redis://127.0.0.1:PORT [--port N] [--host 127.0.0.1]
//                       [--seq redis|local]
//        (REDIS_URL in the environment stands for --redis.)
// Prints "peer listening on http://HOST:PORT" once Redis is connected and the port accepts
// connections; exits 1 if Redis cannot be reached within 5 s.
'use strict';

const http = require('node:http');
const { Server } = require('socket.io');
const { arg, attachChatEvents } = require('../chat-events');
const { createAdapter } = require('@socket.io/redis-adapter');
const { createClient } = require('redis');

const port = Number(arg('port', '3001'));
const host = arg('host', '127.0.0.1');
const redisUrl = arg('redis', process.env.REDIS_URL);
const seqMode = arg('seq', 'redis');
// Which node of the cluster this is, for logs only.
const nodeName = arg('name', `node-${process.pid}`);

// No default Redis: a benchmark peer must not quietly talk to whatever listens on 6379.
if (!redisUrl) {
  console.error('socketio-redis: --redis redis://HOST:PORT (or REDIS_URL) is required');
  process.exit(2);
}
if (seqMode !== 'redis' && seqMode !== 'local') {
  console.error('socketio-redis: --seq redis|local');
  process.exit(2);
}

const kConnectTimeoutMs = 5000;

// A dropped Redis connection is retried every 100 ms up to 2 s apart, as a deployment
// would; only the first connection has a deadline (below).
const pubClient = createClient({
  url: redisUrl,
  socket: { connectTimeout: kConnectTimeoutMs, reconnectStrategy: (retries) => Math.min(100 * (retries + 1), 2000) },
});
const subClient = pubClient.duplicate();
for (const [name, client] of [['pub', pubClient], ['sub', subClient]]) {
  client.on('error', (err) => console.error(`socketio-redis ${nodeName}: redis ${name}: ${err.message}`));
}

// GET /healthz for readiness checks; everything else is socket.io's.
const httpServer = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(pubClient.isReady && subClient.isReady ? 200 : 503, { 'content-type': 'text/plain' });
    res.end(pubClient.isReady && subClient.isReady ? 'ok' : 'redis unavailable');
    return;
  }
  res.writeHead(404);
  res.end();
});

const io = new Server(httpServer, { cors: { origin: '*' } });

// Per-conversation counters for `--seq local` (in memory: nothing survives a restart).
const localSeqs = new Map();
// Message ids: unique across nodes without coordination (pid and a counter).
let nextId = 1;
const idPrefix = `${process.pid.toString(36)}-`;

function nextSeq(cid) {
  if (seqMode === 'local') {
    const seq = (localSeqs.get(cid) || 0) + 1;
    localSeqs.set(cid, seq);
    return seq;
  }
  // One connection answers in the order it was asked, so a node's messages to one
  // conversation leave in seq order.
  return pubClient.incr(`parley-peer:seq:${cid}`);
}

attachChatEvents(io, { nextSeq, nextId: () => idPrefix + String(nextId++) });

async function start() {
  const deadline = new Promise((_, reject) => {
    setTimeout(() => reject(new Error(`no connection within ${kConnectTimeoutMs} ms`)), kConnectTimeoutMs).unref();
  });
  try {
    await Promise.race([Promise.all([pubClient.connect(), subClient.connect()]), deadline]);
  } catch (err) {
    console.error(`socketio-redis ${nodeName}: redis ${redisUrl}: ${err.message}`);
    process.exit(1);
  }
  io.adapter(createAdapter(pubClient, subClient));
  httpServer.listen(port, host, () => {
    const address = httpServer.address();
    console.log(`peer listening on http://${address.address}:${address.port}`);
  });
}

// The adapter publishes without waiting for the answer (`pubClient.publish(...)` with no
// handler), and the redis client rejects a command that has had no answer within 5 s (its
// default command timeout) or was still queued when it gave up: under overload that
// rejection is unhandled, and Node ends the process on an unhandled rejection. A
// deployment keeps its node up and logs; so does the peer, and the load generator counts
// what the dropped publishes cost as lost deliveries.
let rejected = 0;
process.on('unhandledRejection', (reason) => {
  if (rejected++ === 0) {
    console.error(`socketio-redis ${nodeName}: unhandled rejection (first of its kind): ${reason && reason.stack ? reason.stack : reason}`);
  }
});

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  if (rejected > 0) console.error(`socketio-redis ${nodeName}: ${rejected} unhandled rejections in all`);
  setTimeout(() => process.exit(0), 2000).unref();
  io.close();
  httpServer.close(() => {
    Promise.allSettled([pubClient.close(), subClient.close()]).then(() => process.exit(0));
  });
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

start();
