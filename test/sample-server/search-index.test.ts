import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bundle, Resource, SearchParameter } from '@medplum/fhirtypes';
import { evalFhirPath, getSearchParameter, readJson } from '../../src/sample-server/medplum.js';
import { initMedplumRuntime } from '../../src/sample-server/medplum-runtime.js';
import { generateSyntheticData } from '../../src/sample-server/synthetic-data.js';

const runtime = initMedplumRuntime();
const original = new Map(
  ((readJson('fhir/r4/search-parameters.json') as Bundle).entry ?? [])
    .map((e) => e.resource as SearchParameter)
    .filter((p) => p?.resourceType === 'SearchParameter')
    .flatMap((p) => (p.base ?? []).map((base) => [`${base}.${p.code}`, p] as const)),
);
const data = generateSyntheticData({ patients: 6, seed: 7 });

describe('per-type search parameter index', () => {
  it('indexes narrowed copies of the shared parameters', () => {
    assert.ok(runtime.perTypeSearchParameters > 300, `${runtime.perTypeSearchParameters} copies`);
    const shared = original.get('Observation.patient');
    const narrowed = getSearchParameter('Observation', 'patient');
    assert.ok(shared?.expression && narrowed?.expression);
    assert.ok(shared.expression.length > 1000, 'R4 patient is a long union');
    assert.ok(narrowed.expression.length < 100, narrowed.expression);
    assert.match(narrowed.expression, /^Observation\./);
    assert.deepEqual(narrowed.base, ['Observation']);
  });

  it('evaluates to exactly what the shared union evaluates to, on every synthetic resource', () => {
    const codes = ['patient', 'code', 'date', 'encounter', 'identifier', 'type', 'address', 'name', 'email', 'phone', 'telecom', 'gender'];
    let compared = 0;
    for (const resource of data as Resource[]) {
      for (const code of codes) {
        const shared = original.get(`${resource.resourceType}.${code}`);
        if (!shared?.expression || (shared.base?.length ?? 0) < 2) continue;
        const narrowed = getSearchParameter(resource.resourceType, code)?.expression ?? '';
        assert.notEqual(narrowed, shared.expression);
        assert.deepEqual(evalFhirPath(narrowed, resource), evalFhirPath(shared.expression, resource), `${resource.resourceType}/${resource.id} ${code}`);
        compared += 1;
      }
    }
    assert.ok(compared > 250, `${compared} comparisons`);
  });
});

describe('patient compartment parameters', () => {
  it('knows each type\'s compartment parameters from the R4 CompartmentDefinition', () => {
    assert.equal(runtime.compartment.types[0], 'Patient');
    assert.deepEqual(runtime.compartment.paramsByType.get('Observation'), ['subject', 'performer']);
    assert.deepEqual(runtime.compartment.paramsByType.get('Encounter'), ['subject']);
    assert.ok(!runtime.compartment.types.includes('Practitioner'));
    assert.ok(!runtime.compartment.types.includes('Organization'));
  });
});
