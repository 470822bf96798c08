/**
 * `GET [base]/metadata` (https://hl7.org/fhir/R4/http.html#capabilities,
 * https://hl7.org/fhir/R4/capabilitystatement.html): what this server actually does, so a client
 * (or a gateway doing capability discovery) can rely on it. Search parameters of types the
 * in-memory matcher cannot evaluate (number, quantity, composite, special) are left out, because
 * such searches are rejected with 400 (see `search-query.ts`).
 */
import type { CapabilityStatement, CapabilityStatementRestResource, ResourceType } from '@medplum/fhirtypes';
import { COMPARTMENT_PARAM } from './patient-compartment.js';
import { getResourceTypes, getSearchParameters, isResourceType } from './medplum.js';

/** FHIR Bulk Data Access IG (https://hl7.org/fhir/uv/bulkdata/), served by `bulk-export.ts`. */
const BULK_DATA = 'http://hl7.org/fhir/uv/bulkdata';
const UNSUPPORTED_PARAM_TYPES = new Set(['number', 'quantity', 'composite', 'special']);
/** Internal or medplum-specific parameters a client should not be told about. */
const HIDDEN_PARAMS = new Set([COMPARTMENT_PARAM, '_project']);

const INTERACTIONS: CapabilityStatementRestResource['interaction'] = [
  'read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type',
].map((code) => ({ code: code as NonNullable<CapabilityStatementRestResource['interaction']>[number]['code'] }));

function resourceEntry(type: ResourceType): CapabilityStatementRestResource {
  const params = Object.values(getSearchParameters(type) ?? {})
    .filter((p) => !HIDDEN_PARAMS.has(p.code ?? '') && !UNSUPPORTED_PARAM_TYPES.has(p.type ?? ''))
    .sort((a, b) => (a.code ?? '').localeCompare(b.code ?? ''));
  const includes = params.filter((p) => p.type === 'reference').map((p) => `${type}:${p.code}`);
  return {
    type,
    profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
    interaction: INTERACTIONS,
    versioning: 'versioned',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalRead: 'full-support',
    conditionalUpdate: true,
    conditionalDelete: 'single',
    referencePolicy: ['literal', 'local'],
    ...(includes.length ? { searchInclude: includes } : {}),
    searchParam: params.map((p) => ({
      name: p.code ?? '',
      ...(p.url ? { definition: p.url } : {}),
      type: p.type as NonNullable<CapabilityStatementRestResource['searchParam']>[number]['type'],
    })),
    operation: [
      { name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' },
      ...(type === 'Patient' ? [{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }] : []),
      ...(type === 'Patient' ? [{ name: 'export', definition: `${BULK_DATA}/OperationDefinition/patient-export` }] : []),
      ...(type === 'Group' ? [{ name: 'export', definition: `${BULK_DATA}/OperationDefinition/group-export` }] : []),
    ],
  };
}

/** Builds the statement for a server whose FHIR base is `baseUrl`. */
export function buildCapabilityStatement(baseUrl: string, date: string): CapabilityStatement {
  const types = getResourceTypes().filter((t) => isResourceType(t)).sort();
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    publisher: 'Custos',
    kind: 'instance',
    instantiates: [`${BULK_DATA}/CapabilityStatement/bulk-data`],
    software: { name: 'Custos sample FHIR server' },
    implementation: {
      description: 'Synthetic-data FHIR R4 server bundled with Custos (medplum fhir-router, in memory)',
      url: baseUrl,
    },
    fhirVersion: '4.0.1',
    format: ['json'],
    patchFormat: ['application/json-patch+json', 'application/fhir+json'],
    rest: [{
      mode: 'server',
      documentation: 'Paging with _count (default 20, max 1000) and _offset. Data is synthetic and kept in memory.',
      resource: types.map(resourceEntry),
      interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }, { code: 'history-system' }],
      searchParam: [
        { name: '_type', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-type' },
        { name: '_id', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-id' },
        { name: '_lastUpdated', type: 'date', definition: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated' },
      ],
      operation: [
        { name: 'export', definition: `${BULK_DATA}/OperationDefinition/export` },
        { name: 'graphql', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-graphql' },
      ],
      compartment: ['http://hl7.org/fhir/CompartmentDefinition/patient'],
    }],
  };
}
