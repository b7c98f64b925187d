// The S3 test server behind scripts/s3-server.sh: s3rver (an S3 API on the
// local disk) with one thing added in front. s3rver 3.7 accepts any SigV4
// signature from a known access key id ("Signature version 4 calculation is
// unimplemented" in its authentication middleware), so a wrong signature would
// go unnoticed by every test. This middleware recomputes each header-signed
// request's signature with AWS's own signer (@smithy/signature-v4) from the
// headers the client said it signed, and answers 403 SignatureDoesNotMatch
// when they differ. The payload hash is taken as sent (UNSIGNED-PAYLOAD or a
// hex digest), not checked against the body.
//
//   node lib/s3-server.mjs DIR PORT BUCKET
// Credentials: access key S3RVER, secret S3RVER (s3rver's only account).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import S3rver from 's3rver';
import S3Error from 's3rver/lib/models/error.js';

const [dir, port, bucket] = process.argv.slice(2);
if (!dir || !port || !bucket) {
  console.error('usage: node lib/s3-server.mjs DIR PORT BUCKET');
  process.exit(2);
}
const SECRETS = new Map([['S3RVER', 'S3RVER']]);

// The hash constructor the signer wants: update() then an async digest(),
// HMAC when given a key.
class Sha256 {
  constructor(secret) {
    this.hash = secret ? createHmac('sha256', Buffer.from(secret)) : createHash('sha256');
  }
  update(data) {
    this.hash.update(typeof data === 'string' ? Buffer.from(data) : data);
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/,]+)\/(\d{8})\/([^/,]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

async function verifySigV4(ctx, next) {
  const auth = ctx.get('authorization');
  if (!auth.startsWith('AWS4-HMAC-SHA256')) return next(); // unsigned or V2: s3rver decides
  const m = AUTH.exec(auth);
  if (!m) throw new S3Error('AuthorizationHeaderMalformed', `unreadable Authorization header: ${auth}`);
  const [, accessKeyId, , region, signedHeaders, signature] = m;
  const secretAccessKey = SECRETS.get(accessKeyId);
  if (!secretAccessKey) return next(); // s3rver answers InvalidAccessKeyId

  const names = signedHeaders.split(';');
  const headers = {};
  for (const name of names) headers[name] = ctx.get(name);
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(ctx.get('x-amz-date'));
  if (!date) throw new S3Error('AccessDenied', 'SigV4 requests need x-amz-date');
  const signingDate = new Date(`${date[1]}-${date[2]}-${date[3]}T${date[4]}:${date[5]}:${date[6]}Z`);
  const url = new URL(ctx.originalUrl, `http://${ctx.get('host')}`);
  const query = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey },
    region,
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false, // S3 signs the path as sent
    applyChecksum: false,
  });
  const signed = await signer.sign(
    { method: ctx.method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query, headers },
    { signingDate, signableHeaders: new Set(names) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization)[1];
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    console.error(`SignatureDoesNotMatch: ${ctx.method} ${ctx.originalUrl} signed ${signedHeaders}`);
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
  return next();
}

const server = new S3rver({
  directory: dir,
  address: '127.0.0.1',
  port: Number(port),
  silent: true,
  configureBuckets: [{ name: bucket }],
});
server.middleware.unshift(verifySigV4);

// s3rver's store removes a key's emptied folders after a DELETE, racing with a
// PUT into the same folder (its mkdirp, then the rmdir, then its open fails:
// ENOENT, an unhandled error that ends the process) and with a listing (which
// HEAD of a bucket is, there: a 500). Real object stores have no folders; here
// puts, deletes and listings take turns.
let turn = Promise.resolve();
const inTurn = fn => (...args) => {
  const run = turn.then(() => fn(...args));
  turn = run.catch(() => {});
  return run;
};
server.store.putObject = inTurn(server.store.putObject.bind(server.store));
server.store.deleteObject = inTurn(server.store.deleteObject.bind(server.store));
server.store.listObjects = inTurn(server.store.listObjects.bind(server.store));
await server.run();
console.log(`s3 test server on http://127.0.0.1:${port}, bucket ${bucket}`);
