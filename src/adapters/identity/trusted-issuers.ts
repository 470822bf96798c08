/**
 * The issuers whose tokens the gateway accepts, each with its audience and where its signing keys
 * come from: a JWKS URL (fetched and cached by jose, re-fetched when a token names an unknown `kid`,
 * at most once per cooldown), a JWKS file read at start, or keys given inline (the embedded dev
 * issuer). Keys never come from the token itself (no `jku`/`x5u`/`jwk`/`x5c`: see jwt-verifier.ts).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { CustosError } from '../../errors.js';

/**
 * Asymmetric algorithms only (RFC 7518 §3.3/§3.4, RFC 8037; `Ed25519` is the fully specified name
 * of EdDSA over Ed25519, RFC 9864). No HMAC: a shared secret would let anyone who can verify also
 * mint, and accepting HS* beside RS* is the classic key-confusion hole. No `none`, ever.
 */
export const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'EdDSA', 'Ed25519'] as const;
export type AcceptedAlgorithm = (typeof ACCEPTED_ALGORITHMS)[number];

export interface TrustedIssuerConfig {
  /** Exactly the `iss` its tokens carry (compared as a string, RFC 7519 §4.1.1). */
  readonly issuer: string;
  /** The `aud` values that name this gateway; a token must carry at least one. */
  readonly audience: string | readonly string[];
  /** https (http only on a loopback host); one of jwksUri, jwksFile, jwks. */
  readonly jwksUri?: string;
  /** A JWKS JSON file, read once at start (restart to rotate). */
  readonly jwksFile?: string;
  /** Public keys given directly (the embedded dev issuer). */
  readonly jwks?: JSONWebKeySet;
  /** Narrows ACCEPTED_ALGORITHMS for this issuer. */
  readonly algorithms?: readonly AcceptedAlgorithm[];
}

export interface TrustedIssuer {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly algorithms: readonly AcceptedAlgorithm[];
  /** The key resolver handed to jose's jwtVerify. */
  readonly keys: JWTVerifyGetKey;
}

/** Thrown by a key resolver when the issuer's keys could not be obtained: not the token's fault. */
export class KeySourceUnavailable extends Error {
  override readonly name = 'KeySourceUnavailable';
}

const JWKS_FETCH = {
  timeoutDuration: 5_000,
  // A token with an unknown kid triggers a re-fetch (key rotation) at most this often.
  cooldownDuration: 30_000,
  cacheMaxAge: 10 * 60_000,
};

/** Indexes issuers by `iss`; throws CONFIG_INVALID naming the first bad entry. */
export function trustIssuers(configs: readonly TrustedIssuerConfig[]): ReadonlyMap<string, TrustedIssuer> {
  const byIssuer = new Map<string, TrustedIssuer>();
  configs.forEach((config, index) => {
    const where = `identity.issuers[${index}]`;
    if (byIssuer.has(config.issuer)) throw invalid(`${where}.issuer: ${config.issuer} is listed twice`);
    byIssuer.set(config.issuer, trustIssuer(config, where));
  });
  return byIssuer;
}

export function trustIssuer(config: TrustedIssuerConfig, where = 'issuer'): TrustedIssuer {
  if (typeof config.issuer !== 'string' || config.issuer.length === 0) throw invalid(`${where}.issuer must be a non-empty string`);
  const audience = typeof config.audience === 'string' ? [config.audience] : [...(config.audience ?? [])];
  if (audience.length === 0 || audience.some((a) => typeof a !== 'string' || a.length === 0)) {
    throw invalid(`${where}.audience must name at least one audience (the gateway's FHIR base URL or its client id at the issuer)`);
  }
  const algorithms = config.algorithms ?? ACCEPTED_ALGORITHMS;
  const refused = algorithms.filter((a) => !(ACCEPTED_ALGORITHMS as readonly string[]).includes(a));
  if (algorithms.length === 0 || refused.length > 0) {
    throw invalid(`${where}.algorithms: only ${ACCEPTED_ALGORITHMS.join(', ')} are accepted`);
  }
  const sources = [config.jwksUri, config.jwksFile, config.jwks].filter((s) => s !== undefined).length;
  if (sources !== 1) throw invalid(`${where}: give exactly one of jwksUri, jwksFile or jwks`);
  const keys = config.jwksUri !== undefined
    ? remoteKeys(config.jwksUri, where)
    : localKeys(config.jwks ?? readJwksFile(config.jwksFile!, where), where);
  return Object.freeze({ issuer: config.issuer, audience: Object.freeze(audience), algorithms: Object.freeze([...algorithms]), keys });
}

function remoteKeys(uri: string, where: string): JWTVerifyGetKey {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalid(`${where}.jwksUri is not a URL`);
  }
  // Keys fetched over plain http could be swapped by anyone on the path; loopback is the exception
  // (a sidecar or a test).
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw invalid(`${where}.jwksUri must use https (http is allowed only for a loopback host)`);
  }
  const jwks = createRemoteJWKSet(url, JWKS_FETCH);
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (error) {
      throw isAboutTheToken(error) ? error : new KeySourceUnavailable('the JWKS could not be fetched', { cause: error });
    }
  };
}

function localKeys(jwks: JSONWebKeySet, where: string): JWTVerifyGetKey {
  if (!jwks || !Array.isArray(jwks.keys) || jwks.keys.length === 0) throw invalid(`${where}: the JWKS holds no keys`);
  // A private or secret key in a trust store is a leak waiting to happen; refuse it at start.
  if (jwks.keys.some((k) => k.kty === 'oct' || 'd' in k)) throw invalid(`${where}: the JWKS holds a private or secret key; give public keys only`);
  try {
    return createLocalJWKSet(jwks);
  } catch {
    throw invalid(`${where}: the JWKS is malformed`);
  }
}

function readJwksFile(file: string, where: string): JSONWebKeySet {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet;
  } catch (error) {
    const reason = (error as { code?: string }).code === 'ENOENT' ? 'does not exist' : 'is not readable JSON';
    throw invalid(`${where}.jwksFile ${file} ${reason}`);
  }
}

/** Errors that say the token names no usable key, as opposed to keys being unobtainable. */
function isAboutTheToken(error: unknown): boolean {
  return error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JOSENotSupported;
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

function invalid(message: string): CustosError {
  return new CustosError('CONFIG_INVALID', message);
}
