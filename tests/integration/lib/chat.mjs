// Socket.IO helpers for the chat-event tests: connect with a token, wait for
// events, collect them.
import { io } from 'socket.io-client';

export function connect(url, token, options = {}) {
  const socket = io(url, { auth: { token }, reconnection: false, forceNew: true, ...options });
  return new Promise((resolve, reject) => {
    const onConnect = () => { socket.off('connect_error', onError); resolve(socket); };
    const onError = (error) => { socket.off('connect', onConnect); socket.close(); reject(error); };
    socket.once('connect', onConnect);
    socket.once('connect_error', onError);
  });
}

// Resolves with the args of the next `event` matching `predicate`, or rejects after `timeoutMs`.
export function nextEvent(socket, event, predicate = () => true, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { socket.off(event, handler); reject(new Error(`no ${event} within ${timeoutMs} ms`)); }, timeoutMs);
    function handler(...args) {
      if (!predicate(...args)) return;
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(args[0]);
    }
    socket.on(event, handler);
  });
}

// Records every event a socket receives: {name: [payload, ...]}.
export function record(socket) {
  const seen = {};
  socket.onAny((name, payload) => { (seen[name] ??= []).push(payload); });
  return seen;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(check, { timeoutMs = 5000, stepMs = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(stepMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}
