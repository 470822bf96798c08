/**
 * One search over several resource types: the system search `GET [base]?_type=A,B&...`
 * (https://hl7.org/fhir/R4/http.html#search) and the all-types compartment search
 * `GET [base]/Patient/{id}/*` (https://hl7.org/fhir/R4/compartmentdefinition.html).
 *
 * medplum's MemoryRepository searches one type at a time (its multi-type search returns nothing),
 * so we search each type, concatenate in type order, page the result ourselves and resolve
 * `_include`/`_revinclude` for the page (see `search-execution.ts`).
 */
import type { Filter } from '@medplum/core';
import type { BundleEntry } from '@medplum/fhirtypes';
import { fail, notSupported } from './outcomes.js';
import type { Page } from './paging.js';
import type { SampleContext } from './sample-context.js';
import { addIncludes, allMatches } from './search-execution.js';
import { parseSearchQuery, type QueryPairs } from './search-query.js';

export interface MultiTypeResult {
  readonly entries: BundleEntry[];
  readonly page: Omit<Page, 'baseUrl' | 'path'>;
  readonly elements?: readonly string[];
}

/**
 * Searches `types` with the same parameters (each must be valid for every type: a 400 otherwise)
 * plus an optional per-type filter, then pages the concatenation.
 */
export async function searchAcrossTypes(
  ctx: SampleContext, types: readonly string[], query: QueryPairs, extraFilter?: (type: string) => Filter | undefined,
): Promise<MultiTypeResult> {
  const matches: BundleEntry[] = [];
  let first: ReturnType<typeof parseSearchQuery> | undefined;
  for (const type of types) {
    const parsed = parseSearchQuery(type, query);
    // Results are concatenated type by type, so a cross-type order cannot be honoured.
    if (parsed.request.sortRules?.length && types.length > 1) fail(notSupported('_sort is not supported when searching several resource types.'));
    first ??= parsed;
    const filter = extraFilter?.(type);
    const request = { ...parsed.request, filters: [...(parsed.request.filters ?? []), ...(filter ? [filter] : [])] };
    matches.push(...(await allMatches(ctx, request, parsed.refine)));
  }
  const count = first?.count ?? 0;
  const offset = first?.offset ?? 0;
  const entries = matches.slice(offset, offset + count);
  if (first) await addIncludes(ctx, first.request, entries);
  return {
    entries,
    page: { echo: first?.echo ?? query, offset, count, total: matches.length },
    ...(first?.elements ? { elements: first.elements } : {}),
  };
}
