/**
 * Who is calling: `Authorization: Bearer <JWT>` (RFC 6750 §2.1) in, an Actor out. Verification is
 * the JwtVerifier's; reading the claims and the purpose of use is the policy core's
 * (src/policy/identity/). This module only strings them together for one request.
 */
import { actorOf, identityFromClaims, type Actor, type TokenIdentity } from '../../policy/identity/actor.js';
import { checkPurposeOfUsePolicy, resolvePurposeOfUse, type PurposeOfUsePolicy } from '../../policy/identity/purpose-of-use.js';
import type { JwtVerifier, VerifiedToken } from './jwt-verifier.js';
import { missingToken, rejectToken } from './token-rejections.js';

export interface RequestIdentityHeaders {
  /** The raw `X-Purpose-Of-Use` header, if any. */
  readonly purposeOfUse?: string;
}

export interface Authenticator {
  /**
   * The Actor of a request (frozen, and shared by requests with the same token and purpose), or a CustosError: UNAUTHENTICATED (401; answer with
   * `wwwAuthenticate(error)`), FORBIDDEN (403: the token states an unusable purpose),
   * INVALID_REQUEST (400: a bad X-Purpose-Of-Use), UNAVAILABLE (503: issuer keys unreachable).
   */
  authenticate(authorizationHeader: string | undefined, headers: RequestIdentityHeaders): Promise<Actor>;
}

export interface AuthenticatorOptions {
  readonly verifier: JwtVerifier;
  readonly purposeOfUse: PurposeOfUsePolicy;
}

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 9110 §11.1).
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { verifier } = options;
  const policy = checkPurposeOfUsePolicy(options.purposeOfUse);
  // The verifier returns the same object for a cached token, so the claims are read once per
  // token, and each (token, purpose) pair yields one frozen Actor shared by the requests that
  // repeat it: the cached path allocates nothing.
  const known = new WeakMap<VerifiedToken, { identity: TokenIdentity; actors: Map<string, Actor> }>();

  return {
    async authenticate(authorizationHeader, headers) {
      const verified = await verifier.verify(bearerToken(authorizationHeader));
      let entry = known.get(verified);
      if (entry === undefined) {
        entry = { identity: identityFromClaims(verified.claims, verified.tokenId), actors: new Map() };
        known.set(verified, entry);
      }
      const purpose = resolvePurposeOfUse(entry.identity.tokenPurposeOfUse, headers.purposeOfUse, policy);
      const key = purpose ? `${purpose.source}:${purpose.purposeOfUse}` : '';
      let actor = entry.actors.get(key);
      if (actor === undefined) {
        actor = Object.freeze(actorOf(entry.identity, purpose));
        entry.actors.set(key, actor);
      }
      return actor;
    },
  };
}

/** The token of an `Authorization: Bearer` header; throws UNAUTHENTICATED without echoing it. */
export function bearerToken(authorizationHeader: string | undefined): string {
  // Hot path: "Bearer <token>" with a single space and nothing after. The token's syntax is not
  // checked here: a cached token matched a verified one byte for byte, and any other goes through
  // the verifier's full checks.
  const h = authorizationHeader;
  if (h !== undefined && h.length > 7 && h.startsWith('Bearer ') && h.charCodeAt(7) !== 0x20 && h.indexOf(' ', 7) < 0) {
    return h.slice(7);
  }
  if (authorizationHeader === undefined || authorizationHeader.trim() === '') {
    throw missingToken('this endpoint requires a SMART on FHIR access token: send Authorization: Bearer <token>');
  }
  const match = BEARER.exec(authorizationHeader);
  if (match) return match[1]!;
  if (!/^Bearer(\s|$)/i.test(authorizationHeader)) {
    // Another scheme (Basic, ...) is, for RFC 6750 §3.1, a request without our credentials.
    throw missingToken('only Bearer access tokens are accepted: send Authorization: Bearer <token>');
  }
  throw rejectToken('the Authorization header holds no well-formed Bearer token');
}
