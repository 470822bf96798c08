/**
 * Maps undici / socket failures to CustosErrors with a message that says what happened, never a
 * stack trace (UND_ERR_* codes: https://undici.nodejs.org/#/docs/api/Errors).
 */
import { CustosError } from '../../errors.js';

const TIMEOUTS: Record<string, (ms: UpstreamTimeouts) => string> = {
  UND_ERR_CONNECT_TIMEOUT: (t) => `the upstream FHIR server did not accept a connection within ${t.connectTimeoutMs} ms`,
  UND_ERR_HEADERS_TIMEOUT: (t) => `the upstream FHIR server did not answer within ${t.responseTimeoutMs} ms`,
  UND_ERR_BODY_TIMEOUT: (t) => `the upstream FHIR server stopped sending its answer for ${t.responseTimeoutMs} ms`,
};

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export interface UpstreamTimeouts {
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
}

export function toUpstreamError(error: unknown, timeouts: UpstreamTimeouts): CustosError {
  if (error instanceof CustosError) return error;
  const code = errorCode(error);
  const timeout = code ? TIMEOUTS[code] : undefined;
  if (timeout) return new CustosError('UPSTREAM_TIMEOUT', timeout(timeouts), undefined, { cause: error });
  if (code && UNREACHABLE.has(code)) {
    return new CustosError('UPSTREAM_UNREACHABLE', `the upstream FHIR server is unreachable (${code})`, undefined, { cause: error });
  }
  return new CustosError('UPSTREAM_BAD_RESPONSE', 'the exchange with the upstream FHIR server failed', undefined, { cause: error });
}

function errorCode(error: unknown): string | undefined {
  // Connection errors can arrive wrapped (AggregateError for multi-address hosts, or as a cause).
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const inner = (e as { errors?: unknown[] }).errors?.[0];
    e = inner ?? (e as { cause?: unknown }).cause;
  }
  return undefined;
}
