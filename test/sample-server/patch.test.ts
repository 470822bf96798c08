import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OperationOutcome, Parameters, Patient } from '@medplum/fhirtypes';
import { useSampleServer } from './helpers.js';

const sample = useSampleServer();
const JSON_PATCH = { 'content-type': 'application/json-patch+json' };

type Operation = { type: 'add' | 'replace' | 'delete' | 'insert'; path: string; name?: string; value?: Record<string, unknown>; index?: number };

/** A FHIRPath Patch body (https://hl7.org/fhir/R4/fhirpatch.html). */
function fhirPathPatch(...operations: Operation[]): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: operations.map((op) => ({
      name: 'operation',
      part: [
        { name: 'type', valueCode: op.type },
        { name: 'path', valueString: op.path },
        ...(op.name ? [{ name: 'name', valueString: op.name }] : []),
        ...(op.index !== undefined ? [{ name: 'index', valueInteger: op.index }] : []),
        ...(op.value ? [{ name: 'value', ...op.value }] : []),
      ],
    })),
  };
}

async function freshPatient(): Promise<Patient> {
  const { body } = await sample.client.request<Patient>('POST', 'Patient', {
    resourceType: 'Patient', gender: 'female', birthDate: '1970-01-01', name: [{ family: 'Patchable', given: ['Ann'] }],
  });
  return body;
}

describe('JSON Patch (application/json-patch+json)', () => {
  it('applies the operations and answers the new version with its ETag', async () => {
    const patient = await freshPatient();
    const { status, headers, body } = await sample.client.request<Patient>('PATCH', `Patient/${patient.id}`, [
      { op: 'replace', path: '/gender', value: 'male' },
      { op: 'add', path: '/name/0/given/-', value: 'Beth' },
      { op: 'remove', path: '/birthDate' },
    ], JSON_PATCH);
    assert.equal(status, 200);
    assert.equal(body.gender, 'male');
    assert.deepEqual(body.name?.[0]?.given, ['Ann', 'Beth']);
    assert.equal(body.birthDate, undefined);
    assert.notEqual(body.meta?.versionId, patient.meta?.versionId);
    assert.equal(headers.get('etag'), `W/"${body.meta?.versionId}"`);
  });

  it('answers 412 on a stale If-Match and 400 on a failing test operation', async () => {
    const patient = await freshPatient();
    const stale = await sample.client.request('PATCH', `Patient/${patient.id}`, [{ op: 'replace', path: '/gender', value: 'male' }], { ...JSON_PATCH, 'if-match': 'W/"old"' });
    assert.equal(stale.status, 412);
    const failedTest = await sample.client.request<OperationOutcome>('PATCH', `Patient/${patient.id}`, [{ op: 'test', path: '/gender', value: 'male' }], JSON_PATCH);
    assert.equal(failedTest.status, 400);
    assert.equal(failedTest.body.resourceType, 'OperationOutcome');
    assert.equal((await sample.client.get<Patient>(`Patient/${patient.id}`)).body.gender, 'female');
  });

  it('patches the single match of a conditional patch (PATCH [type]?criteria)', async () => {
    const patient = await freshPatient();
    const { status, body } = await sample.client.request<Patient>('PATCH', `Patient?_id=${patient.id}`, [{ op: 'replace', path: '/gender', value: 'unknown' }], JSON_PATCH);
    assert.equal(status, 200);
    assert.equal(body.id, patient.id);
    assert.equal(body.gender, 'unknown');
  });

  it('answers 404 for an unknown resource', async () => {
    assert.equal((await sample.client.request('PATCH', 'Patient/nobody', [{ op: 'remove', path: '/gender' }], JSON_PATCH)).status, 404);
  });
});

describe('FHIRPath Patch (a Parameters body)', () => {
  it('replaces, adds and deletes simple elements', async () => {
    const patient = await freshPatient();
    const { status, body } = await sample.client.request<Patient>('PATCH', `Patient/${patient.id}`, fhirPathPatch(
      { type: 'replace', path: 'Patient.gender', value: { valueCode: 'other' } },
      { type: 'add', path: 'Patient', name: 'active', value: { valueBoolean: true } },
      { type: 'delete', path: 'Patient.birthDate' },
      { type: 'replace', path: 'Patient.name[0].family', value: { valueString: 'Patched' } },
    ));
    assert.equal(status, 200);
    assert.equal(body.gender, 'other');
    assert.equal(body.active, true);
    assert.equal(body.birthDate, undefined);
    assert.equal(body.name?.[0]?.family, 'Patched');
    const stored = await sample.client.get<Patient>(`Patient/${patient.id}`);
    assert.deepEqual(stored.body, body);
  });

  it('inserts into a list at an index', async () => {
    const patient = await freshPatient();
    const { body } = await sample.client.request<Patient>('PATCH', `Patient/${patient.id}`, fhirPathPatch(
      { type: 'insert', path: 'Patient.name[0].given', index: 0, value: { valueString: 'First' } },
    ));
    assert.deepEqual(body.name?.[0]?.given, ['First', 'Ann']);
  });

  it('honours Prefer: return=minimal and If-Match', async () => {
    const patient = await freshPatient();
    const etag = `W/"${patient.meta?.versionId}"`;
    const ok = await sample.client.request('PATCH', `Patient/${patient.id}`, fhirPathPatch({ type: 'delete', path: 'Patient.gender' }), { 'if-match': etag, prefer: 'return=minimal' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body, undefined);
    assert.ok(ok.headers.get('etag'));
    const stale = await sample.client.request('PATCH', `Patient/${patient.id}`, fhirPathPatch({ type: 'delete', path: 'Patient.birthDate' }), { 'if-match': etag });
    assert.equal(stale.status, 412);
  });

  it('rejects a body that is neither a JSON Patch array nor a Parameters resource', async () => {
    const patient = await freshPatient();
    const { status, body } = await sample.client.request<OperationOutcome>('PATCH', `Patient/${patient.id}`, { resourceType: 'Patient' });
    assert.equal(status, 400);
    assert.equal(body.resourceType, 'OperationOutcome');
  });
});
