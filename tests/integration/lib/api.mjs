// A small client for the REST API, as a test would use it.
import { randomUUID } from 'node:crypto';

export class Api {
  constructor(baseUrl, token) {
    this.baseUrl = baseUrl;
    this.token = token;
  }

  withToken(token) { return new Api(this.baseUrl, token); }

  async request(method, path, { body, token = this.token, headers = {}, raw } = {}) {
    const init = { method, headers: { ...headers } };
    if (token) init.headers.authorization = `Bearer ${token}`;
    if (raw !== undefined) {
      init.body = raw;
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(this.baseUrl + path, init);
    const text = await response.text();
    let json;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    return { status: response.status, headers: response.headers, json, text };
  }

  get(path, opts) { return this.request('GET', path, opts); }
  post(path, body, opts = {}) { return this.request('POST', path, { ...opts, body }); }
  put(path, body, opts = {}) { return this.request('PUT', path, { ...opts, body }); }
  delete(path, opts) { return this.request('DELETE', path, opts); }
}

let counter = 0;
// Registers a fresh user; returns {token, user, api}.
export async function registerUser(baseUrl, name) {
  counter += 1;
  const username = `${name ?? 'user'}${Date.now() % 1e6}${counter}`.toLowerCase().slice(0, 32);
  const res = await new Api(baseUrl).post('/api/auth/register', {
    username, email: `${username}@example.com`, password: 'correct horse', displayName: name ?? username,
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  return { token: res.json.token, user: res.json.user, api: new Api(baseUrl, res.json.token) };
}

export const newClientMsgId = () => randomUUID();
