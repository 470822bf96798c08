/**
 * One SMART Backend Services token request
 * (http://hl7.org/fhir/smart-app-launch/backend-services.html#obtaining-an-access-token):
 * a client-credentials grant authenticated by a `private_key_jwt` client assertion (RFC 7523).
 *
 * Every failure becomes UPSTREAM_AUTH_FAILED (502) whose message names what happened and which
 * settings to check, and never the assertion, the token, or the endpoint's free text (which could
 * echo either).
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { request, type Dispatcher } from 'undici';
import { CustosError } from '../../errors.js';
import type { AssertionKey } from './smart-backend-key.js';

export interface TokenEndpoint {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly scope: string;
  readonly key: AssertionKey;
  /** Upper bound for the whole exchange with the token endpoint. */
  readonly timeoutMs: number;
  /** The config path of this `auth` block, for messages (e.g. `upstream.auth`). */
  readonly where: string;
  /** Default: undici's global dispatcher. */
  readonly dispatcher?: Dispatcher;
}

export interface AccessToken {
  readonly value: string;
  /** Lifetime the endpoint granted, counted from when the request was sent. */
  readonly expiresInSeconds: number;
}

/** SMART: the assertion's exp "SHALL be no more than five minutes in the future"; 4 leaves room for clock skew. */
const ASSERTION_LIFETIME_SECONDS = 240;
/** When the endpoint leaves out `expires_in` (SMART says it SHALL send it), assume a short life. */
const DEFAULT_EXPIRES_IN_SECONDS = 300;
const MAX_RESPONSE_BYTES = 64 * 1024;
/** RFC 6750 §2.1 b64token: anything else could smuggle characters into our Authorization header. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export async function requestAccessToken(endpoint: TokenEndpoint, nowSeconds: number): Promise<AccessToken> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    scope: endpoint.scope,
    client_assertion_type: JWT_BEARER,
    client_assertion: await clientAssertion(endpoint, nowSeconds),
  });
  const signal = AbortSignal.timeout(endpoint.timeoutMs);
  let status: number;
  let text: string;
  try {
    const response = await request(endpoint.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      signal,
      ...(endpoint.dispatcher ? { dispatcher: endpoint.dispatcher } : {}),
    });
    status = response.statusCode;
    text = await readLimited(response.body, endpoint);
  } catch (error) {
    if (signal.aborted) throw failure(endpoint, `the token endpoint did not answer within ${endpoint.timeoutMs} ms`, error);
    if (error instanceof CustosError) throw error;
    throw failure(endpoint, `the token endpoint could not be reached (${errorCode(error)})`, error);
  }
  const body = parseJson(text);
  if (status !== 200) {
    const oauthError = typeof body?.['error'] === 'string' && /^[a-z_]{1,40}$/.test(body['error']) ? `, ${body['error']}` : '';
    throw failure(endpoint, `the token endpoint refused the request (HTTP ${status}${oauthError})`);
  }
  return accessTokenFrom(body, endpoint);
}

/** RFC 7523 §3 and SMART: iss = sub = client_id, aud = the token URL, short exp, unique jti, kid. */
function clientAssertion(endpoint: TokenEndpoint, nowSeconds: number): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: endpoint.key.algorithm, kid: endpoint.key.keyId, typ: 'JWT' })
    .setIssuer(endpoint.clientId)
    .setSubject(endpoint.clientId)
    .setAudience(endpoint.tokenUrl)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + ASSERTION_LIFETIME_SECONDS)
    .setJti(randomUUID())
    .sign(endpoint.key.key);
}

function accessTokenFrom(body: Record<string, unknown> | undefined, endpoint: TokenEndpoint): AccessToken {
  const value = body?.['access_token'];
  const type = body?.['token_type'];
  if (typeof value !== 'string' || value.length > 16_384 || !B64TOKEN.test(value)) {
    throw failure(endpoint, 'the token endpoint answered without a usable access_token');
  }
  if (typeof type !== 'string' || type.toLowerCase() !== 'bearer') {
    throw failure(endpoint, 'the token endpoint answered with a token_type other than bearer');
  }
  const expiresIn = body?.['expires_in'];
  if (expiresIn !== undefined && (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0)) {
    throw failure(endpoint, 'the token endpoint answered with an expires_in that is not a positive number');
  }
  return { value, expiresInSeconds: expiresIn ?? DEFAULT_EXPIRES_IN_SECONDS };
}

function failure(endpoint: TokenEndpoint, what: string, cause?: unknown): CustosError {
  const w = endpoint.where;
  return new CustosError(
    'UPSTREAM_AUTH_FAILED',
    `the gateway could not obtain credentials for the upstream FHIR server: ${what}; an operator should check the token endpoint and ${w}.tokenUrl, ${w}.clientId, ${w}.privateKeyFile, ${w}.keyId and ${w}.scope`,
    undefined,
    cause === undefined ? undefined : { cause },
  );
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): unknown }, endpoint: TokenEndpoint): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy();
      throw failure(endpoint, `the token endpoint answered with more than ${MAX_RESPONSE_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function errorCode(error: unknown): string {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
    e = (e as { errors?: unknown[] }).errors?.[0] ?? (e as { cause?: unknown }).cause;
  }
  return 'network error';
}
