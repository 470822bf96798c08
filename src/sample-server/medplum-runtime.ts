/**
 * One-time, process-wide initialisation of medplum's schema: R4 structure definitions, R4
 * search parameters, our per-type parameter copies, Binary's Resource-level parameters and the
 * patient compartment. medplum keeps
 * these in a global index, so several sample servers in one process share it.
 */
import type { Bundle } from '@medplum/fhirtypes';
import { indexSearchParameterBundle, indexStructureDefinitionBundle, readJson } from './medplum.js';
import { type PatientCompartment, registerPatientCompartment } from './patient-compartment.js';
import { indexBinarySearchParameters, indexPerTypeSearchParameters } from './search-index.js';

export interface MedplumRuntime {
  readonly compartment: PatientCompartment;
  /** How many narrowed per-type SearchParameter copies were indexed. */
  readonly perTypeSearchParameters: number;
}

let runtime: MedplumRuntime | undefined;

/** Loads the R4 definitions into medplum (≈ 0.8 s the first time, free afterwards). */
export function initMedplumRuntime(): MedplumRuntime {
  if (runtime) return runtime;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  const searchParameters = readJson('fhir/r4/search-parameters.json') as Bundle;
  indexSearchParameterBundle(searchParameters as Parameters<typeof indexSearchParameterBundle>[0]);
  const perTypeSearchParameters = indexPerTypeSearchParameters(searchParameters);
  indexBinarySearchParameters(searchParameters);
  // After the per-type copies, so the compartment unions are built from narrowed expressions.
  const compartment = registerPatientCompartment();
  runtime = { compartment, perTypeSearchParameters };
  return runtime;
}
