import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { useSampleServer } from './helpers.js';

const sample = useSampleServer();

async function statement(): Promise<CapabilityStatement> {
  const { status, body } = await sample.client.get<CapabilityStatement>('metadata');
  assert.equal(status, 200);
  return body;
}

describe('CapabilityStatement (GET metadata)', () => {
  it('describes this instance: kind, FHIR version, format and base URL', async () => {
    const cs = await statement();
    assert.equal(cs.resourceType, 'CapabilityStatement');
    assert.equal(cs.kind, 'instance');
    assert.equal(cs.fhirVersion, '4.0.1');
    assert.deepEqual(cs.format, ['json']);
    assert.equal(cs.implementation?.url, sample.client.base);
    const rest = cs.rest?.[0];
    assert.equal(rest?.mode, 'server');
    assert.deepEqual(rest?.interaction?.map((i) => i.code).sort(), ['batch', 'history-system', 'search-system', 'transaction']);
  });

  it('lists Patient with its interactions, conditional support, $everything and real search parameters', async () => {
    const patient = (await statement()).rest?.[0]?.resource?.find((r) => r.type === 'Patient');
    assert.ok(patient);
    assert.deepEqual(patient.interaction?.map((i) => i.code).sort(), [
      'create', 'delete', 'history-instance', 'history-type', 'patch', 'read', 'search-type', 'update', 'vread',
    ]);
    assert.equal(patient.conditionalCreate, true);
    assert.equal(patient.conditionalUpdate, true);
    assert.equal(patient.conditionalDelete, 'single');
    assert.ok(patient.operation?.some((o) => o.name === 'everything'));
    assert.ok(patient.operation?.some((o) => o.name === 'validate'));
    const params = patient.searchParam?.map((p) => p.name) ?? [];
    for (const name of ['identifier', 'name', 'family', 'birthdate', 'gender', '_id', '_lastUpdated']) assert.ok(params.includes(name), name);
    assert.ok(!params.includes('_compartment'), 'internal parameter hidden');
  });

  it('leaves out search parameters this server would reject', async () => {
    const observation = (await statement()).rest?.[0]?.resource?.find((r) => r.type === 'Observation');
    const params = observation?.searchParam?.map((p) => p.name) ?? [];
    assert.ok(params.includes('code') && params.includes('patient'));
    assert.ok(!params.includes('value-quantity'), 'quantity search is not supported');
    assert.ok(!params.includes('code-value-quantity'), 'composite search is not supported');
  });

  it('advertises only search parameters that actually work', async () => {
    const resources = (await statement()).rest?.[0]?.resource ?? [];
    for (const type of ['Patient', 'Observation', 'Encounter', 'Condition', 'MedicationRequest']) {
      for (const param of resources.find((r) => r.type === type)?.searchParam ?? []) {
        const { status } = await sample.client.get(`${type}?${param.name}:missing=false&_summary=count`);
        assert.equal(status, 200, `${type}?${param.name}`);
      }
    }
  });
});
