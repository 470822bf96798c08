/**
 * Upstream credentials, each a small interceptor in front of the source. The client's own
 * Authorization header never reaches the upstream (header hygiene drops it); these add the
 * gateway's credentials from configuration instead. Mutual TLS is the exception: it lives in the
 * connection, so it comes back as TLS options for the source's pool rather than as an interceptor.
 */
import type { Dispatcher } from 'undici';
import type { UpstreamAuthConfig } from '../../config/types.js';
import type { Interceptor } from '../../fhir/upstream.js';
import { SmartBackendTokens, smartBackendInterceptor } from './smart-backend-auth.js';
import { readAssertionKey } from './smart-backend-key.js';
import { readTlsClientOptions, type UpstreamTlsOptions } from './tls-client-options.js';

/** What one source's `auth` block turns into: pass both to `createUndiciSource`. */
export interface UpstreamCredentials {
  readonly interceptors: readonly Interceptor[];
  readonly tls?: UpstreamTlsOptions;
}

export interface UpstreamCredentialOptions {
  /** The config path of the `auth` block, for messages; default `upstream.auth`. */
  readonly where?: string;
  /** Upper bound for one token request (smart-backend); default 10 s. */
  readonly tokenTimeoutMs?: number;
  /** Dispatcher for token requests; default undici's global one. */
  readonly tokenDispatcher?: Dispatcher;
}

const DEFAULT_REFRESH_BEFORE_SECONDS = 60;
const DEFAULT_TOKEN_TIMEOUT_MS = 10_000;

/**
 * Reads every file the credentials need (keys, certificates) now, so that a bad path or key stops
 * the start with a CONFIG_INVALID that names the field, instead of failing requests later.
 */
export function upstreamCredentials(auth: UpstreamAuthConfig, options: UpstreamCredentialOptions = {}): UpstreamCredentials {
  const where = options.where ?? 'upstream.auth';
  switch (auth.type) {
    case 'mtls':
      return { interceptors: [], tls: readTlsClientOptions(auth, where) };
    case 'smart-backend': {
      const tokens = new SmartBackendTokens({
        tokenUrl: auth.tokenUrl,
        clientId: auth.clientId,
        scope: auth.scope,
        key: readAssertionKey(auth, where),
        refreshBeforeSeconds: auth.refreshBeforeSeconds ?? DEFAULT_REFRESH_BEFORE_SECONDS,
        timeoutMs: options.tokenTimeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS,
        where,
        ...(options.tokenDispatcher ? { dispatcher: options.tokenDispatcher } : {}),
      });
      return { interceptors: [smartBackendInterceptor(tokens)] };
    }
    default: {
      const header = authInterceptor(auth);
      return { interceptors: header ? [header] : [] };
    }
  }
}

/** The header-only credentials (none, bearer, basic); use `upstreamCredentials` for all types. */
export function authInterceptor(auth: UpstreamAuthConfig): Interceptor | undefined {
  switch (auth.type) {
    case 'none':
      return undefined;
    case 'bearer':
      return withAuthorization(`Bearer ${auth.token}`);
    case 'basic':
      return withAuthorization(`Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`);
    default:
      // Failing loudly beats silently sending requests without the configured credentials.
      throw new Error(`upstream auth type ${auth.type} is not a header; build it with upstreamCredentials()`);
  }
}

function withAuthorization(value: string): Interceptor {
  return (next) => (request) => next({ ...request, headers: { ...request.headers, authorization: value } });
}
