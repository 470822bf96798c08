import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { bearerToken, createAuthenticator, type Authenticator } from '../../../src/adapters/identity/authenticator.js';
import { createJwtVerifier } from '../../../src/adapters/identity/jwt-verifier.js';
import { wwwAuthenticate } from '../../../src/adapters/identity/www-authenticate.js';
import { CustosError } from '../../../src/errors.js';
import { AUDIENCE, claims, ISSUER, jwksOf, NOW, sign, signingKey, type SigningKey } from './token-fixtures.js';

let key: SigningKey;
before(async () => { key = await signingKey('ES256'); });

function authenticator(purposeOfUse = { acceptHeader: true, default: 'TREAT' }): Authenticator {
  const verifier = createJwtVerifier({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwks: jwksOf(key) }], now: () => NOW * 1000 });
  return createAuthenticator({ verifier, purposeOfUse });
}

const failure = async (promise: Promise<unknown>): Promise<CustosError> => {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CustosError);
    return error;
  }
  assert.fail('expected a rejection');
};

describe('authenticating a request', () => {
  it('turns a valid bearer token into the Actor of the request', async () => {
    const token = await sign(key, claims({ organization: 'Organization/org-01', patient: 'pat-001', scope: 'launch/patient patient/*.rs' }));
    const actor = await authenticator().authenticate(`Bearer ${token}`, {});
    assert.equal(actor.subject, 'user-123');
    assert.equal(actor.fhirUser, 'Practitioner/123');
    assert.equal(actor.clientId, 'ehr-app');
    assert.equal(actor.organization, 'Organization/org-01');
    assert.equal(actor.patient, 'pat-001');
    assert.deepEqual(actor.scopes.map((s) => s.scope), ['patient/*.rs']);
    assert.equal(actor.issuer, ISSUER);
    assert.equal(actor.expiresAt, NOW + 300);
    assert.deepEqual([actor.purposeOfUse, actor.purposeOfUseSource], ['TREAT', 'default']);
  });

  it('resolves the purpose of use per request, even for a cached token: token, then header, then default', async () => {
    const auth = authenticator();
    const plain = `Bearer ${await sign(key)}`;
    assert.equal((await auth.authenticate(plain, {})).purposeOfUseSource, 'default');
    const fromHeader = await auth.authenticate(plain, { purposeOfUse: 'HRESCH' });
    assert.deepEqual([fromHeader.purposeOfUse, fromHeader.purposeOfUseSource], ['HRESCH', 'header']);
    const stated = `Bearer ${await sign(key, claims({ purpose_of_use: 'HPAYMT' }))}`;
    const fromToken = await auth.authenticate(stated, { purposeOfUse: 'HPAYMT' });
    assert.deepEqual([fromToken.purposeOfUse, fromToken.purposeOfUseSource], ['HPAYMT', 'token']);
    assert.equal((await failure(auth.authenticate(stated, { purposeOfUse: 'TREAT' }))).code, 'FORBIDDEN');
    assert.equal((await failure(authenticator({ acceptHeader: false, default: 'TREAT' }).authenticate(plain, { purposeOfUse: 'TREAT' }))).code, 'INVALID_REQUEST');
  });

  it('answers a request without a token with a bare challenge (RFC 6750 §3.1: no error code)', async () => {
    for (const header of [undefined, '', '   ', 'Basic dXNlcjpwYXNz']) {
      const error = await failure(authenticator().authenticate(header, {}));
      assert.equal(error.code, 'UNAUTHENTICATED');
      assert.match(error.message, /Bearer/);
      assert.equal(wwwAuthenticate(error), 'Bearer realm="custos"');
    }
  });

  it('answers a bad token with error="invalid_token" and a description that does not echo it', async () => {
    const expired = await sign(key, claims({ exp: NOW - 3600 }));
    const error = await failure(authenticator().authenticate(`Bearer ${expired}`, {}));
    assert.equal(error.code, 'UNAUTHENTICATED');
    assert.equal(wwwAuthenticate(error), 'Bearer realm="custos", error="invalid_token", error_description="the token has expired; obtain a new one"');
    for (const header of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer tok"en']) {
      const malformed = await failure(authenticator().authenticate(header, {}));
      assert.match(wwwAuthenticate(malformed), /error="invalid_token"/, header);
    }
  });

  it('refuses a genuine token that lacks what the gateway needs (e.g. a client id)', async () => {
    const error = await failure(authenticator().authenticate(`Bearer ${await sign(key, claims({ client_id: undefined }))}`, {}));
    assert.equal(error.code, 'UNAUTHENTICATED');
    assert.match(error.message, /names no client/);
  });

  it('reads the scheme case-insensitively and tolerates extra spaces (RFC 9110 §11.1)', () => {
    assert.equal(bearerToken('bearer abc.def.ghi'), 'abc.def.ghi');
    assert.equal(bearerToken('BEARER   abc.def.ghi  '), 'abc.def.ghi');
  });
});

describe('WWW-Authenticate', () => {
  it('names the missing scope on a 403 for insufficient scope, and keeps values quotable', () => {
    const error = new CustosError('INSUFFICIENT_SCOPE', 'no scope allows "read" on Observation', { scope: 'patient/Observation.rs' });
    assert.equal(
      wwwAuthenticate(error, 'fhir'),
      'Bearer realm="fhir", error="insufficient_scope", error_description="no scope allows \'read\' on Observation", scope="patient/Observation.rs"',
    );
  });

  it('is a bare challenge for anything that is not a token problem', () => {
    assert.equal(wwwAuthenticate(new Error('x')), 'Bearer realm="custos"');
    assert.equal(wwwAuthenticate(undefined), 'Bearer realm="custos"');
  });
});
