import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { useSampleServer } from './helpers.js';

const sample = useSampleServer();

describe('$validate', () => {
  it('answers 200 with an OperationOutcome without errors for a valid resource', async () => {
    const { status, body } = await sample.client.request<OperationOutcome>('POST', 'Patient/$validate', { resourceType: 'Patient', gender: 'female' });
    assert.equal(status, 200);
    assert.equal(body.resourceType, 'OperationOutcome');
    assert.ok(!body.issue?.some((i) => i.severity === 'error'));
  });

  it('answers 200 with error issues, pointing at the element, for an invalid resource', async () => {
    const { status, body } = await sample.client.request<OperationOutcome>('POST', 'Patient/$validate', {
      resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Patient', birthDate: 'not-a-date' } }],
    });
    assert.equal(status, 200);
    const error = body.issue?.find((i) => i.severity === 'error');
    assert.ok(error, 'an error issue');
    assert.ok(error.expression?.some((e) => e.includes('birthDate')));
  });

  it('validates the stored resource with GET [type]/[id]/$validate', async () => {
    const { status, body } = await sample.client.get<OperationOutcome>('Patient/pat-001/$validate');
    assert.equal(status, 200);
    assert.ok(!body.issue?.some((i) => i.severity === 'error'), JSON.stringify(body.issue));
  });

  it('finds the seeded data valid, one resource of each type', async () => {
    for (const path of ['Patient/pat-002', 'Encounter/enc-002-01', 'Observation/obs-002-01', 'Observation/obs-002-02', 'Condition/cond-002-01',
      'MedicationRequest/medreq-002-01', 'Practitioner/prac-01', 'Organization/org-01', 'RelatedPerson/relp-01', 'Observation/obs-cross-01']) {
      const { status, body } = await sample.client.get<OperationOutcome>(`${path}/$validate`);
      assert.equal(status, 200, path);
      assert.ok(!body.issue?.some((i) => i.severity === 'error'), `${path}: ${JSON.stringify(body.issue)}`);
    }
  });

  it('answers 400 when the body is of another type than the URL', async () => {
    assert.equal((await sample.client.request('POST', 'Patient/$validate', { resourceType: 'Observation' })).status, 400);
  });
});

describe('unknown operations', () => {
  for (const [method, path] of [['GET', 'Patient/pat-001/$frobnicate'], ['POST', 'Patient/pat-001/$frobnicate'], ['POST', 'Patient/$frobnicate'], ['GET', 'Patient/$frobnicate'], ['POST', '$frobnicate'], ['GET', '$frobnicate']] as const) {
    it(`${method} ${path} → 404 OperationOutcome naming the operation`, async () => {
      const { status, body } = await sample.client.request<OperationOutcome>(method, path, method === 'POST' ? { resourceType: 'Parameters' } : undefined);
      assert.equal(status, 404);
      assert.equal(body.resourceType, 'OperationOutcome');
      assert.match(body.issue?.[0]?.details?.text ?? '', /\$frobnicate/);
    });
  }
});
