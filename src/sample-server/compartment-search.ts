/**
 * Patient compartment search (https://hl7.org/fhir/R4/http.html#vsearch,
 * https://hl7.org/fhir/R4/compartmentdefinition.html):
 * `GET [base]/Patient/{id}/{type}?params` and `GET [base]/Patient/{id}/*?params`.
 *
 * A resource is in the compartment when any of its compartment parameters references the patient
 * (see `patient-compartment.ts`), e.g. an Observation whose `performer` is the patient.
 */
import type { Filter } from '@medplum/core';
import type { FhirRequest, FhirResponse } from '@medplum/fhir-router';
import { COMPARTMENT_PARAM } from './patient-compartment.js';
import { allOk, isResourceType, Operator } from './medplum.js';
import { searchAcrossTypes } from './multi-type-search.js';
import { fail, notSupported, unknownOperation, unknownResourceType } from './outcomes.js';
import { searchsetBundle } from './paging.js';
import type { SampleContext } from './sample-context.js';
import { executeSearch } from './search-execution.js';
import { searchParameters } from './search-handlers.js';
import { parseSearchQuery } from './search-query.js';

export const compartmentFilter = (patientId: string): Filter =>
  ({ code: COMPARTMENT_PARAM, operator: Operator.EQUALS, value: `Patient/${patientId}` });

/** 404 for an unknown patient, 410 for a deleted one, as a read would answer. */
export async function requirePatient(ctx: SampleContext, compartmentType: string | undefined, id: string): Promise<void> {
  if (compartmentType !== 'Patient') {
    if (compartmentType && isResourceType(compartmentType)) {
      fail(notSupported(`Only the Patient compartment is supported, not ${compartmentType}.`));
    }
    fail(unknownResourceType(compartmentType ?? ''));
  }
  await ctx.repo.readResource('Patient', id);
}

export function compartmentSearchHandler(ctx: SampleContext) {
  return async (req: FhirRequest): Promise<FhirResponse> => {
    const { resourceType, id = '', compartmentType: target = '' } = req.params;
    if (target.startsWith('$')) fail(unknownOperation(target, `${resourceType}/{id}`));
    await requirePatient(ctx, resourceType, id);
    const path = `Patient/${id}/${target}`;
    const pairs = searchParameters(req);
    if (target === '*') {
      const result = await searchAcrossTypes(ctx, ctx.compartment.types, pairs, () => compartmentFilter(id));
      return [allOk, searchsetBundle({ ...result.page, baseUrl: ctx.baseUrl, path }, result.entries, result.elements)];
    }
    if (!isResourceType(target)) fail(unknownResourceType(target));
    if (!ctx.compartment.types.includes(target)) fail(notSupported(`${target} resources are not in the Patient compartment.`));
    const parsed = parseSearchQuery(target, pairs);
    const { entries, total } = await executeSearch(ctx, parsed, [compartmentFilter(id)]);
    const page = { baseUrl: ctx.baseUrl, path, echo: parsed.echo, offset: parsed.offset, count: parsed.count, total };
    return [allOk, searchsetBundle(page, entries, parsed.elements)];
  };
}
