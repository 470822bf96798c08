/**
 * Static upstream credentials (none, bearer, basic) against the real sample FHIR server demanding
 * them through its `authorize` hook, and that hook's 401 answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authInterceptor, upstreamCredentials } from '../../../src/adapters/upstream/auth-interceptors.js';
import { createUndiciSource } from '../../../src/adapters/upstream/undici-source.js';
import type { UpstreamAuthConfig } from '../../../src/config/types.js';
import type { FhirSource } from '../../../src/fhir/upstream.js';
import { startSampleServer, type RunningSampleServer } from '../../../src/sample-server/server.js';

const BASIC = `Basic ${Buffer.from('custos:pa:ss wörd').toString('base64')}`;
let sample: RunningSampleServer;
const seen: Array<string | undefined> = [];

before(async () => {
  sample = await startSampleServer({
    patients: 2,
    authorize: (authorization) => {
      seen.push(authorization);
      return authorization === 'Bearer static-token' || authorization === BASIC;
    },
  });
});
after(() => sample.close());

async function exchange(auth: UpstreamAuthConfig, headers: Record<string, string> = {}): Promise<{ status: number; wwwAuthenticate: unknown; body: { resourceType?: string; issue?: Array<{ code: string }> } }> {
  const source: FhirSource = createUndiciSource({ id: 'default', baseUrl: sample.url, connections: 1, connectTimeoutMs: 2_000, responseTimeoutMs: 5_000, interceptors: upstreamCredentials(auth).interceptors });
  try {
    const response = await source.send({ method: 'GET', path: '/Patient', query: '', headers: { accept: 'application/fhir+json', ...headers } });
    const body = JSON.parse((await response.body.collect()).toString()) as { resourceType?: string; issue?: Array<{ code: string }> };
    return { status: response.status, wwwAuthenticate: response.headers['www-authenticate'], body };
  } finally {
    await source.close();
  }
}

describe('static upstream credentials', () => {
  it('sends a static bearer token, replacing whatever Authorization the request carried', async () => {
    seen.length = 0;
    const answer = await exchange({ type: 'bearer', token: 'static-token' }, { authorization: 'Bearer the-client-own-token' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.resourceType, 'Bundle');
    assert.deepEqual(seen, ['Bearer static-token']);
  });

  it('sends HTTP basic credentials (RFC 7617: base64 of user:password, colons allowed in the password)', async () => {
    seen.length = 0;
    assert.equal((await exchange({ type: 'basic', username: 'custos', password: 'pa:ss wörd' })).status, 200);
    assert.deepEqual(seen, [BASIC]);
  });

  it('sends nothing for none, and the upstream answers 401 + WWW-Authenticate: Bearer with an OperationOutcome', async () => {
    seen.length = 0;
    const answer = await exchange({ type: 'none' });
    assert.equal(answer.status, 401);
    assert.match(String(answer.wwwAuthenticate), /^Bearer/);
    assert.equal(answer.body.resourceType, 'OperationOutcome');
    assert.equal(answer.body.issue?.[0]?.code, 'login');
    assert.deepEqual(seen, [undefined]);
  });

  it('refuses wrong static credentials upstream (401), and never falls back to another scheme', async () => {
    assert.equal((await exchange({ type: 'bearer', token: 'wrong' })).status, 401);
    assert.equal((await exchange({ type: 'basic', username: 'custos', password: 'wrong' })).status, 401);
  });

  it('will not build connection-level or token credentials as a header (use upstreamCredentials)', () => {
    assert.throws(() => authInterceptor({ type: 'mtls', certFile: 'c', keyFile: 'k' }), /upstream auth type mtls is not a header/);
    assert.equal(authInterceptor({ type: 'none' }), undefined);
  });
});
