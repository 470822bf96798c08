/**
 * SMART Backend Services upstream credentials, against a real token endpoint
 * (test/support/oauth-server.ts) and the real sample FHIR server demanding that endpoint's tokens.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';
import { request } from 'undici';
import { upstreamCredentials, type UpstreamCredentialOptions } from '../../../src/adapters/upstream/auth-interceptors.js';
import { SmartBackendTokens, smartBackendInterceptor } from '../../../src/adapters/upstream/smart-backend-auth.js';
import { readAssertionKey } from '../../../src/adapters/upstream/smart-backend-key.js';
import { createUndiciSource } from '../../../src/adapters/upstream/undici-source.js';
import type { UpstreamAuthConfig } from '../../../src/config/types.js';
import { CustosError } from '../../../src/errors.js';
import type { FhirSource } from '../../../src/fhir/upstream.js';
import { mapError, toOperationOutcome } from '../../../src/http/error-mapper.js';
import { startSampleServer, type RunningSampleServer } from '../../../src/sample-server/server.js';
import { startOAuthServer, type TestOAuthServer } from '../../support/oauth-server.js';
import { custosRejection } from '../../support/custos-rejection.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-smart-'));
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const rsaFile = join(dir, 'gateway-rsa.pem');
writeFileSync(rsaFile, rsaPem);
const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ecJwkFile = join(dir, 'gateway-ec.jwk.json');
writeFileSync(ecJwkFile, JSON.stringify(ec.privateKey.export({ format: 'jwk' })));

async function publicJwk(key: KeyObject, kid?: string): Promise<JWK> {
  const jwk = await exportJWK(key);
  return { ...jwk, kid: kid ?? (await calculateJwkThumbprint(jwk)) };
}

let oauth: TestOAuthServer;
let sample: RunningSampleServer;
/** While false the sample server refuses every token (as if it no longer knew them). */
let upstreamAcceptsTokens = true;
let authorizeCalls = 0;
const sources: FhirSource[] = [];

before(async () => {
  sample = await startSampleServer({
    patients: 3,
    authorize: async (authorization) => {
      authorizeCalls++;
      const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
      return upstreamAcceptsTokens && (await oauth.verify(token)) !== undefined;
    },
  });
});
after(() => sample.close());

async function useOAuth(expiresIn = 300): Promise<void> {
  oauth = await startOAuthServer({
    expiresIn,
    clients: [
      // The default kid is the RFC 7638 thumbprint, so registering the thumbprint must match it.
      { clientId: 'custos-gateway', jwks: [await publicJwk(rsa.publicKey)], scopes: ['system/*.rs', 'system/Patient.c'] },
      { clientId: 'custos-ec', jwks: [await publicJwk(ec.publicKey, 'ec-1')] },
    ],
  });
}
afterEach(async () => {
  upstreamAcceptsTokens = true;
  await Promise.all(sources.splice(0).map((s) => s.close()));
  await oauth?.close();
});

function smartAuth(overrides: Partial<Extract<UpstreamAuthConfig, { type: 'smart-backend' }>> = {}): UpstreamAuthConfig {
  return { type: 'smart-backend', tokenUrl: oauth.tokenUrl, clientId: 'custos-gateway', privateKeyFile: rsaFile, scope: 'system/*.rs system/Patient.c', ...overrides };
}

function source(auth: UpstreamAuthConfig, options: UpstreamCredentialOptions = {}): FhirSource {
  const created = createUndiciSource({
    id: 'default',
    baseUrl: sample.url,
    connections: 8,
    connectTimeoutMs: 2_000,
    responseTimeoutMs: 5_000,
    interceptors: upstreamCredentials(auth, options).interceptors,
  });
  sources.push(created);
  return created;
}

async function get(src: FhirSource, path = '/Patient', headers: Record<string, string> = {}): Promise<number> {
  const response = await src.send({ method: 'GET', path, query: '', headers: { accept: 'application/fhir+json', ...headers } });
  await response.body.collect();
  return response.status;
}

const failure = custosRejection;

/** No secret may appear: not the key, not an assertion or token (JWT-shaped text), not the form. */
function assertNoSecret(error: CustosError): void {
  const text = `${error.message} ${JSON.stringify(error.details ?? {})}`;
  assert.doesNotMatch(text, /BEGIN|PRIVATE/);
  assert.doesNotMatch(text, /eyJ[\w-]+\.[\w-]+/);
  assert.doesNotMatch(text, /client_assertion=/);
  for (const line of rsaPem.split('\n').filter((l) => l.length > 20)) assert.ok(!text.includes(line));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`${what}: not reached in time`);
    await sleep(10);
  }
}

describe('SMART Backend Services upstream credentials', () => {
  it('obtains one token and reuses it across many requests; the client\'s own Authorization never goes upstream', async () => {
    await useOAuth();
    const src = source(smartAuth());
    assert.equal(await get(src, '/Patient', { authorization: 'Bearer client-token-must-not-pass' }), 200);
    for (let i = 0; i < 10; i++) assert.equal(await get(src), 200);
    assert.deepEqual(await Promise.all(Array.from({ length: 20 }, () => get(src, '/metadata'))), Array(20).fill(200));
    assert.equal(oauth.tokensIssued, 1);
    assert.equal(oauth.requests, 1);
  });

  it('shares ONE token request among concurrent first requests (no stampede)', async () => {
    await useOAuth();
    oauth.delayMs = 150;
    const src = source(smartAuth());
    const statuses = await Promise.all(Array.from({ length: 25 }, () => get(src)));
    assert.deepEqual(statuses, Array(25).fill(200));
    assert.equal(oauth.requests, 1);
    assert.equal(oauth.tokensIssued, 1);
  });

  it('refreshes the token refreshBeforeSeconds before it expires, in the background, while requests use the current one', async () => {
    await useOAuth(100);
    let clock = Date.now();
    const tokens = new SmartBackendTokens({
      tokenUrl: oauth.tokenUrl,
      clientId: 'custos-gateway',
      scope: 'system/*.rs',
      key: readAssertionKey({ privateKeyFile: rsaFile }),
      refreshBeforeSeconds: 30,
      timeoutMs: 5_000,
      where: 'upstream.auth',
      now: () => clock,
    });
    const src = createUndiciSource({ id: 'default', baseUrl: sample.url, connections: 2, connectTimeoutMs: 2_000, responseTimeoutMs: 5_000, interceptors: [smartBackendInterceptor(tokens)] });
    sources.push(src);
    const start = clock;
    assert.equal(await get(src), 200);
    clock = start + 60_000;
    assert.equal(await get(src), 200);
    assert.equal(oauth.requests, 1, 'not yet in the refresh window');

    clock = start + 75_000; // inside the 30 s window of a 100 s token
    oauth.delayMs = 500;
    assert.equal(await get(src), 200);
    assert.equal(oauth.tokensIssued, 1, 'the request did not wait for the refresh');
    await until(() => oauth.tokensIssued === 2 && !tokens.fetching, 'the background refresh');
    oauth.delayMs = 0;

    clock = start + 110_000; // the first token has expired; the refreshed one (until +175 s) has not
    assert.equal(await get(src), 200);
    assert.equal(oauth.requests, 2);

    clock = start + 150_000; // the refreshed token's window: a failed background refresh is not surfaced
    oauth.failNext(1);
    assert.equal(await get(src), 200);
    await until(() => oauth.requests === 3 && !tokens.fetching, 'the failed background refresh');
    assert.equal(await get(src), 200);
    assert.equal(oauth.requests, 3, 'no new background attempt right after a failure');
    clock += 2_000;
    assert.equal(await get(src), 200);
    await until(() => oauth.tokensIssued === 3 && !tokens.fetching, 'the next background refresh');

    clock = start + 1_000_000; // every token expired: the request waits for a new one
    assert.equal(await get(src), 200);
    assert.equal(oauth.tokensIssued, 4);
    assert.equal(oauth.rejections.length, 0);
  });

  it('signs with ES384 from a private JWK file and a configured keyId', async () => {
    await useOAuth();
    const src = source(smartAuth({ clientId: 'custos-ec', privateKeyFile: ecJwkFile, keyId: 'ec-1', scope: 'system/*.rs' }));
    assert.equal(await get(src), 200);
    assert.equal(oauth.tokensIssued, 1);
  });

  it('maps a token endpoint that is down to a 502 OperationOutcome that names the settings and no secret', async () => {
    await useOAuth();
    oauth.down = true;
    const src = source(smartAuth());
    const error = await failure(get(src));
    assert.equal(error.code, 'UPSTREAM_AUTH_FAILED');
    assert.match(error.message, /could not obtain credentials for the upstream/);
    assert.match(error.message, /could not be reached/);
    assert.match(error.message, /upstream\.auth\.tokenUrl/);
    assertNoSecret(error);
    const mapped = mapError(error, 'req-1');
    assert.equal(mapped.status, 502);
    const outcome = toOperationOutcome(mapped);
    assert.equal(outcome.issue[0]?.diagnostics, 'UPSTREAM_AUTH_FAILED');
    assert.match(outcome.issue[0]?.details?.text ?? '', /could not obtain credentials/);

    oauth.down = false; // a failure is not cached: the next request tries again
    assert.equal(await get(src), 200);
  });

  it('reports an HTTP error of the token endpoint, a timeout, and an endpoint nobody listens on', async () => {
    await useOAuth();
    oauth.failNext(1, 503);
    const src = source(smartAuth(), { tokenTimeoutMs: 200 });
    const refused = await failure(get(src));
    assert.equal(refused.code, 'UPSTREAM_AUTH_FAILED');
    assert.match(refused.message, /HTTP 503, temporarily_unavailable/);

    oauth.delayMs = 1_000;
    const slow = await failure(get(src));
    assert.match(slow.message, /did not answer within 200 ms/);
    assertNoSecret(slow);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/token`;
    await new Promise((resolve) => closed.close(resolve));
    const dead = await failure(get(source(smartAuth({ tokenUrl: deadUrl }))));
    assert.match(dead.message, /could not be reached \(ECONNREFUSED\)/);
  });

  it('is refused by the token endpoint when the assertion is signed with a key the client did not register', async () => {
    await useOAuth();
    const forger = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forgedFile = join(dir, 'forged.pem');
    writeFileSync(forgedFile, forger.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    // Claims the registered kid, so only the signature can give it away.
    const kid = await calculateJwkThumbprint(await exportJWK(rsa.publicKey));
    const error = await failure(get(source(smartAuth({ privateKeyFile: forgedFile, keyId: kid }))));
    assert.equal(error.code, 'UPSTREAM_AUTH_FAILED');
    assert.match(error.message, /HTTP 400, invalid_client/);
    assert.equal(oauth.tokensIssued, 0);
    assert.deepEqual(oauth.rejections.map((r) => r.reason), ['assertion: ERR_JWS_SIGNATURE_VERIFICATION_FAILED']);
    assertNoSecret(error);
  });

  it('is refused a scope the client is not registered for', async () => {
    await useOAuth();
    const error = await failure(get(source(smartAuth({ scope: 'system/*.cruds' }))));
    assert.match(error.message, /HTTP 400, invalid_scope/);
  });

  it('drops a token the upstream no longer accepts and retries the request once with a fresh one (body replayed)', async () => {
    await useOAuth();
    const src = source(smartAuth());
    assert.equal(await get(src), 200);
    oauth.revokeAll();
    const created = await src.send({
      method: 'POST',
      path: '/Patient',
      query: '',
      headers: { accept: 'application/fhir+json', 'content-type': 'application/fhir+json' },
      body: Buffer.from(JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Retry' }] })),
    });
    const body = JSON.parse((await created.body.collect()).toString()) as { resourceType: string; name: Array<{ family: string }> };
    assert.equal(created.status, 201);
    assert.equal(body.name[0]?.family, 'Retry');
    assert.equal(oauth.tokensIssued, 2);
    assert.equal(await get(src), 200);
    assert.equal(oauth.tokensIssued, 2);
  });

  it('retries at most once: an upstream that refuses every token gets two tries, then its 401 is passed on', async () => {
    await useOAuth();
    const src = source(smartAuth());
    assert.equal(await get(src), 200);
    upstreamAcceptsTokens = false;
    authorizeCalls = 0;
    assert.equal(await get(src), 401);
    assert.equal(authorizeCalls, 2);
    assert.equal(oauth.tokensIssued, 2);
    // A token fetched for this very request is not retried: one call upstream, no new token.
    authorizeCalls = 0;
    const fresh = source(smartAuth());
    assert.equal(await get(fresh), 401);
    assert.equal(authorizeCalls, 1);
    assert.equal(oauth.tokensIssued, 3);
  });

  it('refuses a token endpoint answer whose access_token could inject header text', async () => {
    await useOAuth();
    const evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'abc\r\nX-Injected: 1', token_type: 'bearer', expires_in: 300 }));
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      const error = await failure(get(source(smartAuth({ tokenUrl: `http://127.0.0.1:${(evil.address() as AddressInfo).port}/token` }))));
      assert.equal(error.code, 'UPSTREAM_AUTH_FAILED');
      assert.match(error.message, /without a usable access_token/);
      assert.doesNotMatch(error.message, /Injected/);
    } finally {
      evil.closeAllConnections();
      await new Promise((resolve) => evil.close(resolve));
    }
  });

  it('stops the start with CONFIG_INVALID for a missing key, an unfit key, or an algorithm that does not fit', async () => {
    await useOAuth();
    assert.throws(() => upstreamCredentials(smartAuth({ privateKeyFile: join(dir, 'nope.pem') })), (e: unknown) => {
      assert.ok(e instanceof CustosError);
      assert.equal(e.code, 'CONFIG_INVALID');
      assert.match(e.message, /^upstream\.auth\.privateKeyFile: cannot read the file .*nope\.pem \(ENOENT\)/);
      return true;
    });
    const p256File = join(dir, 'p256.pem');
    writeFileSync(p256File, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    assert.throws(() => upstreamCredentials(smartAuth({ privateKeyFile: p256File }), { where: 'sources[2].auth' }), /sources\[2\]\.auth\.privateKeyFile: holds an EC prime256v1 key; SMART Backend Services needs/);
    assert.throws(() => upstreamCredentials(smartAuth({ algorithm: 'ES384' })), /upstream\.auth\.algorithm: ES384 does not fit the key/);
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ1dC1ub3QtYS1rZXk=\n-----END PRIVATE KEY-----\n');
    assert.throws(() => upstreamCredentials(smartAuth({ privateKeyFile: garbage })), (e: unknown) => {
      assert.ok(e instanceof CustosError);
      assert.match(e.message, /does not hold an unencrypted private key/);
      assert.doesNotMatch(e.message, /c2VjcmV0/);
      return true;
    });
  });
});

describe('the test token endpoint (what the gateway is tested against)', () => {
  beforeEach(() => useOAuth());

  async function assertion(claims: { iss?: string; sub?: string; aud?: string; exp?: number; jti?: string }, key = rsa.privateKey, alg = 'RS384'): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const kid = await calculateJwkThumbprint(await exportJWK(rsa.publicKey));
    const jwt = new SignJWT({}).setProtectedHeader({ alg, kid }).setIssuedAt(now).setIssuer(claims.iss ?? 'custos-gateway').setSubject(claims.sub ?? 'custos-gateway').setAudience(claims.aud ?? oauth.tokenUrl).setExpirationTime(claims.exp ?? now + 60);
    if (claims.jti !== '') jwt.setJti(claims.jti ?? crypto.randomUUID());
    return jwt.sign(key);
  }

  async function post(clientAssertion: string, extra: Record<string, string> = {}): Promise<{ status: number; error?: string }> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/*.rs', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: clientAssertion, ...extra });
    const response = await request(oauth.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    const body = (await response.body.json()) as { error?: string };
    return { status: response.statusCode, ...(body.error ? { error: body.error } : {}) };
  }

  it('accepts a valid assertion once and rejects its replay (same jti)', async () => {
    const once = await assertion({ jti: 'jti-1' });
    assert.deepEqual(await post(once), { status: 200 });
    assert.deepEqual(await post(once), { status: 400, error: 'invalid_client' });
    assert.equal(oauth.rejections.at(-1)?.reason, 'jti replayed');
  });

  it('rejects a wrong audience, iss ≠ sub, an exp too far ahead, a missing jti, and a wrong grant type', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[Promise<string>, Record<string, string>, string, string]> = [
      [assertion({ aud: 'https://other.example/token' }), {}, 'invalid_client', 'assertion: ERR_JWT_CLAIM_VALIDATION_FAILED'],
      [assertion({ sub: 'someone-else' }), {}, 'invalid_client', 'assertion: ERR_JWT_CLAIM_VALIDATION_FAILED'],
      [assertion({ exp: now + 3_600 }), {}, 'invalid_client', 'exp more than 5 minutes ahead'],
      [assertion({ jti: '' }), {}, 'invalid_client', 'assertion: ERR_JWT_CLAIM_VALIDATION_FAILED'],
      [assertion({ iss: 'unknown', sub: 'unknown' }), {}, 'invalid_client', 'unknown client unknown'],
      [assertion({}), { grant_type: 'password' }, 'unsupported_grant_type', 'grant_type password'],
    ];
    for (const [signed, extra, error, reason] of cases) {
      assert.deepEqual(await post(await signed, extra), { status: 400, error });
      assert.equal(oauth.rejections.at(-1)?.reason, reason);
    }
    assert.equal(oauth.tokensIssued, 0);
  });
});
