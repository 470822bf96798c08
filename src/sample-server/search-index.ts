/**
 * Per-type copies of the R4 SearchParameters that are shared by many resource types.
 *
 * Why: R4 defines parameters such as `patient`, `code` or `date` once for dozens of types, with a
 * union FHIRPath expression (`AllergyIntolerance.patient | CarePlan.subject.where(resolve() is
 * Patient) | ...`, ~1.4 KB for `patient`). medplum's in-memory search evaluates that whole union
 * for every candidate resource (~2 ms each). Indexing, for each base type, a copy whose
 * expression keeps only that type's branch (`Observation.subject.where(resolve() is Patient)`)
 * gives the same matches about 40x faster. medplum looks parameters up by (type, code), so a
 * later `indexSearchParameter` of the copy simply replaces the shared entry for that type.
 *
 * Spec: https://hl7.org/fhir/R4/searchparameter.html (SearchParameter.base / expression).
 */
import type { Bundle, SearchParameter } from '@medplum/fhirtypes';
import { getExpressionForResourceType, indexSearchParameter } from './medplum.js';

/**
 * Indexes narrowed per-type copies of every multi-base SearchParameter of `bundle`.
 * Must run after `indexSearchParameterBundle(bundle)` and before the first search (medplum caches
 * each parameter's details on first use). Returns how many copies were indexed.
 */
export function indexPerTypeSearchParameters(bundle: Bundle): number {
  let copies = 0;
  for (const entry of bundle.entry ?? []) {
    const param = entry.resource as SearchParameter | undefined;
    if (param?.resourceType !== 'SearchParameter' || !param.expression || !param.base || param.base.length < 2) continue;
    for (const base of param.base) {
      const expression = getExpressionForResourceType(base, param.expression);
      if (!expression || expression === param.expression) continue;
      indexSearchParameter({ ...param, base: [base], expression });
      copies += 1;
    }
  }
  return copies;
}

/**
 * R4 gives every resource the Resource-level parameters (`_id`, `_lastUpdated`, `_tag`, ...;
 * https://hl7.org/fhir/R4/resource.html#search), Binary included. medplum leaves Binary with none
 * (its server keeps Binary content outside the search tables), so `Binary?_id=…`, a system search
 * `?_id=…` and a bulk export with `_since` would fail or silently skip every Binary. We index
 * Binary copies of them. Returns how many were indexed.
 */
export function indexBinarySearchParameters(bundle: Bundle): number {
  let copies = 0;
  for (const entry of bundle.entry ?? []) {
    const param = entry.resource as SearchParameter | undefined;
    if (param?.resourceType !== 'SearchParameter' || !param.expression?.startsWith('Resource.') || !(param.base as readonly string[] | undefined)?.includes('Resource')) continue;
    indexSearchParameter({ ...param, base: ['Binary'], expression: param.expression.replace(/^Resource\./, 'Binary.') });
    copies += 1;
  }
  return copies;
}
