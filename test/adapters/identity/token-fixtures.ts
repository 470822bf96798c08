/**
 * Real keys, real signed tokens and a real JWKS endpoint for the identity tests: nothing here is a
 * mock. Tokens are made with jose the way an authorization server would make them.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet, type JWK, type JWTPayload } from 'jose';

export const ISSUER = 'https://auth.example.org/realms/clinic';
export const AUDIENCE = 'https://custos.example.org/fhir';
/** A fixed "now" (2026-01-01T00:00:00Z) so time-based cases do not depend on the wall clock. */
export const NOW = 1_767_225_600;

export interface SigningKey {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function signingKey(alg = 'RS256', kid = `key-${alg.toLowerCase()}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, use: 'sig' } };
}

export function jwksOf(...keys: SigningKey[]): JSONWebKeySet {
  return { keys: keys.map((k) => k.publicJwk) };
}

export function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-123',
    client_id: 'ehr-app',
    fhirUser: 'Practitioner/123',
    scope: 'openid fhirUser user/*.rs',
    iat: NOW - 10,
    exp: NOW + 300,
    ...overrides,
  };
}

/** Signs `payload` (undefined claims are dropped) with `key`; `header` adds protected header parameters. */
export async function sign(key: SigningKey, payload: JWTPayload = claims(), header: Record<string, unknown> = {}): Promise<string> {
  const body = Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined));
  return new SignJWT(body).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header }).sign(key.privateKey);
}

/** A compact JWS assembled by hand, for headers no honest library would produce. */
export function compact(header: object, payload: object, signature = ''): string {
  const part = (value: object) => base64url.encode(JSON.stringify(value));
  return `${part(header)}.${part(payload)}.${signature}`;
}

export function jwksFile(jwks: JSONWebKeySet): string {
  const file = join(mkdtempSync(join(tmpdir(), 'custos-jwks-')), 'jwks.json');
  writeFileSync(file, JSON.stringify(jwks));
  return file;
}

export interface JwksServer {
  readonly url: string;
  /** How many times the JWKS was fetched. */
  fetches(): number;
  close(): Promise<void>;
}

/** Serves `jwks` at /jwks on a loopback port, like an authorization server's jwks_uri. */
export async function serveJwks(jwks: JSONWebKeySet): Promise<JwksServer> {
  let fetches = 0;
  const server = createServer((req, res) => {
    if (req.url !== '/jwks') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks`,
    fetches: () => fetches,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
