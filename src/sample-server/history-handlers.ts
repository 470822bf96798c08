/**
 * History interactions (https://hl7.org/fhir/R4/http.html#history): instance
 * `GET [type]/[id]/_history`, type `GET [type]/_history` and system `GET _history`, newest first,
 * with deletions, `_since`, `_count`/`_offset` and paging links.
 *
 * Each entry carries `request` (what was done) and `response` (status, etag, lastModified), as
 * http.html#history asks; a deletion has no `resource`.
 */
import type { FhirRequest, FhirResponse } from '@medplum/fhir-router';
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import type { HistoryRecord } from './history-log.js';
import { allOk, badRequest } from './medplum.js';
import { fail, notFoundBecause, notSupported } from './outcomes.js';
import { type Page, pagingLinks, withLeadingKeys } from './paging.js';
import type { SampleContext } from './sample-context.js';
import { requireResourceType, searchParameters } from './search-handlers.js';
import { DEFAULT_COUNT, MAX_COUNT } from './search-query.js';

const STATUS = { POST: '201 Created', PUT: '200 OK', DELETE: '204 No Content' } as const;

function historyEntry(baseUrl: string, record: HistoryRecord): BundleEntry {
  const url = record.method === 'POST' ? record.resourceType : `${record.resourceType}/${record.id}`;
  return {
    fullUrl: `${baseUrl}/${record.resourceType}/${record.id}`,
    ...(record.resource ? { resource: withLeadingKeys(record.resource) } : {}),
    request: { method: record.method, url },
    response: {
      status: STATUS[record.method],
      etag: `W/"${record.versionId}"`,
      lastModified: record.lastUpdated,
      ...(record.method !== 'DELETE' ? { location: `${record.resourceType}/${record.id}/_history/${record.versionId}` } : {}),
    },
  };
}

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value)) fail(badRequest(`${name} must be a non-negative integer.`, name));
  return Number(value);
}

function historyBundle(ctx: SampleContext, req: FhirRequest, path: string, resourceType?: string, id?: string): Bundle {
  const pairs = searchParameters(req);
  let since: string | undefined;
  let count = DEFAULT_COUNT;
  let offset = 0;
  for (const [key, value] of pairs) {
    if (key === '_since') {
      if (Number.isNaN(Date.parse(value))) fail(badRequest('_since must be an instant, e.g. 2024-01-01T00:00:00Z.', '_since'));
      since = value;
    } else if (key === '_count') count = Math.min(integer(value, '_count', DEFAULT_COUNT), MAX_COUNT);
    else if (key === '_offset') offset = integer(value, '_offset', 0);
    else if (key !== '_format' && key !== '_pretty') fail(notSupported(`History parameter "${key}" is not supported (supported: _since, _count, _offset).`));
  }
  const records = ctx.repo.log.query({ resourceType, id, since });
  const echo = pairs.filter(([k]) => k === '_since');
  const page: Page = { baseUrl: ctx.baseUrl, path, echo, offset, count, total: records.length };
  const entry = records.slice(offset, offset + count).map((r) => historyEntry(ctx.baseUrl, r));
  return { resourceType: 'Bundle', type: 'history', total: records.length, link: pagingLinks(page), ...(entry.length ? { entry } : {}) };
}

export function historyInstanceHandler(ctx: SampleContext) {
  return async (req: FhirRequest): Promise<FhirResponse> => {
    const resourceType = requireResourceType(req.params.resourceType);
    const id = req.params.id ?? '';
    if (!ctx.repo.log.knows(resourceType, id)) fail(notFoundBecause(`${resourceType}/${id} is not known to this server.`));
    return [allOk, historyBundle(ctx, req, `${resourceType}/${id}/_history`, resourceType, id)];
  };
}

export function historyTypeHandler(ctx: SampleContext) {
  return async (req: FhirRequest): Promise<FhirResponse> => {
    const resourceType = requireResourceType(req.params.resourceType);
    return [allOk, historyBundle(ctx, req, `${resourceType}/_history`, resourceType)];
  };
}

export function historySystemHandler(ctx: SampleContext) {
  return async (req: FhirRequest): Promise<FhirResponse> => [allOk, historyBundle(ctx, req, '_history')];
}
