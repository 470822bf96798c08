/**
 * Verifies bearer JWTs (RFC 7519, RFC 9068 access tokens) against the configured issuers with
 * jose. The order matters for safety:
 *
 *   1. shape: three base64url segments (a JWE, five segments, is refused);
 *   2. header, unverified: `alg` must be asymmetric (no `none`, no HS*) and the token must not name
 *      its own key (`jku`, `x5u`, `jwk`, `x5c`: RFC 8725 §3.10, keys come only from configuration);
 *   3. `iss`, unverified, picks the issuer, hence the JWKS and the audience; an unknown issuer is
 *      refused before any key is fetched;
 *   4. jose verifies the signature with that issuer's keys and algorithms, then `iss`, `aud`, `exp`
 *      (required) and `nbf`, each time claim with the configured clock skew (RFC 7519 §4.1.4).
 *
 * Verified tokens are cached by SHA-256 until their `exp` (+ skew, as jose judges it), so a token
 * seen before costs a hash and a map lookup. Concurrent first uses of one token share one check.
 */
import { hash } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { fromVerifyError, rejectToken } from './token-rejections.js';
import { trustIssuers, type TrustedIssuer, type TrustedIssuerConfig } from './trusted-issuers.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

export interface JwtVerifierOptions {
  readonly issuers: readonly TrustedIssuerConfig[];
  /** Tolerance on exp/nbf, seconds (default 30): clocks of issuer and gateway drift apart. */
  readonly clockSkewSeconds?: number;
  /** Verified tokens kept (default 10,000). */
  readonly cacheSize?: number;
  /** Milliseconds since the epoch (tests move time with it). */
  readonly now?: () => number;
}

export interface VerifiedToken {
  /** The verified claims (frozen: one object is shared by every request that repeats the token). */
  readonly claims: Readonly<JWTPayload>;
  readonly issuer: string;
  /** SHA-256 of the token, base64url: the cache key, and the token's name in audit and logs. */
  readonly tokenId: string;
  /** `exp`, Unix seconds. */
  readonly expiresAt: number;
}

export interface JwtVerifierStats {
  /** Tokens whose signature was checked (cache misses that got that far). */
  readonly signatureChecks: number;
  readonly cacheHits: number;
  readonly cacheSize: number;
}

export interface JwtVerifier {
  /** Resolves the verified token or rejects with a CustosError (UNAUTHENTICATED, or UNAVAILABLE when keys cannot be fetched). */
  verify(token: string): Promise<VerifiedToken>;
  stats(): JwtVerifierStats;
}

export const DEFAULT_CLOCK_SKEW_SECONDS = 30;
export const DEFAULT_TOKEN_CACHE_SIZE = 10_000;
/** Far above any real access token (large Azure AD tokens are ~5 KB), far below the header limit. */
export const MAX_TOKEN_LENGTH = 12 * 1024;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const KEY_BEARING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;

export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const issuers = trustIssuers(options.issuers);
  const skew = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  if (!Number.isFinite(skew) || skew < 0) throw new RangeError('clockSkewSeconds must be a non-negative number');
  const now = options.now ?? Date.now;
  const cache = new VerifiedTokenCache<VerifiedToken>(options.cacheSize ?? DEFAULT_TOKEN_CACHE_SIZE);
  const pending = new Map<string, Promise<VerifiedToken>>();
  let signatureChecks = 0;
  let cacheHits = 0;

  async function verifyUncached(token: string, tokenId: string): Promise<VerifiedToken> {
    const header = readHeader(token);
    const issuer = pickIssuer(token, issuers);
    if (!(issuer.algorithms as readonly string[]).includes(header.alg!)) {
      throw rejectToken(`the token's signing algorithm is not accepted for its issuer (accepted: ${issuer.algorithms.join(', ')})`);
    }
    signatureChecks++;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, issuer.keys, {
        issuer: issuer.issuer,
        audience: [...issuer.audience],
        algorithms: [...issuer.algorithms],
        clockTolerance: skew,
        currentDate: new Date(now()),
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw fromVerifyError(error);
    }
    return Object.freeze({ claims: Object.freeze(payload), issuer: issuer.issuer, tokenId, expiresAt: payload.exp! });
  }

  return {
    async verify(token) {
      if (typeof token !== 'string' || token.length === 0) throw rejectToken('the bearer token is empty');
      if (token.length > MAX_TOKEN_LENGTH) throw rejectToken(`the bearer token is longer than ${MAX_TOKEN_LENGTH} characters`);
      // Keyed by the token itself: a hit costs one string-keyed lookup, no SHA-256 (measured
      // ≈ 1-2 µs per request). The hash (the token's name in audit and logs) is made on a miss.
      const cached = cache.get(token);
      if (cached !== undefined) {
        // jose's own rule: expired when exp <= now - tolerance.
        if (cached.expiresAt > now() / 1000 - skew) {
          cacheHits++;
          return cached;
        }
        cache.delete(token);
        throw rejectToken('the token has expired; obtain a new one');
      }
      let inFlight = pending.get(token);
      if (inFlight === undefined) {
        inFlight = verifyUncached(token, hash('sha256', token, 'base64url')).then((verified) => {
          cache.set(token, verified);
          return verified;
        });
        pending.set(token, inFlight);
        const forget = () => { pending.delete(token); };
        inFlight.then(forget, forget);
      }
      return inFlight;
    },
    stats: () => ({ signatureChecks, cacheHits, cacheSize: cache.size }),
  };
}

function readHeader(token: string): ProtectedHeaderParameters {
  if (!COMPACT_JWS.test(token)) {
    throw rejectToken(token.split('.').length === 5
      ? 'encrypted tokens (JWE) are not accepted; send a signed JWT'
      : 'the bearer token is not a well-formed JWT (three base64url parts separated by dots)');
  }
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw rejectToken('the token header is not valid base64url-encoded JSON');
  }
  if (header.alg === 'none' || header.alg === undefined) throw rejectToken('unsigned tokens (alg none) are not accepted');
  if (typeof header.alg !== 'string') throw rejectToken('the token header has no valid alg');
  if (/^HS\d+$/.test(header.alg)) {
    throw rejectToken('tokens signed with a shared secret (HS256/HS384/HS512) are not accepted; the issuer must sign with an asymmetric key');
  }
  for (const name of KEY_BEARING_HEADERS) {
    if (name in header) {
      throw rejectToken(`the token header names its own key (${name}); keys are taken only from the issuer's configured JWKS`);
    }
  }
  return header;
}

function pickIssuer(token: string, issuers: ReadonlyMap<string, TrustedIssuer>): TrustedIssuer {
  let iss: unknown;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    throw rejectToken('the token payload is not valid base64url-encoded JSON');
  }
  if (typeof iss !== 'string') throw rejectToken('the token has no iss claim');
  const issuer = issuers.get(iss);
  if (issuer === undefined) throw rejectToken('the token was issued by an issuer this gateway does not trust');
  return issuer;
}
