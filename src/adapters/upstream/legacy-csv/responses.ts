/**
 * Answers as an HTTP FHIR server would send them: JSON bodies as `application/fhir+json`, and
 * every refusal as an OperationOutcome (https://hl7.org/fhir/R4/http.html#Status-Codes) whose text
 * says what to do instead. The gateway passes these on unchanged, so they must read well to a
 * client of the gateway, not only to someone debugging the adapter.
 */
import { CustosError, type CustosErrorCode } from '../../../errors.js';
import { operationOutcome, type IssueType } from '../../../fhir/operation-outcome.js';
import type { UpstreamResponse } from '../../../fhir/upstream.js';
import { bufferBody } from '../buffer-body.js';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export function jsonResponse(status: number, resource: object, headers: Record<string, string> = {}, withBody = true): UpstreamResponse {
  const bytes = Buffer.from(JSON.stringify(resource));
  return {
    status,
    headers: { 'content-type': FHIR_JSON, 'content-length': String(bytes.length), ...headers },
    // HEAD: the headers of the GET, without its body (RFC 9110 §9.3.2).
    body: bufferBody(withBody ? bytes : Buffer.alloc(0)),
  };
}

export function outcomeResponse(status: number, code: IssueType, text: string, headers: Record<string, string> = {}): UpstreamResponse {
  return jsonResponse(status, operationOutcome('error', code, text), headers);
}

const STATUS: Partial<Record<CustosErrorCode, readonly [number, IssueType]>> = {
  INVALID_REQUEST: [400, 'invalid'],
  NOT_FOUND: [404, 'not-found'],
  UNKNOWN_RESOURCE_TYPE: [404, 'not-supported'],
  METHOD_NOT_ALLOWED: [405, 'not-supported'],
};

/** A thrown error as an answer. Only our own messages are shown; anything else is a bug, told as such. */
export function errorResponse(error: unknown): UpstreamResponse {
  const mapped = error instanceof CustosError ? STATUS[error.code] : undefined;
  if (error instanceof CustosError && mapped) return outcomeResponse(mapped[0], mapped[1], error.message);
  return outcomeResponse(500, 'exception', 'the legacy CSV source hit an internal error answering this request');
}
