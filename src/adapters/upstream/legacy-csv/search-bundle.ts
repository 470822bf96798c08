/**
 * The searchset Bundle (https://hl7.org/fhir/R4/bundle.html, https://hl7.org/fhir/R4/search.html#paging):
 * absolute `fullUrl`s and links on the source's base URL (the gateway rewrites that base to its
 * own), `search.mode: match`, an exact `total`, and `self` / `first` / `previous` / `next` links.
 * Paging is by `_offset`, which is stateless: a next link still works after a restart.
 *
 * The self link carries only the parameters that were applied (R4 requires it to show what the
 * server actually searched by), plus the effective `_count`.
 */
import type { Bundle, BundleLink } from 'fhir/r4.js';
import { serializeQuery } from '../../../fhir/query.js';
import type { SearchResult } from './query-engine.js';
import type { SearchRequest } from './search-params.js';

export function searchBundle(baseUrl: string, path: string, request: SearchRequest, result: SearchResult): Bundle {
  const criteria = request.clauses.map((c) => [c.name, c.value] as const);
  const link = (relation: string, offset: number): BundleLink => {
    const params = [...criteria, ['_count', String(request.count)] as const, ...(offset > 0 ? [['_offset', String(offset)] as const] : [])];
    return { relation, url: `${baseUrl}${path}${serializeQuery(params)}` };
  };
  const links = [link('self', request.offset), link('first', 0)];
  if (request.offset > 0) links.push(link('previous', Math.max(0, request.offset - Math.max(request.count, 1))));
  if (request.count > 0 && request.offset + request.count < result.total) links.push(link('next', request.offset + request.count));
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: result.total,
    link: links,
    entry: result.page.map((resource) => ({
      fullUrl: `${baseUrl}/${resource.resourceType}/${resource.id ?? ''}`,
      resource,
      search: { mode: 'match' as const },
    })),
  };
}
