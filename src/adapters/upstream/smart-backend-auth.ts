/**
 * SMART Backend Services as an interceptor
 * (http://hl7.org/fhir/smart-app-launch/backend-services.html): every upstream request carries
 * `Authorization: Bearer <access token>` obtained with the client-credentials grant.
 *
 * - One token is cached and shared by all requests; concurrent requests that find no usable token
 *   share ONE token request (no stampede on the token endpoint).
 * - `refreshBeforeSeconds` before expiry a new token is fetched in the background while requests
 *   keep using the current one, so no request waits for a refresh while a valid token exists.
 * - An upstream 401 on a cached token (revoked, or the server restarted and forgot it) drops that
 *   token and retries the request once with a fresh one. Request bodies are Buffers, so a retry
 *   replays them safely; a 401 on a token fetched for this very request is passed on as is.
 */
import type { Interceptor, UpstreamRequest } from '../../fhir/upstream.js';
import { requestAccessToken, type AccessToken, type TokenEndpoint } from './smart-token-request.js';

export interface SmartBackendTokenOptions extends TokenEndpoint {
  readonly refreshBeforeSeconds: number;
  /** The cache's clock, ms since the epoch (tests move it); assertions always carry real time. */
  readonly now?: () => number;
}

interface CachedToken {
  readonly value: string;
  /** ms since the epoch */
  readonly expiresAt: number;
  readonly refreshAt: number;
}

/** After a failed background refresh, wait this long before trying again in the background. */
const BACKGROUND_RETRY_MS = 1_000;

export class SmartBackendTokens {
  private current: CachedToken | undefined;
  private inflight: Promise<CachedToken> | undefined;
  private lastBackgroundFailure = 0;
  private readonly now: () => number;

  constructor(private readonly options: SmartBackendTokenOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A usable token; `fresh` is true when this call had to wait for the token endpoint. */
  async token(): Promise<{ value: string; fresh: boolean }> {
    const now = this.now();
    const current = this.current;
    if (current && now < current.expiresAt) {
      if (now >= current.refreshAt) this.refreshInBackground(now);
      return { value: current.value, fresh: false };
    }
    return { value: (await this.fetchShared()).value, fresh: true };
  }

  /** True while a token request is under way. */
  get fetching(): boolean {
    return this.inflight !== undefined;
  }

  /** Forgets `value` if it is still the cached token (another request may have replaced it). */
  invalidate(value: string): void {
    if (this.current?.value === value) this.current = undefined;
  }

  private refreshInBackground(now: number): void {
    if (this.inflight || now - this.lastBackgroundFailure < BACKGROUND_RETRY_MS) return;
    // The current token is still valid: a failed refresh is retried later, not surfaced.
    this.fetchShared().catch(() => {
      this.lastBackgroundFailure = this.now();
    });
  }

  private fetchShared(): Promise<CachedToken> {
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetch(): Promise<CachedToken> {
    const sentAt = this.now();
    const token = await requestAccessToken(this.options, Math.floor(Date.now() / 1000));
    const cached = cache(token, sentAt, this.options.refreshBeforeSeconds);
    this.current = cached;
    return cached;
  }
}

/** Counts from when the request was sent; never refreshes earlier than half-way through the life. */
function cache(token: AccessToken, sentAt: number, refreshBeforeSeconds: number): CachedToken {
  const lifeMs = token.expiresInSeconds * 1000;
  const expiresAt = sentAt + lifeMs;
  return { value: token.value, expiresAt, refreshAt: expiresAt - Math.min(refreshBeforeSeconds * 1000, lifeMs / 2) };
}

export function smartBackendInterceptor(tokens: SmartBackendTokens): Interceptor {
  return (next) => async (request) => {
    const first = await tokens.token();
    const response = await next(withBearer(request, first.value));
    if (response.status !== 401 || first.fresh || request.signal?.aborted) return response;
    response.body.discard();
    tokens.invalidate(first.value);
    const second = await tokens.token();
    return next(withBearer(request, second.value));
  };
}

function withBearer(request: UpstreamRequest, token: string): UpstreamRequest {
  return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
}
