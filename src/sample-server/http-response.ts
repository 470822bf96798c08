/**
 * Turns a router answer `[OperationOutcome, Resource?]` into an HTTP response, with the headers
 * https://hl7.org/fhir/R4/http.html asks for:
 * - `ETag: W/"versionId"` and `Last-Modified` on every answer carrying a stored resource
 *   (http.html#read, #update, #create);
 * - `Location: [base]/[type]/[id]/_history/[vid]` on 201 (http.html#create), and
 *   `Content-Location` (the same versioned URL) on every single-resource answer, as HAPI does;
 * - `Prefer: return=minimal | representation | OperationOutcome` on create, update and patch
 *   (http.html#ops);
 * - conditional read: `If-None-Match` / `If-Modified-Since` → 304 (http.html#cread);
 * - `Content-Location` of an asynchronous request's status URL on 202 (async.html, bulk data
 *   kick-off): medplum's `accepted(url)` outcome carries it in `diagnostics`;
 * - the third element of medplum's `FhirResponse`: `contentType` for non-FHIR JSON (the bulk
 *   export manifest, GraphQL) and `forceRawBinaryResponse` for a Binary's raw content.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FhirResponse } from '@medplum/fhir-router';
import type { Binary, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { rawBinary } from './binary-read.js';
import { isAccepted } from './medplum.js';
import { information, statusOf } from './outcomes.js';
import { withLeadingKeys } from './paging.js';

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: string | Buffer;
}

export interface ResponseContext {
  readonly baseUrl: string;
  readonly method: string;
  readonly requestHeaders: IncomingHttpHeaders;
  readonly pretty: boolean;
}

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);

function serialise(resource: Resource, pretty: boolean): string {
  return pretty ? JSON.stringify(resource, null, 2) : JSON.stringify(resource);
}

const opaque = (etag: string): string => etag.trim().replace(/^W\//, '');

function notModified(headers: IncomingHttpHeaders, etag: string, lastModifiedMs: number): boolean {
  const ifNoneMatch = headers['if-none-match'];
  if (typeof ifNoneMatch === 'string') {
    return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
  }
  const ifModifiedSince = headers['if-modified-since'];
  if (typeof ifModifiedSince === 'string' && !Number.isNaN(lastModifiedMs)) {
    const since = Date.parse(ifModifiedSince);
    // HTTP dates have second precision (RFC 9110 §13.1.3)
    return !Number.isNaN(since) && Math.floor(lastModifiedMs / 1000) <= Math.floor(since / 1000);
  }
  return false;
}

function preferredReturn(headers: IncomingHttpHeaders): string | undefined {
  const prefer = headers.prefer;
  const value = Array.isArray(prefer) ? prefer.join(',') : prefer;
  return value ? /return=(minimal|representation|OperationOutcome)/i.exec(value)?.[1]?.toLowerCase() : undefined;
}

/** The status URL of a 202 answer (medplum's `accepted(location)`), if any. */
function statusLocation(outcome: OperationOutcome): Record<string, string> {
  const location = isAccepted(outcome) ? outcome.issue?.[0]?.diagnostics : undefined;
  return location ? { 'content-location': location } : {};
}

export function toHttpResult([outcome, resource, options]: FhirResponse, ctx: ResponseContext): HttpResult {
  const status = statusOf(outcome);
  const versionId = resource?.meta?.versionId;
  const raw = options?.forceRawBinaryResponse && resource?.resourceType === 'Binary' ? rawBinary(resource as Binary, options.contentType) : undefined;
  if (!resource || !resource.id || !versionId || resource.resourceType === 'Bundle') {
    if (raw) return { status, headers: raw.headers, body: raw.body };
    const body = resource ?? outcome;
    const headers = { 'content-type': options?.contentType ?? FHIR_JSON, ...statusLocation(outcome) };
    return { status, headers, body: serialise(body, ctx.pretty) };
  }

  const versionUrl = `${ctx.baseUrl}/${resource.resourceType}/${resource.id}/_history/${versionId}`;
  const lastModifiedMs = Date.parse(resource.meta?.lastUpdated ?? '');
  const headers: Record<string, string> = {
    etag: `W/"${versionId}"`,
    'content-location': versionUrl,
    ...(Number.isNaN(lastModifiedMs) ? {} : { 'last-modified': new Date(lastModifiedMs).toUTCString() }),
    ...(status === 201 ? { location: versionUrl } : {}),
  };
  if (ctx.method === 'GET' && status === 200 && notModified(ctx.requestHeaders, headers.etag as string, lastModifiedMs)) {
    return { status: 304, headers };
  }
  if (raw) return { status, headers: { ...headers, ...raw.headers }, body: raw.body };
  if (WRITE_METHODS.has(ctx.method)) {
    const preference = preferredReturn(ctx.requestHeaders);
    if (preference === 'minimal') return { status, headers };
    if (preference === 'operationoutcome') {
      const text = `${status === 201 ? 'Created' : 'Updated'} ${resource.resourceType}/${resource.id}, version ${versionId}.`;
      return { status, headers: { ...headers, 'content-type': FHIR_JSON }, body: serialise(information(status === 201 ? 'created' : 'ok', text), ctx.pretty) };
    }
  }
  return { status, headers: { ...headers, 'content-type': FHIR_JSON }, body: serialise(withLeadingKeys(resource), ctx.pretty) };
}
