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
