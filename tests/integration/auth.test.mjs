// Accounts and auth against a live server: the rules of issue 2, point 6.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ParleyServer } from './lib/server.mjs';
import { runSql } from './lib/store.mjs';
import { Api } from './lib/api.mjs';

const server = new ParleyServer();
let api;
before(async () => { await server.start(); api = new Api(server.url); });
after(async () => { await server.stop(); server.cleanup(); });

const register = (body) => api.post('/api/auth/register', body);
const b64url = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');

describe('register', () => {
  test('201 with a token and the user, never a password hash', async () => {
    const res = await register({ username: 'carol', email: 'carol@example.com', password: 'secret-pass', displayName: 'Carol C' });
    assert.equal(res.status, 201);
    assert.match(res.json.token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT');
    const { user } = res.json;
    assert.equal(user.username, 'carol');
    assert.equal(user.displayName, 'Carol C');
    assert.equal(user.email, 'carol@example.com');
    assert.match(user.id, /^\d+$/, 'ids are decimal strings');
    assert.match(user.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(!/argon|hash|password/i.test(res.text), 'no password material in the answer');
    assert.deepEqual(Object.keys(res.json).sort(), ['token', 'user']);
    assert.deepEqual(Object.keys(user).sort(), ['createdAt', 'displayName', 'email', 'id', 'username']);
    // The token is this user's.
    const me = await api.get('/api/auth/me', { token: res.json.token });
    assert.equal(me.status, 200);
    assert.deepEqual(me.json.user, user);
  });

  test('displayName defaults to the username; usernames fold to lowercase', async () => {
    const res = await register({ username: 'DaVe.99', email: 'dave@example.com', password: 'secret-pass' });
    assert.equal(res.status, 201);
    assert.equal(res.json.user.username, 'dave.99');
    assert.equal(res.json.user.displayName, 'dave.99');
  });

  for (const [why, username] of [['too short', 'ab'], ['too long', 'a'.repeat(33)], ['a space', 'a b c'],
    ['a dash', 'ab-cd'], ['non-ASCII', 'zoë_x'], ['empty', '']]) {
    test(`username with ${why} → 400`, async () => {
      const res = await register({ username, email: `x${Math.random()}@example.com`.replace('0.', ''), password: 'secret-pass' });
      assert.equal(res.status, 400);
      assert.equal(res.json.error.code, 'invalid_username');
    });
  }

  test('usernames are unique ignoring case → 409', async () => {
    assert.equal((await register({ username: 'erin', email: 'erin@example.com', password: 'secret-pass' })).status, 201);
    const res = await register({ username: 'ERIN', email: 'erin2@example.com', password: 'secret-pass' });
    assert.equal(res.status, 409);
    assert.equal(res.json.error.code, 'username_taken');
  });

  test('emails are unique ignoring case → 409', async () => {
    assert.equal((await register({ username: 'frank', email: 'Frank@Example.com', password: 'secret-pass' })).status, 201);
    const res = await register({ username: 'frank2', email: 'frank@example.COM', password: 'secret-pass' });
    assert.equal(res.status, 409);
    assert.equal(res.json.error.code, 'email_taken');
  });

  for (const email of ['nope', 'a@b', '@example.com', 'a@@example.com', 'a b@example.com', 'a@example.', 'a..b@example.com']) {
    test(`malformed email ${JSON.stringify(email)} → 400`, async () => {
      const res = await register({ username: 'gina', email, password: 'secret-pass' });
      assert.equal(res.status, 400);
      assert.equal(res.json.error.code, 'invalid_email');
    });
  }

  test('password shorter than 8 characters → 400', async () => {
    const res = await register({ username: 'hank', email: 'hank@example.com', password: 'short7!' });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, 'invalid_password');
  });

  test('missing and mistyped fields → 400', async () => {
    assert.equal((await register({ email: 'i@example.com', password: 'secret-pass' })).status, 400);
    assert.equal((await register({ username: 'ivan', email: 'i@example.com', password: 12345678 })).status, 400);
    assert.equal((await register({ username: ['ivan'], email: 'i@example.com', password: 'secret-pass' })).status, 400);
  });
});

describe('login', () => {
  let judyId;
  before(async () => {
    judyId = (await register({ username: 'judy', email: 'judy@example.com', password: 'judy-password' })).json.user.id;
  });

  test('by username or by email (any case)', async () => {
    for (const body of [{ username: 'judy' }, { username: 'JUDY' }, { email: 'judy@example.com' }, { email: 'JUDY@example.com' }]) {
      const res = await api.post('/api/auth/login', { ...body, password: 'judy-password' });
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(res.json.user.username, 'judy');
      assert.equal(res.json.user.id, judyId);
      assert.equal((await api.get('/api/auth/me', { token: res.json.token })).json.user.id, judyId, 'a token for judy');
    }
  });

  test('wrong password and unknown user answer the same 401', async () => {
    const wrong = await api.post('/api/auth/login', { username: 'judy', password: 'not-her-password' });
    const unknown = await api.post('/api/auth/login', { username: 'nobody_here', password: 'not-her-password' });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.deepEqual(wrong.json, unknown.json);
  });

  test('neither username nor email → 400', async () => {
    const res = await api.post('/api/auth/login', { password: 'judy-password' });
    assert.equal(res.status, 400);
  });
});

describe('tokens', () => {
  let token;
  let userId;
  before(async () => {
    const res = await register({ username: 'kate', email: 'kate@example.com', password: 'kate-password' });
    token = res.json.token;
    userId = res.json.user.id;
  });

  test('me answers the caller with email', async () => {
    const res = await api.get('/api/auth/me', { token });
    assert.equal(res.status, 200);
    assert.equal(res.json.user.id, userId);
    assert.equal(res.json.user.email, 'kate@example.com');
  });

  test('no token, a bad scheme, garbage → 401', async () => {
    assert.equal((await api.get('/api/auth/me')).status, 401);
    assert.equal((await api.get('/api/auth/me', { headers: { authorization: `Basic ${token}` } })).status, 401);
    assert.equal((await api.get('/api/auth/me', { token: 'garbage' })).status, 401);
    assert.equal((await api.get('/api/auth/me', { token: 'a.b.c' })).status, 401);
  });

  test('a tampered payload or signature → 401', async () => {
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url'));
    const forged = `${h}.${b64url({ ...claims, exp: claims.exp + 1000 })}.${s}`;
    assert.equal((await api.get('/api/auth/me', { token: forged })).status, 401);
    const badSig = `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
    assert.equal((await api.get('/api/auth/me', { token: badSig })).status, 401);
  });

  test('unsigned tokens (alg none) → 401', async () => {
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url'));
    for (const alg of ['none', 'None', 'NONE']) {
      const unsigned = `${b64url({ alg, typ: 'JWT' })}.${b64url(claims)}.`;
      assert.equal((await api.get('/api/auth/me', { token: unsigned })).status, 401, alg);
      assert.equal((await api.get('/api/auth/me', { token: unsigned.slice(0, -1) })).status, 401, alg);
    }
  });

  test('a token of a deleted user → 401', async () => {
    const res = await register({ username: 'leo', email: 'leo@example.com', password: 'leo-password' });
    assert.equal((await api.get('/api/auth/me', { token: res.json.token })).status, 200);
    runSql(server, `DELETE FROM users WHERE id = ${res.json.user.id}`);
    assert.equal((await api.get('/api/auth/me', { token: res.json.token })).status, 401);
  });
});

test('an expired token → 401', async () => {
  const shortLived = new ParleyServer({ args: ['--token-ttl', '1'] });
  await shortLived.start();
  try {
    const client = new Api(shortLived.url);
    const res = await client.post('/api/auth/register', { username: 'mia', email: 'mia@example.com', password: 'mia-password' });
    assert.equal(res.status, 201);
    await new Promise((r) => setTimeout(r, 2100));
    const me = await client.get('/api/auth/me', { token: res.json.token });
    assert.equal(me.status, 401);
    assert.equal(me.json.error.code, 'unauthorized');
  } finally {
    await shortLived.stop();
    shortLived.cleanup();
  }
});
