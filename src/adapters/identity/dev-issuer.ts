/**
 * The embedded-mode token issuer: lets a newcomer call the gateway without running an
 * authorization server. It mints SMART-shaped access tokens (RFC 9068 claims plus `fhirUser`,
 * `patient`, `organization`, `purpose_of_use`) signed with a persisted ES256 key
 * (dev-issuer-key.ts), and hands the verifier its public JWKS as one more trusted issuer.
 *
 * Anyone who can read the data directory can mint any identity with it, so it must never be
 * trusted in production. `createDevIssuer` refuses when `production` is true and, as a second
 * fence, whenever NODE_ENV is `production`; the composition root must additionally add
 * `trustedIssuer()` to the verifier's issuers only when the configuration enables the dev issuer.
 */
import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import { CustosError } from '../../errors.js';
import { FHIR_USER_TYPES, isFhirId, toOrganizationReference, toRelativeReference } from '../../policy/identity/actor.js';
import { isPurposeOfUse } from '../../policy/identity/purpose-of-use.js';
import { parseScopes } from '../../policy/identity/smart-scopes.js';
import { loadOrCreateDevKey } from './dev-issuer-key.js';
import type { TrustedIssuerConfig } from './trusted-issuers.js';

/** A URN rather than a URL: nothing to fetch, and it does not change with the gateway's port. */
export const DEV_ISSUER = 'urn:custos:dev-issuer';
/** A fixed audience so `custos token` needs no knowledge of where the gateway listens. */
export const DEV_AUDIENCE = 'custos';
export const DEV_CLIENT_ID = 'custos-dev';
export const DEFAULT_DEV_TOKEN_TTL_SECONDS = 3600;
export const MAX_DEV_TOKEN_TTL_SECONDS = 86_400;

export interface DevIssuerOptions {
  /** Where the key lives (created if absent), e.g. `./data`. */
  readonly dataDir: string;
  /** Must be false; required so every caller states it. */
  readonly production: boolean;
  readonly issuer?: string;
  readonly audience?: string;
  /** Read for NODE_ENV (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface MintRequest {
  /**
   * e.g. `Practitioner/123`, `Patient/pat-001` (becomes `sub` and `fhirUser`). Absent for a backend
   * service (SMART Backend Services): then `sub` is the client id and the token needs `system/` scopes.
   */
  readonly fhirUser?: string;
  /** Space-delimited SMART scopes, e.g. `user/*.rs` or `patient/Observation.read launch/patient`. */
  readonly scope: string;
  readonly clientId?: string;
  /** Launch-context patient id. */
  readonly patient?: string;
  /** `Organization/x` or `x`. */
  readonly organization?: string;
  /** A PurposeOfUse code, e.g. TREAT. */
  readonly purposeOfUse?: string;
  /** Default 3600, at most MAX_DEV_TOKEN_TTL_SECONDS. */
  readonly ttlSeconds?: number;
}

export interface DevIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly keyId: string;
  /** The persisted private key file (mode 0600). */
  readonly keyFile: string;
  /** The public keys, as the verifier needs them. */
  readonly jwks: JSONWebKeySet;
  /** This issuer as an entry of the verifier's `issuers`. */
  trustedIssuer(): TrustedIssuerConfig;
  /** A signed access token; throws INVALID_REQUEST naming the bad field. */
  mint(request: MintRequest): Promise<string>;
}

export async function createDevIssuer(options: DevIssuerOptions): Promise<DevIssuer> {
  const env = options.env ?? process.env;
  if (options.production || env['NODE_ENV'] === 'production') {
    throw new CustosError('CONFIG_INVALID', 'the dev token issuer cannot run in production: anyone who can read its key can mint any identity; configure a real issuer under identity.issuers');
  }
  const issuer = options.issuer ?? DEV_ISSUER;
  const audience = options.audience ?? DEV_AUDIENCE;
  const { privateJwk, file } = await loadOrCreateDevKey(options.dataDir);
  const signingKey = await importJWK(privateJwk, 'ES256');
  const { d: _private, ...publicJwk } = privateJwk;
  const jwks: JSONWebKeySet = Object.freeze({ keys: [Object.freeze(publicJwk as JWK)] });
  const keyId = privateJwk.kid!;

  return {
    issuer,
    audience,
    keyId,
    keyFile: file,
    jwks,
    trustedIssuer: () => ({ issuer, audience, jwks, algorithms: ['ES256'] }),
    async mint(request) {
      const claims = mintClaims(request);
      const ttl = request.ttlSeconds ?? DEFAULT_DEV_TOKEN_TTL_SECONDS;
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_DEV_TOKEN_TTL_SECONDS) {
        throw bad(`ttl must be a whole number of seconds between 1 and ${MAX_DEV_TOKEN_TTL_SECONDS}`);
      }
      const issuedAt = Math.floor(Date.now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: keyId, typ: 'at+jwt' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(claims.fhirUser ?? claims['client_id']!)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + ttl)
        .setJti(randomUUID())
        .sign(signingKey);
    },
  };
}

/** Validates the request with the same readers the verifier side uses, so a minted token always reads back. */
function mintClaims(request: MintRequest): Record<string, string> & { fhirUser?: string } {
  const fhirUser = request.fhirUser === undefined ? undefined : toRelativeReference(request.fhirUser, FHIR_USER_TYPES);
  if (request.fhirUser !== undefined && !fhirUser) throw bad(`user must be a reference to a ${FHIR_USER_TYPES.join(', ')}, e.g. Practitioner/123`);
  const scopes = parseScopes(request.scope ?? '');
  if (scopes.unrecognized.length > 0) throw bad(`not SMART scopes: ${scopes.unrecognized.join(' ').slice(0, 200)} (e.g. user/*.rs, patient/Observation.read)`);
  // Custos' own scopes (custos/registrar, custos/admin) are useful alone: a registrar token.
  const custosScopes = scopes.other.filter((s) => s.startsWith('custos/'));
  if (scopes.resource.length === 0 && custosScopes.length === 0) throw bad('scope grants no FHIR resource access; give e.g. user/*.rs (or custos/registrar for the admin API)');
  if (!fhirUser && !scopes.resource.some((s) => s.context === 'system')) throw bad('a token without a user is a backend service token: give system/ scopes, e.g. system/*.rs');
  const claims: Record<string, string> & { fhirUser?: string } = {
    ...(fhirUser ? { fhirUser } : {}),
    scope: request.scope.trim().replace(/ +/g, ' '),
    client_id: request.clientId ?? DEV_CLIENT_ID,
  };
  if (claims['client_id']!.length === 0) throw bad('client id must not be empty');
  if (request.patient !== undefined) {
    if (!isFhirId(request.patient)) throw bad('patient must be a Patient id, e.g. pat-001');
    claims['patient'] = request.patient;
  }
  if (request.organization !== undefined) {
    const organization = toOrganizationReference(request.organization);
    if (!organization) throw bad('org must be Organization/<id> or an id');
    claims['organization'] = organization;
  }
  if (request.purposeOfUse !== undefined) {
    if (!isPurposeOfUse(request.purposeOfUse)) throw bad('purpose must be an HL7 v3 PurposeOfUse code, e.g. TREAT');
    claims['purpose_of_use'] = request.purposeOfUse;
  }
  return claims;
}

function bad(message: string): CustosError {
  return new CustosError('INVALID_REQUEST', message);
}
