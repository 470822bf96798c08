/**
 * Runs one parsed search against the repository and returns one page of entries plus the total.
 *
 * Fast path: medplum filters, sorts, counts and pages. When some criterion needs an exact
 * re-check (string search, see `string-match.ts`), we take every candidate from medplum, keep
 * the true matches, page them ourselves and resolve `_include`/`_revinclude` for the page with
 * medplum's own include code, so `total` and the paging links count only true matches.
 */
import type { Filter, SearchRequest } from '@medplum/core';
import type { BundleEntry, Resource } from '@medplum/fhirtypes';
import { getExtraEntries } from './medplum.js';
import type { SampleContext } from './sample-context.js';
import type { ParsedSearch } from './search-query.js';

export interface SearchPage {
  readonly entries: BundleEntry[];
  readonly total: number;
}

/** Appends the `_include`/`_revinclude` entries of `request` for the resources of `entries`. */
export async function addIncludes(ctx: SampleContext, request: SearchRequest, entries: BundleEntry[]): Promise<void> {
  const resources = entries.map((e) => e.resource).filter((r): r is Resource => r !== undefined);
  if ((request.include?.length || request.revInclude?.length) && resources.length > 0) {
    await getExtraEntries(ctx.repo, request, resources, entries);
  }
}

/** Every match of `request` (no paging, no includes), exactly re-checked by `refine`. */
export async function allMatches(ctx: SampleContext, request: SearchRequest, refine?: ParsedSearch['refine']): Promise<BundleEntry[]> {
  const bundle = await ctx.repo.search({ ...request, count: undefined, offset: undefined, include: undefined, revInclude: undefined });
  const entries = bundle.entry ?? [];
  return refine ? entries.filter((e) => e.resource !== undefined && refine(e.resource)) : entries;
}

export async function executeSearch(ctx: SampleContext, parsed: ParsedSearch, extraFilters: readonly Filter[] = []): Promise<SearchPage> {
  const request: SearchRequest = { ...parsed.request, filters: [...(parsed.request.filters ?? []), ...extraFilters] };
  if (!parsed.refine) {
    const bundle = await ctx.repo.search(request);
    return { entries: bundle.entry ?? [], total: bundle.total ?? 0 };
  }
  const matches = await allMatches(ctx, request, parsed.refine);
  const entries = matches.slice(parsed.offset, parsed.offset + parsed.count);
  await addIncludes(ctx, request, entries);
  return { entries, total: matches.length };
}
