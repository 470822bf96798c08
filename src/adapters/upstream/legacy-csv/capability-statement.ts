/**
 * `GET [base]/metadata` (https://hl7.org/fhir/R4/capabilitystatement.html): exactly what this
 * source does, since gateways and clients discover from it: read and search-type on Patient and
 * Observation, with the parameters `search-params.ts` accepts, and no write or history interaction.
 */
import type { CapabilityStatement, CapabilityStatementRestResource } from 'fhir/r4.js';
import { searchParamsOf, type LegacyType, MAX_COUNT } from './search-params.js';

type SearchParam = NonNullable<CapabilityStatementRestResource['searchParam']>[number];

/** Definitions of the R4 parameters we implement (https://hl7.org/fhir/R4/searchparameter-registry.html). */
const DEFINITIONS: Record<string, Omit<SearchParam, 'name'>> = {
  _id: { type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-id' },
  identifier: { type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Patient-identifier' },
  patient: { type: 'reference', definition: 'http://hl7.org/fhir/SearchParameter/clinical-patient' },
  subject: { type: 'reference', definition: 'http://hl7.org/fhir/SearchParameter/Observation-subject' },
  code: { type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/clinical-code' },
};

function resource(type: LegacyType): CapabilityStatementRestResource {
  return {
    type,
    profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
    interaction: [{ code: 'read' }, { code: 'search-type' }],
    // Resources carry meta.versionId ('1': the export has no history), but there is no vread.
    versioning: 'versioned',
    readHistory: false,
    updateCreate: false,
    conditionalCreate: false,
    conditionalUpdate: false,
    conditionalDelete: 'not-supported',
    referencePolicy: ['literal', 'local'],
    searchParam: searchParamsOf(type).map((name) => ({ name, ...DEFINITIONS[name] } as SearchParam)),
  };
}

export function buildCapabilityStatement(baseUrl: string, date: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    kind: 'instance',
    software: { name: 'Custos legacy CSV source' },
    implementation: { description: 'A read-only FHIR R4 view of legacy CSV exports (patients and observations)', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [{
      mode: 'server',
      documentation: `Read-only. Search results are paged with _count (at most ${MAX_COUNT}) and _offset; unknown parameters are refused with 400. `
        + 'Observations can also be searched in the patient compartment: GET Patient/{id}/Observation.',
      resource: [resource('Patient'), resource('Observation')],
      compartment: ['http://hl7.org/fhir/CompartmentDefinition/patient'],
    }],
  };
}
