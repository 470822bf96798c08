/**
 * Search and history Bundles as a FHIR server returns them: absolute `fullUrl`s on this server's
 * base, `total`, and paging links (https://hl7.org/fhir/R4/http.html#paging,
 * https://hl7.org/fhir/R4/search.html#count). Paging is offset based: every link repeats the
 * client's parameters with `_count` and `_offset`, so links stay valid across restarts.
 */
import type { Bundle, BundleEntry, BundleLink, Resource } from '@medplum/fhirtypes';
import type { QueryPairs } from './search-query.js';

export interface Page {
  /** This server's base URL, no trailing slash. */
  readonly baseUrl: string;
  /** Path under the base: `Observation`, `Patient/pat-001/Observation`, `Patient/pat-001/$everything`, or `` for the system. */
  readonly path: string;
  readonly echo: QueryPairs;
  readonly offset: number;
  readonly count: number;
  readonly total: number;
}

/**
 * Query strings stay readable (`subject=Patient/pat-001`): `/`, `:` and `,` are legal in a query
 * (RFC 3986 §3.4), everything else is percent-encoded.
 */
export function encodeQueryComponent(value: string): string {
  return encodeURIComponent(value).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%2C/gi, ',');
}

export function pageUrl(page: Page, offset: number): string {
  const params = [...page.echo, ['_count', String(page.count)], ['_offset', String(offset)]]
    .map(([k, v]) => `${encodeQueryComponent(k as string)}=${encodeQueryComponent(v as string)}`)
    .join('&');
  return `${page.baseUrl}${page.path ? `/${page.path}` : ''}?${params}`;
}

/** self, first, previous, next and last links for one page of results. */
export function pagingLinks(page: Page): BundleLink[] {
  const links: BundleLink[] = [{ relation: 'self', url: pageUrl(page, page.offset) }];
  if (page.count === 0) return links;
  const lastOffset = page.total === 0 ? 0 : Math.floor((page.total - 1) / page.count) * page.count;
  links.push({ relation: 'first', url: pageUrl(page, 0) });
  if (page.offset > 0) links.push({ relation: 'previous', url: pageUrl(page, Math.max(0, page.offset - page.count)) });
  if (page.offset + page.count < page.total) links.push({ relation: 'next', url: pageUrl(page, page.offset + page.count) });
  links.push({ relation: 'last', url: pageUrl(page, lastOffset) });
  return links;
}

export const fullUrlOf = (baseUrl: string, resource: Resource): string => `${baseUrl}/${resource.resourceType}/${resource.id}`;

/** Puts `resourceType`, `id` and `meta` first, as FHIR JSON examples do (json.html), keeping the rest in order. */
export function withLeadingKeys<T extends Resource>(resource: T): T {
  const { resourceType, id, meta, ...rest } = resource;
  return { resourceType, ...(id !== undefined ? { id } : {}), ...(meta !== undefined ? { meta } : {}), ...rest } as T;
}

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED', display: 'subsetted' };

/**
 * `_elements` (search.html#elements): keep the listed top-level elements plus the mandatory
 * `resourceType`, `id` and `meta`, and tag the result SUBSETTED.
 */
export function subset(resource: Resource, elements: readonly string[]): Resource {
  const kept: Record<string, unknown> = { resourceType: resource.resourceType, id: resource.id };
  const source = resource as unknown as Record<string, unknown>;
  for (const element of elements) {
    const name = element.includes('.') ? element.slice(element.indexOf('.') + 1) : element;
    if (source[name] !== undefined) kept[name] = source[name];
  }
  kept.meta = { ...resource.meta, tag: [...(resource.meta?.tag ?? []), SUBSETTED] };
  return withLeadingKeys(kept as unknown as Resource);
}

/** A `searchset` Bundle for one page: entries get absolute fullUrls, the bundle total and links. */
export function searchsetBundle(page: Page, entries: readonly BundleEntry[], elements?: readonly string[]): Bundle {
  const entry = entries.flatMap((e): BundleEntry[] => {
    if (!e.resource) return [];
    const resource = elements && e.search?.mode !== 'include' ? subset(e.resource, elements) : withLeadingKeys(e.resource);
    return [{ fullUrl: fullUrlOf(page.baseUrl, e.resource), resource, search: e.search ?? { mode: 'match' } }];
  });
  // FHIR JSON has no empty arrays (json.html), so an empty page has no `entry` at all.
  return { resourceType: 'Bundle', type: 'searchset', total: page.total, link: pagingLinks(page), ...(entry.length ? { entry } : {}) };
}
