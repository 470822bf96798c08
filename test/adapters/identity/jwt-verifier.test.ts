import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exportSPKI, importJWK, SignJWT, type CryptoKey } from 'jose';
import { createJwtVerifier, type JwtVerifier, type JwtVerifierOptions } from '../../../src/adapters/identity/jwt-verifier.js';
import { AUDIENCE, claims, compact, ISSUER, jwksFile, jwksOf, NOW, serveJwks, sign, signingKey, type JwksServer, type SigningKey } from './token-fixtures.js';

let rsa: SigningKey;
let ec: SigningKey;
let stranger: SigningKey;
let file: string;

before(async () => {
  rsa = await signingKey('RS256', 'rsa-1');
  ec = await signingKey('ES256', 'ec-1');
  stranger = await signingKey('RS256', 'rsa-1'); // same kid, different key
  file = jwksFile(jwksOf(rsa, ec));
});

/** A verifier trusting ISSUER (keys from a JWKS file), whose clock reads `at` (Unix seconds). */
function verifier(at = NOW, options: Partial<JwtVerifierOptions> = {}) {
  let now = at * 1000;
  const v = createJwtVerifier({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwksFile: file }], now: () => now, ...options });
  return Object.assign(v, { setNow: (seconds: number) => { now = seconds * 1000; } });
}

/** Asserts a 401 whose message matches and never quotes the token. */
async function rejects(token: string, pattern: RegExp, v: JwtVerifier = verifier()) {
  await assert.rejects(v.verify(token), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'UNAUTHENTICATED');
    assert.match(error.message, pattern);
    for (const part of token.split('.')) if (part.length > 8) assert.ok(!error.message.includes(part), 'the message must not echo the token');
    return true;
  });
}

describe('JWT verification', () => {
  it('accepts a token signed by a trusted issuer and returns its verified claims', async () => {
    const token = await sign(rsa);
    const verified = await verifier().verify(token);
    assert.equal(verified.issuer, ISSUER);
    assert.equal(verified.claims.sub, 'user-123');
    assert.equal(verified.expiresAt, NOW + 300);
    assert.match(verified.tokenId, /^[A-Za-z0-9_-]{43}$/, 'SHA-256, base64url');
    assert.ok(Object.isFrozen(verified.claims));
  });

  it('accepts each asymmetric algorithm: RS256/384/512, ES256/384, EdDSA', async () => {
    for (const alg of ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'EdDSA']) {
      const key = await signingKey(alg);
      const v = createJwtVerifier({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwks: jwksOf(key) }], now: () => NOW * 1000 });
      assert.equal((await v.verify(await sign(key))).claims.sub, 'user-123', alg);
    }
  });

  describe('refuses, with a 401 that says why', () => {
    it('an expired token', async () => rejects(await sign(rsa, claims({ exp: NOW - 60 })), /has expired/));
    it('a token not valid yet', async () => rejects(await sign(rsa, claims({ nbf: NOW + 60 })), /not valid yet/));
    it('a token for another audience', async () => rejects(await sign(rsa, claims({ aud: 'https://other.example/fhir' })), /not meant for this gateway/));
    it('a token from an issuer it does not trust', async () => rejects(await sign(rsa, claims({ iss: 'https://evil.example' })), /issuer this gateway does not trust/));
    it('a token without iss', async () => rejects(await sign(rsa, claims({ iss: undefined })), /no iss claim/));
    it('a token without exp (it could never be evicted)', async () => rejects(await sign(rsa, claims({ exp: undefined })), /no expiry/));
    it('a token whose kid the issuer does not publish', async () => rejects(await sign({ ...stranger, kid: 'rotated-away' }), /no signing key .* matches/));
    it('a token signed by another key under a known kid', async () => rejects(await sign(stranger), /signature does not verify/));
    it('a token whose payload was altered after signing', async () => {
      const [h, , s] = (await sign(rsa)).split('.');
      const forged = compact({}, claims({ scope: 'system/*.*' })).split('.')[1];
      await rejects(`${h}.${forged}.${s}`, /signature does not verify/);
    });

    it('an unsigned token (alg none)', async () => {
      await rejects(compact({ alg: 'none', typ: 'JWT' }, claims()), /alg none/);
      await rejects(compact({ typ: 'JWT' }, claims()), /alg none/);
    });

    it('an HS256 token keyed with the issuer\'s public key (algorithm confusion)', async () => {
      const pem = await exportSPKI(await importJWK(rsa.publicJwk, 'RS256') as CryptoKey);
      for (const secret of [pem, JSON.stringify(rsa.publicJwk)]) {
        const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: rsa.kid }).sign(new TextEncoder().encode(secret));
        await rejects(token, /shared secret/);
      }
    });

    it('a token that names its own key (jku, x5u, jwk, x5c)', async () => {
      await rejects(await sign(rsa, claims(), { jku: 'https://evil.example/jwks' }), /names its own key \(jku\)/);
      await rejects(await sign(rsa, claims(), { x5u: 'https://evil.example/cert.pem' }), /names its own key \(x5u\)/);
      await rejects(await sign(rsa, claims(), { jwk: rsa.publicJwk }), /names its own key \(jwk\)/);
      await rejects(await sign(rsa, claims(), { x5c: ['MIIB'] }), /names its own key \(x5c\)/);
    });

    it('an algorithm outside the accepted list, or outside the issuer\'s own list', async () => {
      await rejects(await sign(await signingKey('PS256', 'rsa-1')), /signing algorithm is not accepted/);
      const esOnly = createJwtVerifier({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwksFile: file, algorithms: ['ES256'] }], now: () => NOW * 1000 });
      await rejects(await sign(rsa), /not accepted for its issuer \(accepted: ES256\)/, esOnly);
      assert.equal((await esOnly.verify(await sign(ec))).claims.sub, 'user-123');
    });

    it('malformed tokens', async () => {
      await rejects('not-a-jwt', /not a well-formed JWT/);
      await rejects('a.b', /not a well-formed JWT/);
      await rejects('a.b.c.d.e', /encrypted tokens \(JWE\)/);
      await rejects('e30.e30.sig!', /not a well-formed JWT/);
      await rejects('bm90IGpzb24.e30.c2ln', /header is not valid/);
      await rejects(`${compact({ alg: 'RS256', kid: 'rsa-1' }, {}).split('.')[0]}.bm90IGpzb24.c2ln`, /payload is not valid/);
      await rejects('', /empty/);
      await rejects('a'.repeat(20_000), /longer than/);
    });
  });

  it('honours the clock skew both ways (default 30 s), and not beyond it', async () => {
    const lenient = verifier();
    await lenient.verify(await sign(rsa, claims({ exp: NOW - 20 })));
    await lenient.verify(await sign(rsa, claims({ nbf: NOW + 20 })));
    await rejects(await sign(rsa, claims({ exp: NOW - 40 })), /has expired/, lenient);
    await rejects(await sign(rsa, claims({ nbf: NOW + 40 })), /not valid yet/, lenient);
    const exact = verifier(NOW, { clockSkewSeconds: 0 });
    await rejects(await sign(rsa, claims({ exp: NOW - 20 })), /has expired/, exact);
    await rejects(await sign(rsa, claims({ nbf: NOW + 20 })), /not valid yet/, exact);
  });

  describe('the verified-token cache', () => {
    it('answers a repeated token without checking its signature again', async () => {
      const v = verifier();
      const token = await sign(rsa);
      const first = await v.verify(token);
      assert.deepEqual(v.stats(), { signatureChecks: 1, cacheHits: 0, cacheSize: 1 });
      for (let i = 0; i < 5; i++) assert.equal(await v.verify(token), first, 'the same verified object');
      assert.deepEqual(v.stats(), { signatureChecks: 1, cacheHits: 5, cacheSize: 1 });
    });

    it('rejects a cached token once it expires (exp + skew, as jose judges it) and forgets it', async () => {
      const v = verifier();
      const token = await sign(rsa, claims({ exp: NOW + 60 }));
      await v.verify(token);
      v.setNow(NOW + 60 + 29);
      await v.verify(token); // within the skew
      v.setNow(NOW + 60 + 30);
      await rejects(token, /has expired/, v);
      assert.equal(v.stats().cacheSize, 0);
      assert.equal(v.stats().signatureChecks, 1, 'expiry of a cached token needs no signature check');
    });

    it('is bounded: a token unused for a whole generation goes first, a token in use stays', async () => {
      const v = verifier(NOW, { cacheSize: 4 }); // two generations of two
      const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((sub) => sign(rsa, claims({ sub }))));
      await v.verify(a!);
      await v.verify(b!); // generation full: a and b become the previous generation
      await v.verify(a!); // a is in use: it moves to the current generation
      await v.verify(c!); // full again: b, unused since, is dropped
      assert.equal(v.stats().signatureChecks, 3);
      assert.ok(v.stats().cacheSize <= 4);
      await v.verify(a!);
      assert.equal(v.stats().signatureChecks, 3, 'a stayed');
      await v.verify(b!);
      assert.equal(v.stats().signatureChecks, 4, 'b was evicted and is checked again');
    });

    it('checks a token once when it arrives on several requests at the same time', async () => {
      const v = verifier();
      const token = await sign(ec);
      const results = await Promise.all(Array.from({ length: 8 }, () => v.verify(token)));
      assert.ok(results.every((r) => r === results[0]));
      assert.equal(v.stats().signatureChecks, 1);
    });

    it('never caches a rejection', async () => {
      const v = verifier();
      const token = await sign(stranger);
      await rejects(token, /signature/, v);
      await rejects(token, /signature/, v);
      assert.equal(v.stats().signatureChecks, 2);
      assert.equal(v.stats().cacheSize, 0);
    });
  });
});

describe('issuer keys from a JWKS URL', () => {
  let server: JwksServer;
  before(async () => { server = await serveJwks(jwksOf(rsa, ec)); });
  after(() => server.close());

  const remote = () => createJwtVerifier({ issuers: [{ issuer: ISSUER, audience: [AUDIENCE, 'custos'], jwksUri: server.url }], now: () => NOW * 1000 });

  it('fetches the JWKS once and verifies tokens of every key in it', async () => {
    const before = server.fetches();
    const v = remote();
    await v.verify(await sign(rsa));
    await v.verify(await sign(ec, claims({ aud: 'custos' })));
    assert.equal(server.fetches() - before, 1);
  });

  it('refuses a token whose kid is not published (the re-fetch for rotation is rate-limited)', async () => {
    await rejects(await sign({ ...stranger, kid: 'unknown' }), /no signing key/, remote());
  });

  it('answers 503, not 401, when the issuer\'s keys cannot be fetched', async () => {
    const gone = await serveJwks(jwksOf(rsa));
    const v = createJwtVerifier({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwksUri: gone.url }], now: () => NOW * 1000 });
    await gone.close();
    await assert.rejects(v.verify(await sign(rsa)), (e: Error & { code?: string }) => e.code === 'UNAVAILABLE' && /could not be fetched/.test(e.message));
  });
});

describe('issuer configuration', () => {
  const configError = (issuers: JwtVerifierOptions['issuers'], pattern: RegExp) =>
    assert.throws(() => createJwtVerifier({ issuers }), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && pattern.test(e.message));

  it('is checked at start, one clear message per mistake', () => {
    configError([{ issuer: ISSUER, audience: AUDIENCE, jwksUri: 'http://auth.example.org/jwks' }], /must use https \(http is allowed only for a loopback host\)/);
    configError([{ issuer: ISSUER, audience: AUDIENCE }], /exactly one of jwksUri, jwksFile or jwks/);
    configError([{ issuer: ISSUER, audience: AUDIENCE, jwksFile: file, jwksUri: 'https://a.example/jwks' }], /exactly one/);
    configError([{ issuer: ISSUER, audience: [], jwksFile: file }], /audience must name at least one/);
    configError([{ issuer: ISSUER, audience: AUDIENCE, jwksFile: '/nonexistent/jwks.json' }], /does not exist/);
    configError([{ issuer: ISSUER, audience: AUDIENCE, jwksFile: file }, { issuer: ISSUER, audience: AUDIENCE, jwksFile: file }], /issuers\[1\]\.issuer: .* listed twice/);
    configError([{ issuer: ISSUER, audience: AUDIENCE, jwksFile: file, algorithms: ['HS256' as 'RS256'] }], /only RS256, RS384, RS512, ES256, ES384, EdDSA, Ed25519/);
    configError([{ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }], /private or secret key/);
    configError([{ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [] } }], /holds no keys/);
  });
});
