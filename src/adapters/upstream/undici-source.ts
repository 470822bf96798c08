/**
 * A FhirSource over an undici keep-alive Pool: responses stream through without buffering, and
 * connections are reused (the field notes measured a collapse below 1k req/s without keep-alive).
 */
import { Pool } from 'undici';
import { composeInterceptors, type Dispatch, type FhirSource, type Interceptor, type UpstreamRequest } from '../../fhir/upstream.js';
import { toUpstreamError, type UpstreamTimeouts } from './upstream-errors.js';

export interface UndiciSourceOptions extends UpstreamTimeouts {
  readonly id: string;
  readonly baseUrl: string;
  readonly connections: number;
  readonly interceptors?: readonly Interceptor[];
}

export function createUndiciSource(options: UndiciSourceOptions): FhirSource {
  const base = new URL(options.baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const pool = new Pool(base.origin, {
    connections: options.connections,
    connectTimeout: options.connectTimeoutMs,
    headersTimeout: options.responseTimeoutMs,
    bodyTimeout: options.responseTimeoutMs,
    keepAliveTimeout: 30_000,
  });

  const dispatch: Dispatch = async (request: UpstreamRequest) => {
    try {
      const response = await pool.request({
        method: request.method as 'GET',
        path: basePath + request.path + request.query,
        headers: request.headers,
        body: request.body ?? null,
        signal: request.signal ?? null,
      });
      return { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (error) {
      throw toUpstreamError(error, options);
    }
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
        response.body.resume();
        return response.status === 200;
      } catch {
        return false;
      }
    },
    close: () => pool.close(),
  };
}
