/**
 * A small but real OAuth 2.0 token endpoint for tests (node:http): the SMART Backend Services
 * client-credentials grant with `private_key_jwt` client authentication
 * (http://hl7.org/fhir/smart-app-launch/backend-services.html#signature-verification, RFC 7523).
 *
 * It checks what a strict server checks (signature against the client's registered JWKs, RS384 or
 * ES384, iss = sub = client_id, aud = this token URL, exp present and at most 5 minutes ahead,
 * jti never seen before, grant type, scopes), issues access tokens that are JWTs signed by its own
 * key, and lets tests count, fail, take down, and revoke.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';

export interface RegisteredClient {
  readonly clientId: string;
  /** Public keys of the client (its JWK Set); each should carry its `kid`. */
  readonly jwks: readonly JWK[];
  /** Scopes the client may ask for; default: any. */
  readonly scopes?: readonly string[];
}

export interface OAuthServerOptions {
  readonly clients: readonly RegisteredClient[];
  /** Lifetime of issued access tokens, seconds; default 300. Can be changed later (`expiresIn`). */
  readonly expiresIn?: number;
}

export interface Rejection {
  readonly error: string;
  /** Why, for test assertions (not sent to the client). */
  readonly reason: string;
}

export interface TestOAuthServer {
  readonly tokenUrl: string;
  /** Lifetime of the tokens issued from now on. */
  expiresIn: number;
  /** Token requests received (including failed and rejected ones). */
  readonly requests: number;
  readonly tokensIssued: number;
  readonly rejections: readonly Rejection[];
  /** While true, every connection is cut without an answer. */
  down: boolean;
  /** Answer the next `count` requests with `status` and `temporarily_unavailable`. */
  failNext(count: number, status?: number): void;
  /** Delay every answer by this many ms. */
  delayMs: number;
  /** The claims of a valid, unexpired, unrevoked access token of this server, else undefined. */
  verify(token: string | undefined): Promise<JWTPayload | undefined>;
  /** Makes every token issued so far invalid (as a server that restarted and forgot them). */
  revokeAll(): void;
  close(): Promise<void>;
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MAX_ASSERTION_LIFETIME_SECONDS = 300;
const CLOCK_SKEW_SECONDS = 5;

class Rejected extends Error {
  constructor(readonly error: string, readonly reason: string, readonly status = 400) {
    super(reason);
  }
}

export async function startOAuthServer(options: OAuthServerOptions): Promise<TestOAuthServer> {
  const signing = await generateKeyPair('ES256');
  const clients = new Map(options.clients.map((c) => [c.clientId, c]));
  const seenJti = new Map<string, number>(); // `${client} ${jti}` → exp (s)
  const rejections: Rejection[] = [];
  let requests = 0;
  let tokensIssued = 0;
  let failures: { count: number; status: number } = { count: 0, status: 503 };
  let generation = 0; // tokens of an older generation are revoked
  let tokenUrl = '';

  const state = {
    expiresIn: options.expiresIn ?? 300,
    down: false,
    delayMs: 0,
  };

  async function exchange(form: URLSearchParams): Promise<Record<string, unknown>> {
    if (form.get('grant_type') !== 'client_credentials') throw new Rejected('unsupported_grant_type', `grant_type ${form.get('grant_type')}`);
    if (form.get('client_assertion_type') !== JWT_BEARER) throw new Rejected('invalid_client', 'client_assertion_type');
    const assertion = form.get('client_assertion');
    if (!assertion) throw new Rejected('invalid_client', 'no client_assertion');
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(assertion);
      unverified = decodeJwt(assertion);
    } catch {
      throw new Rejected('invalid_client', 'assertion is not a JWT');
    }
    if (header.alg !== 'RS384' && header.alg !== 'ES384') throw new Rejected('invalid_client', `alg ${String(header.alg)}`);
    if (!header.kid) throw new Rejected('invalid_client', 'no kid');
    const client = typeof unverified.iss === 'string' ? clients.get(unverified.iss) : undefined;
    if (!client) throw new Rejected('invalid_client', `unknown client ${String(unverified.iss)}`);
    const formClient = form.get('client_id');
    if (formClient !== null && formClient !== client.clientId) throw new Rejected('invalid_client', 'client_id differs from iss');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(assertion, createLocalJWKSet({ keys: [...client.jwks] }), {
        algorithms: ['RS384', 'ES384'],
        issuer: client.clientId,
        subject: client.clientId,
        audience: tokenUrl,
        requiredClaims: ['exp', 'jti'],
        clockTolerance: CLOCK_SKEW_SECONDS,
      }));
    } catch (error) {
      throw new Rejected('invalid_client', `assertion: ${(error as { code?: string }).code ?? 'invalid'}`);
    }
    const now = Math.floor(Date.now() / 1000);
    if ((payload.exp ?? 0) > now + MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) throw new Rejected('invalid_client', 'exp more than 5 minutes ahead');
    const jtiKey = `${client.clientId} ${String(payload.jti)}`;
    for (const [key, exp] of seenJti) if (exp < now - CLOCK_SKEW_SECONDS) seenJti.delete(key);
    if (seenJti.has(jtiKey)) throw new Rejected('invalid_client', 'jti replayed');
    seenJti.set(jtiKey, payload.exp ?? now);

    const scope = form.get('scope')?.trim();
    if (!scope) throw new Rejected('invalid_scope', 'no scope');
    const asked = scope.split(/\s+/);
    if (client.scopes && !asked.every((s) => client.scopes?.includes(s))) throw new Rejected('invalid_scope', `scope ${scope}`);

    const accessToken = await new SignJWT({ scope, client_id: client.clientId, gen: generation })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(tokenUrl)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + state.expiresIn)
      .setJti(randomUUID())
      .sign(signing.privateKey);
    tokensIssued++;
    return { access_token: accessToken, token_type: 'bearer', expires_in: state.expiresIn, scope };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    requests++;
    if (state.down) {
      res.socket?.destroy();
      return;
    }
    if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (failures.count > 0) {
      failures.count--;
      json(failures.status, { error: 'temporarily_unavailable' });
      return;
    }
    try {
      if (req.method !== 'POST' || new URL(req.url ?? '/', tokenUrl).href !== tokenUrl) throw new Rejected('invalid_request', 'not POST to the token URL', 404);
      if (!/^application\/x-www-form-urlencoded\b/.test(req.headers['content-type'] ?? '')) throw new Rejected('invalid_request', 'not a form');
      json(200, await exchange(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    } catch (error) {
      const rejected = error instanceof Rejected ? error : new Rejected('server_error', String(error), 500);
      rejections.push({ error: rejected.error, reason: rejected.reason });
      json(rejected.status, { error: rejected.error });
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;

  return {
    tokenUrl,
    get expiresIn() { return state.expiresIn; },
    set expiresIn(value: number) { state.expiresIn = value; },
    get down() { return state.down; },
    set down(value: boolean) { state.down = value; },
    get delayMs() { return state.delayMs; },
    set delayMs(value: number) { state.delayMs = value; },
    get requests() { return requests; },
    get tokensIssued() { return tokensIssued; },
    rejections,
    failNext(count, status = 503) {
      failures = { count, status };
    },
    async verify(token) {
      if (!token) return undefined;
      try {
        const { payload } = await jwtVerify(token, signing.publicKey, { issuer: tokenUrl, algorithms: ['ES256'] });
        return payload['gen'] === generation ? payload : undefined;
      } catch {
        return undefined;
      }
    },
    revokeAll() {
      generation++;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
