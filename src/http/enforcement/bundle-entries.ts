/**
 * Batch and transaction entries as interactions of their own (https://hl7.org/fhir/R4/http.html#transaction):
 * each entry's `request` is classified exactly like a top-level request and must pass the token's
 * scopes on its own.
 */
import { CustosError } from '../../errors.js';
import { classifyRequest } from '../../fhir/classify.js';
import type { FhirInteraction, HttpMethod } from '../../fhir/interaction.js';
import { hasSearchCriteria, parseQuery, type QueryParams } from '../../fhir/query.js';
import { splitPathSegments } from '../../fhir/request-path.js';
import { checkScopes } from '../../policy/interaction-scope.js';
import type { SmartScope } from '../../policy/identity/smart-scopes.js';
import type { Json } from '../../fhir/upstream-json.js';

export interface BundleEntryRequest {
  readonly index: number;
  readonly interaction: FhirInteraction;
  readonly params: QueryParams;
  readonly resource: Json | undefined;
  readonly fullUrl: string | undefined;
  readonly ifMatch: string | undefined;
  readonly ifNoneExist: string | undefined;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Reads and classifies entry `index`; throws INVALID_REQUEST / INSUFFICIENT_SCOPE naming the entry. */
export function readEntry(entry: unknown, index: number, scopes: readonly SmartScope[]): BundleEntryRequest {
  const e = (typeof entry === 'object' && entry !== null ? entry : {}) as { request?: Record<string, unknown>; resource?: unknown; fullUrl?: unknown };
  const request = e.request;
  const method = request?.['method'];
  const url = request?.['url'];
  if (typeof method !== 'string' || !METHODS.has(method) || typeof url !== 'string' || url.length === 0) {
    throw entryError(index, 'INVALID_REQUEST', 'needs request.method (GET, POST, PUT, PATCH, DELETE) and request.url');
  }
  if (/^[a-z]+:/i.test(url)) throw entryError(index, 'INVALID_REQUEST', 'request.url must be relative to the FHIR base, e.g. "Patient/123"');
  const q = url.indexOf('?');
  const path = '/' + (q < 0 ? url : url.slice(0, q)).replace(/^\//, '');
  const params = parseQuery(q < 0 ? '' : url.slice(q + 1)).params;
  const ifNoneExist = typeof request!['ifNoneExist'] === 'string' ? request!['ifNoneExist'] : undefined;
  let interaction: FhirInteraction;
  try {
    interaction = classifyRequest({ method: method as HttpMethod, segments: splitPathSegments(path), hasCriteria: hasSearchCriteria(params), ifNoneExist: ifNoneExist !== undefined });
    if (interaction.kind === 'batch' || interaction.kind === 'transaction') throw new CustosError('INVALID_REQUEST', 'a batch or transaction cannot nest another');
    checkScopes(scopes, interaction);
  } catch (error) {
    if (error instanceof CustosError) throw entryError(index, error.code, error.message);
    throw error;
  }
  const resource = typeof e.resource === 'object' && e.resource !== null && !Array.isArray(e.resource) ? (e.resource as Json) : undefined;
  return {
    index,
    interaction,
    params,
    resource,
    fullUrl: typeof e.fullUrl === 'string' ? e.fullUrl : undefined,
    ifMatch: typeof request!['ifMatch'] === 'string' ? request!['ifMatch'] : undefined,
    ifNoneExist,
  };
}

export function entryError(index: number, code: CustosError['code'], message: string): CustosError {
  return new CustosError(code, `entry ${index}: ${message}`);
}
