/**
 * The source's `Dispatch`: an `UpstreamRequest` → a FHIR answer, with no HTTP in between. It is
 * the whole REST surface of the adapter (https://hl7.org/fhir/R4/http.html), read-only:
 *
 *   GET  metadata                              CapabilityStatement
 *   GET  {Patient|Observation}/{id}            read (404 when unknown)
 *   GET  {Patient|Observation}?…               search-type
 *   POST {Patient|Observation}/_search         search-type, parameters in a form body (a read)
 *   GET  Patient/{id}/Observation?…            patient compartment search
 *   HEAD any of the GETs                       headers only
 *
 * Any other method is a write: 405, the source is read-only. Any other type: 404.
 */
import type { CapabilityStatement } from 'fhir/r4.js';
import { CustosError } from '../../../errors.js';
import { parseFormBody, parseQuery, type QueryParams } from '../../../fhir/query.js';
import type { Dispatch, UpstreamRequest, UpstreamResponse } from '../../../fhir/upstream.js';
import { FHIR_ID } from './legacy-rows.js';
import type { LegacyRecordIndex } from './query-engine.js';
import { errorResponse, jsonResponse, outcomeResponse } from './responses.js';
import { searchBundle } from './search-bundle.js';
import { compileSearch, type LegacyType } from './search-params.js';

export interface DispatcherContext {
  readonly baseUrl: string;
  readonly records: LegacyRecordIndex;
  readonly capabilityStatement: CapabilityStatement;
}

const TYPES: readonly LegacyType[] = ['Patient', 'Observation'];
const isLegacyType = (name: string | undefined): name is LegacyType => TYPES.includes(name as LegacyType);

export function createDispatcher(context: DispatcherContext): Dispatch {
  return (request) => {
    // Everything is in memory: answering synchronously is cheaper than honouring a cancel mid-way.
    if (request.signal?.aborted) return Promise.reject(request.signal.reason);
    try {
      return Promise.resolve(route(request, context));
    } catch (error) {
      return Promise.resolve(errorResponse(error));
    }
  };
}

function route(request: UpstreamRequest, context: DispatcherContext): UpstreamResponse {
  const method = request.method.toUpperCase();
  const segments = request.path.split('/').filter(Boolean).map(decodeSegment);
  const [type, second, third, ...more] = segments;
  const isSearchPost = method === 'POST' && segments.length === 2 && second === '_search';
  if (method !== 'GET' && method !== 'HEAD' && !isSearchPost) {
    return outcomeResponse(405, 'not-supported', `this source is read-only: ${method} is not allowed; use GET to read or search`, { allow: 'GET, HEAD' });
  }
  const withBody = method !== 'HEAD';

  if (segments.length === 0) {
    throw new CustosError('INVALID_REQUEST', 'search across all types is not supported by this source; search Patient or Observation');
  }
  if (type === 'metadata' && segments.length === 1) return jsonResponse(200, context.capabilityStatement, {}, withBody);
  if (!isLegacyType(type)) {
    throw new CustosError('UNKNOWN_RESOURCE_TYPE', `this source holds only Patient and Observation resources; ${typeLabel(type)} is not available here`);
  }

  if (segments.length === 1 || isSearchPost) {
    const params = isSearchPost ? [...queryOf(request).params, ...formOf(request)] : queryOf(request).params;
    return search(context, type, params, `/${type}`, undefined, withBody);
  }
  if (segments.length === 2 && second !== undefined && !/^[$_]/.test(second)) return read(context, type, second, withBody);
  if (type === 'Patient' && third === 'Observation' && more.length === 0 && second !== undefined) {
    // An id that cannot exist is an empty compartment, as an unknown one is: a search, not a read.
    return search(context, 'Observation', queryOf(request).params, `/Patient/${encodeURIComponent(second)}/Observation`, second, withBody);
  }
  if (type === 'Patient' && third !== undefined && segments.length === 3 && !third.startsWith('$') && !third.startsWith('_')) {
    throw new CustosError('UNKNOWN_RESOURCE_TYPE', `this source holds only Observation resources in a patient compartment; ${typeLabel(third)} is not available here`);
  }
  throw new CustosError('INVALID_REQUEST', 'this source supports only read (GET [type]/[id]) and search (GET [type]?…) on Patient and Observation; history, versions and operations are not available');
}

function read(context: DispatcherContext, type: LegacyType, id: string, withBody: boolean): UpstreamResponse {
  const resource = FHIR_ID.test(id) ? context.records.read(type, id) : undefined;
  // The id is not echoed: a caller may have put anything in it.
  if (!resource) throw new CustosError('NOT_FOUND', `no ${type} with that id in this source; search ${type} to find the right id`);
  const headers: Record<string, string> = { etag: `W/"${resource.meta?.versionId ?? '1'}"` };
  if (resource.meta?.lastUpdated) headers['last-modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  return jsonResponse(200, resource, headers, withBody);
}

function search(context: DispatcherContext, type: LegacyType, params: QueryParams, path: string, compartment: string | undefined, withBody: boolean): UpstreamResponse {
  const request = compileSearch(type, params, context.baseUrl, compartment);
  const result = context.records.search(request);
  return jsonResponse(200, searchBundle(context.baseUrl, path, request, result), {}, withBody);
}

function queryOf(request: UpstreamRequest) {
  return parseQuery(request.query.startsWith('?') ? request.query.slice(1) : request.query);
}

/** `POST _search` carries its parameters as `application/x-www-form-urlencoded` (https://hl7.org/fhir/R4/http.html#search). */
function formOf(request: UpstreamRequest): QueryParams {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (!request.body?.length) return [];
  if (type !== 'application/x-www-form-urlencoded') {
    throw new CustosError('INVALID_REQUEST', 'a POST _search body must be application/x-www-form-urlencoded');
  }
  return parseFormBody(request.body).params;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new CustosError('INVALID_REQUEST', 'the request path contains an invalid percent-encoding');
  }
}

/** A type name is not patient data, but an arbitrary path segment might be: show it only when it looks like a type. */
function typeLabel(name: string | undefined): string {
  return name && /^[A-Z][A-Za-z]{0,63}$/.test(name) ? name : 'that resource type';
}
