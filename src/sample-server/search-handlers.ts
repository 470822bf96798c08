/**
 * Type and system search (https://hl7.org/fhir/R4/http.html#search), GET and
 * `POST [type]/_search` with a form body, answered as searchset Bundles with paging links.
 */
import type { FhirRequest, FhirResponse } from '@medplum/fhir-router';
import { allOk, isResourceType } from './medplum.js';
import { searchAcrossTypes } from './multi-type-search.js';
import { fail, unknownOperation, unknownResourceType } from './outcomes.js';
import { searchsetBundle } from './paging.js';
import { executeSearch } from './search-execution.js';
import type { SampleContext } from './sample-context.js';
import { parseSearchQuery, toPairs, type QueryPairs, type QueryValues } from './search-query.js';

/** Rejects `$op` and unknown types with the right 404 before any search work. */
export function requireResourceType(type: string | undefined, where = 'the server'): string {
  if (type?.startsWith('$')) fail(unknownOperation(type, where));
  if (!type || !isResourceType(type)) fail(unknownResourceType(type ?? ''));
  return type;
}

/** URL parameters plus, for `POST _search`, the form-encoded body (search.html: both count). */
export function searchParameters(req: FhirRequest): QueryPairs {
  const pairs = toPairs(req.query);
  if (req.method === 'POST' && req.body && typeof req.body === 'object' && !Array.isArray(req.body)) {
    pairs.push(...toPairs(req.body as QueryValues));
  }
  return pairs;
}

export function searchTypeHandler(ctx: SampleContext) {
  return async (req: FhirRequest): Promise<FhirResponse> => {
    const resourceType = requireResourceType(req.params.resourceType);
    const parsed = parseSearchQuery(resourceType, searchParameters(req));
    const { entries, total } = await executeSearch(ctx, parsed);
    const page = { baseUrl: ctx.baseUrl, path: resourceType, echo: parsed.echo, offset: parsed.offset, count: parsed.count, total };
    return [allOk, searchsetBundle(page, entries, parsed.elements)];
  };
}

/** `GET [base]?_type=...`; without `_type`, every type this server holds data for. */
export function searchSystemHandler(ctx: SampleContext) {
  return async (req: FhirRequest): Promise<FhirResponse> => {
    const pairs = searchParameters(req);
    const typeValues = pairs.filter(([k]) => k === '_type').flatMap(([, v]) => v.split(','));
    const types = typeValues.length > 0 ? typeValues.map((t) => requireResourceType(t)) : ctx.repo.resourceTypes();
    const result = await searchAcrossTypes(ctx, types, pairs.filter(([k]) => k !== '_type'));
    const echo = [...pairs.filter(([k]) => k === '_type'), ...result.page.echo];
    return [allOk, searchsetBundle({ ...result.page, echo, baseUrl: ctx.baseUrl, path: '' }, result.entries, result.elements)];
  };
}
