/**
 * A FhirSource over an undici keep-alive Pool: connections are reused (the field notes measured a
 * collapse below 1k req/s without keep-alive) and each exchange uses the low-level dispatch API
 * (see dispatch-exchange.ts for why).
 */
import { Pool, type Dispatcher } from 'undici';
import { composeInterceptors, type Dispatch, type FhirSource, type Interceptor, type UpstreamRequest } from '../../fhir/upstream.js';
import { CustosError } from '../../errors.js';
import { DispatchExchange } from './dispatch-exchange.js';
import type { UpstreamTlsOptions } from './tls-client-options.js';
import { tlsConnector } from './tls-errors.js';
import { toUpstreamError, type UpstreamTimeouts } from './upstream-errors.js';

export interface UndiciSourceOptions extends UpstreamTimeouts {
  readonly id: string;
  readonly baseUrl: string;
  readonly connections: number;
  readonly interceptors?: readonly Interceptor[];
  /** TLS options of every connection (mutual TLS: client certificate, key, private CA); https only. */
  readonly tls?: UpstreamTlsOptions;
}

export function createUndiciSource(options: UndiciSourceOptions): FhirSource {
  const base = new URL(options.baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  if (options.tls && base.protocol !== 'https:') {
    throw new CustosError('CONFIG_INVALID', `upstream ${options.id}: TLS settings (mutual TLS, caFile) need an https: upstream URL (got ${base.protocol})`);
  }
  // https: our connector, so that TLS refusals are explained (tls-errors.ts); it takes the
  // connect timeout and the TLS settings (mutual TLS: client certificate, key, private CA).
  const tls = base.protocol === 'https:' ? tlsConnector(options.tls, options.connectTimeoutMs) : undefined;
  const pool = new Pool(base.origin, {
    connections: options.connections,
    connectTimeout: options.connectTimeoutMs,
    headersTimeout: options.responseTimeoutMs,
    bodyTimeout: options.responseTimeoutMs,
    keepAliveTimeout: 30_000,
    ...(tls ? { connect: tls.connect } : {}),
  });
  const mapError = (error: unknown) => tls?.explain(error) ?? toUpstreamError(error, options);

  const dispatch: Dispatch = (request: UpstreamRequest) => {
    const exchange = new DispatchExchange(mapError);
    if (request.signal) request.signal.addEventListener('abort', () => exchange.abort(), { once: true });
    if (request.cancel) request.cancel.onCancel = () => exchange.abort();
    try {
      pool.dispatch(
        {
          method: request.method as Dispatcher.HttpMethod,
          path: basePath + request.path + request.query,
          headers: request.headers,
          body: request.body ?? null,
        },
        exchange,
      );
    } catch (error) {
      return Promise.reject(mapError(error));
    }
    return exchange.response;
  };

  return {
    id: options.id,
    baseUrl: base.origin + basePath,
    send: composeInterceptors(dispatch, options.interceptors ?? []),
    async ping(signal) {
      try {
        const response = await this.send({
          method: 'GET',
          path: '/metadata',
          query: '',
          headers: { accept: 'application/fhir+json' },
          ...(signal ? { signal } : {}),
        });
        response.body.discard();
        return response.status === 200;
      } catch {
        return false;
      }
    },
    close: () => pool.close(),
  };
}
