/**
 * The one place where errors become HTTP answers (medplum `outcomes.ts` + one `getStatus`):
 * a CustosError code maps to a status and an OperationOutcome issue type (FHIR routes) or a
 * problem document (RFC 9457, admin routes). Unknown errors become a 500 that names the request id
 * and nothing else: no stack trace, no message text from a library that might quote input.
 */
import type { ServerResponse } from 'node:http';
import type { OperationOutcome } from 'fhir/r4.js';
import { CustosError, type CustosErrorCode } from '../errors.js';
import { operationOutcome, type IssueType } from '../fhir/operation-outcome.js';
import { InvalidResourceError } from '../fhir/validation-outcome.js';
import { fhirJsonToXml } from '../fhir/xml/fhir-xml.js';
import { FHIR_XML_CONTENT_TYPE } from './xml-answers.js';

const MAPPING: Record<CustosErrorCode, { status: number; issue: IssueType; title: string }> = {
  INVALID_PATH: { status: 400, issue: 'invalid', title: 'Invalid path' },
  INVALID_REQUEST: { status: 400, issue: 'invalid', title: 'Invalid request' },
  MALFORMED_JSON: { status: 400, issue: 'structure', title: 'Malformed JSON' },
  INVALID_RESOURCE: { status: 400, issue: 'invalid', title: 'Invalid resource' },
  UNKNOWN_RESOURCE_TYPE: { status: 404, issue: 'not-supported', title: 'Unknown resource type' },
  NOT_FOUND: { status: 404, issue: 'not-found', title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, issue: 'not-supported', title: 'Method not allowed' },
  NOT_ACCEPTABLE: { status: 406, issue: 'not-supported', title: 'Not acceptable' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, issue: 'not-supported', title: 'Unsupported media type' },
  PAYLOAD_TOO_LARGE: { status: 413, issue: 'too-long', title: 'Payload too large' },
  UNAUTHENTICATED: { status: 401, issue: 'login', title: 'Unauthenticated' },
  RATE_LIMITED: { status: 429, issue: 'throttled', title: 'Too many unauthenticated requests' },
  INSUFFICIENT_SCOPE: { status: 403, issue: 'forbidden', title: 'Insufficient scope' },
  FORBIDDEN: { status: 403, issue: 'forbidden', title: 'Forbidden' },
  CONSENT_DENIED: { status: 403, issue: 'forbidden', title: 'Consent denied' },
  PRECONDITION_FAILED: { status: 412, issue: 'conflict', title: 'Precondition failed' },
  CONFLICT: { status: 409, issue: 'conflict', title: 'Conflict' },
  UPSTREAM_TIMEOUT: { status: 504, issue: 'timeout', title: 'Upstream timeout' },
  UPSTREAM_UNREACHABLE: { status: 502, issue: 'transient', title: 'Upstream unreachable' },
  UPSTREAM_BAD_RESPONSE: { status: 502, issue: 'exception', title: 'Bad upstream response' },
  UPSTREAM_AUTH_FAILED: { status: 502, issue: 'transient', title: 'Upstream credentials unavailable' },
  UNAVAILABLE: { status: 503, issue: 'transient', title: 'Service unavailable' },
  LEDGER_UNAVAILABLE: { status: 503, issue: 'transient', title: 'Consent ledger unavailable' },
  AUDIT_UNAVAILABLE: { status: 503, issue: 'transient', title: 'Audit log unavailable' },
  CONFIG_INVALID: { status: 500, issue: 'exception', title: 'Configuration invalid' },
  INTERNAL: { status: 500, issue: 'exception', title: 'Internal error' },
};

export interface MappedError {
  readonly status: number;
  readonly code: CustosErrorCode;
  readonly issue: IssueType;
  readonly title: string;
  readonly message: string;
  /** An answer prepared by the error itself (a validation failure lists every failing element). */
  readonly outcome?: OperationOutcome;
}

export function mapError(error: unknown, requestId: string): MappedError {
  const known = error instanceof CustosError && error.code !== 'INTERNAL' ? error : undefined;
  const code = known?.code ?? 'INTERNAL';
  const entry = MAPPING[code];
  const message = known?.message ?? `internal error; quote request id ${requestId} when reporting it`;
  const outcome = known instanceof InvalidResourceError ? known.outcome : undefined;
  return { status: entry.status, code, issue: entry.issue, title: entry.title, message, ...(outcome ? { outcome } : {}) };
}

export function toOperationOutcome(mapped: MappedError): OperationOutcome {
  if (mapped.outcome) return mapped.outcome;
  return operationOutcome(mapped.status >= 500 ? 'fatal' : 'error', mapped.issue, mapped.message, { diagnostics: mapped.code });
}

/** Writes a FHIR error answer, unless the response has started (then the connection is cut). */
export function sendOperationOutcome(res: ServerResponse, mapped: MappedError, extraHeaders: Record<string, string> = {}, xml = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (xml && mapped.code !== 'NOT_ACCEPTABLE') {
    let text: string | undefined;
    try {
      text = fhirJsonToXml(toOperationOutcome(mapped) as unknown as Record<string, unknown>);
    } catch {
      text = undefined; // cannot be written as XML: the JSON form below is still an answer
    }
    if (text !== undefined) {
      res.writeHead(mapped.status, { ...extraHeaders, 'content-type': FHIR_XML_CONTENT_TYPE, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
  }
  writeJson(res, mapped.status, 'application/fhir+json; charset=utf-8', toOperationOutcome(mapped), extraHeaders);
}

/** Writes an admin/ops error answer as an RFC 9457 problem document. */
export function sendProblem(res: ServerResponse, mapped: MappedError, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  writeJson(res, mapped.status, 'application/problem+json', {
    type: `https://custos.dev/problems/${mapped.code.toLowerCase().replace(/_/g, '-')}`,
    title: mapped.title,
    status: mapped.status,
    detail: mapped.message,
    requestId,
  });
}

function writeJson(res: ServerResponse, status: number, contentType: string, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...extra, 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
