/**
 * /metadata narrowed to what the gateway lets through.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { narrowCapabilityStatement, type CapabilityPolicy } from '../../src/fhir/capability-narrowing.js';

const statement = {
  resourceType: 'CapabilityStatement',
  software: { name: 'Upstream EHR' },
  format: ['json', 'xml', 'ttl'],
  patchFormat: ['application/json-patch+json', 'application/fhir+json'],
  rest: [{
    mode: 'server',
    resource: [
      { type: 'Patient', interaction: [{ code: 'read' }, { code: 'create' }, { code: 'update' }, { code: 'search-type' }], conditionalCreate: true, operation: [{ name: 'everything' }, { name: 'match' }] },
      { type: 'DocumentReference', interaction: [{ code: 'read' }, { code: 'create' }] },
    ],
    interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }],
    operation: [{ name: 'export' }, { name: 'graphql' }, { name: 'validate' }, { name: 'purge' }],
  }],
};

const policy = (over: Partial<CapabilityPolicy> = {}): CapabilityPolicy => ({
  readOnly: () => false, operations: ['validate'], graphql: false, bulkExport: false, formats: ['json'], issuers: [], ...over,
});

describe('CapabilityStatement narrowing', () => {
  it('offers only the operations the gateway lets through, and its own formats', () => {
    const out = narrowCapabilityStatement(statement, policy()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(out.rest[0].operation.map((o: { name: string }) => o.name), ['validate']);
    assert.deepEqual(out.rest[0].resource[0].operation.map((o: { name: string }) => o.name), ['everything']);
    assert.deepEqual(out.format, ['json']);
    assert.deepEqual(out.patchFormat, ['application/json-patch+json'], 'FHIRPath Patch cannot be decided');
    assert.match(out.software.name, /Custos.*Upstream EHR/);
    const more = narrowCapabilityStatement(statement, policy({ graphql: true, bulkExport: true })) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(more.rest[0].operation.map((o: { name: string }) => o.name), ['export', 'graphql', 'validate']);
  });

  it('a read-only source offers no writes, no conditional writes, no transaction', () => {
    const out = narrowCapabilityStatement(statement, policy({ readOnly: () => true })) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(out.rest[0].resource[0].interaction.map((i: { code: string }) => i.code), ['read', 'search-type']);
    assert.equal(out.rest[0].resource[0].conditionalCreate, false);
    assert.deepEqual(out.rest[0].interaction.map((i: { code: string }) => i.code), ['batch', 'search-system']);
  });

  it('routed types are described by their own source; SMART security names the issuers\' endpoints', () => {
    const routed = new Map([['DocumentReference', { type: 'DocumentReference', interaction: [{ code: 'read' }, { code: 'search-type' }] }]]);
    const out = narrowCapabilityStatement(statement, policy({
      routed,
      readOnly: (type) => type === 'DocumentReference',
      issuers: [{ issuer: 'https://idp.example', tokenUrl: 'https://idp.example/token', authorizeUrl: 'https://idp.example/authorize' }],
    })) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(out.rest[0].resource[1].interaction.map((i: { code: string }) => i.code), ['read', 'search-type']);
    assert.deepEqual(out.rest[0].resource[0].interaction.map((i: { code: string }) => i.code), ['read', 'create', 'update', 'search-type']);
    const security = out.rest[0].security;
    assert.equal(security.service[0].coding[0].code, 'SMART-on-FHIR');
    assert.deepEqual(security.extension[0].extension, [{ url: 'token', valueUri: 'https://idp.example/token' }, { url: 'authorize', valueUri: 'https://idp.example/authorize' }]);
  });
});
