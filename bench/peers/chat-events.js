// What both peers (socketio-node, socketio-redis) do with Parley's events: the same
// names, payloads and acks as Parley, so that one load generator drives all three.
// Required by each peer's server.js; it requires nothing itself (each peer brings its
// own socket.io from its own node_modules).
'use strict';

// The value after `--name` on the command line, or `fallback`.
function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function fail(ack, code, message) {
  if (typeof ack === 'function') ack({ ok: false, error: { code, message } });
}

// Any non-empty token is accepted; the token is the user id (favourable to the peer).
function acceptAnyToken(socket, next) {
  const token = socket.handshake.auth && socket.handshake.auth.token;
  if (typeof token !== 'string' || token.length === 0) return next(new Error('unauthorized'));
  socket.data.userId = token;
  next();
}

// Installs the auth middleware and the event handlers on `io`.
//   nextSeq(cid): the conversation's next seq, a number or a Promise of one
//   nextId(): a message id unique across the peer's processes
function attachChatEvents(io, { nextSeq, nextId }) {
  io.use(acceptAnyToken);
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
      const send = (seq) => {
        const message = {
          id: nextId(),
          conversationId: cid,
          seq,
          senderId: userId,
          body: payload.body,
          clientMsgId: payload.clientMsgId ?? null,
          createdAt: new Date().toISOString(),
          deletedAt: null,
        };
        // Parley acks after the commit, then broadcasts; the peers keep the same order.
        if (typeof ack === 'function') ack({ ok: true, data: message });
        io.to(cid).emit('new_message', message);
      };
      const seq = nextSeq(cid);
      // A plain number goes out at once: no promise per message for the one-process peer.
      if (typeof seq === 'number') return send(seq);
      seq.then(send, (err) => fail(ack, 'unavailable', `seq: ${err.message}`));
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
}

module.exports = { arg, attachChatEvents };
