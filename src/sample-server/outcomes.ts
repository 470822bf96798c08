/**
 * OperationOutcomes of the sample server and the one place that maps an outcome to an HTTP
 * status (after medplum's `outcomes.ts` + `getStatus`, which we extend with the statuses medplum
 * does not know: 405, 406 and 413).
 *
 * Every error a client can trigger is an OperationOutcome whose text says what to fix
 * (https://hl7.org/fhir/R4/http.html#Status-Codes). Texts never echo request bodies.
 */
import type { OperationOutcome } from '@medplum/fhirtypes';
import { badRequest, getStatus, OperationOutcomeError } from './medplum.js';

/** Our own outcome ids and their statuses; everything else is medplum's `getStatus`. */
const STATUS_BY_ID: Readonly<Record<string, number>> = {
  'custos-not-found': 404,
  'custos-method-not-allowed': 405,
  'custos-not-acceptable': 406,
  'custos-too-large': 413,
  'custos-unsupported-media-type': 415,
  'custos-server-error': 500,
};

export function statusOf(outcome: OperationOutcome): number {
  return (outcome.id && STATUS_BY_ID[outcome.id]) || getStatus(outcome);
}

type IssueCode = NonNullable<OperationOutcome['issue']>[number]['code'];

function outcome(id: string, code: IssueCode, text: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', id, issue: [{ severity: 'error', code, details: { text } }] };
}

/** 404 with a precise message (medplum's `notFound` only says "Not found"). */
export const notFoundBecause = (text: string): OperationOutcome => outcome('custos-not-found', 'not-found', text);
export const unknownOperation = (name: string, where: string): OperationOutcome =>
  outcome('custos-not-found', 'not-supported', `Operation ${name} is not supported on ${where}. See GET [base]/metadata for the supported operations.`);
export const unknownResourceType = (type: string): OperationOutcome =>
  outcome('custos-not-found', 'not-supported', `Unknown resource type "${type}". Resource types are case-sensitive, e.g. "Patient".`);
export const methodNotAllowed = (method: string, path: string): OperationOutcome =>
  outcome('custos-method-not-allowed', 'not-supported', `Method ${method} is not allowed on ${path}.`);
export const notAcceptable = (text: string): OperationOutcome => outcome('custos-not-acceptable', 'not-supported', text);
export const tooLarge = (limitBytes: number): OperationOutcome =>
  outcome('custos-too-large', 'too-costly', `Request body is larger than ${limitBytes} bytes.`);
export const unsupportedMediaType = (text: string): OperationOutcome =>
  outcome('custos-unsupported-media-type', 'not-supported', text);
export const serverError = (): OperationOutcome =>
  outcome('custos-server-error', 'exception', 'Internal error in the sample FHIR server.');
export const notSupported = (text: string): OperationOutcome => ({ ...badRequest(text), issue: [{ severity: 'error', code: 'not-supported', details: { text } }] });

/** Throws an outcome; route handlers catch it via medplum's router and return it. */
export function fail(outcomeToThrow: OperationOutcome): never {
  throw new OperationOutcomeError(outcomeToThrow);
}

/** An informational outcome for `Prefer: return=OperationOutcome` and successful deletes. */
export function information(id: 'ok' | 'created', text: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', id, issue: [{ severity: 'information', code: 'informational', details: { text } }] };
}
