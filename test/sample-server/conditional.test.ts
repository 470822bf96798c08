import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bundle, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { useSampleServer } from './helpers.js';

const sample = useSampleServer();
const SYSTEM = 'urn:test:conditional';

const patientWith = (value: string, extra: Partial<Patient> = {}): Patient => ({
  resourceType: 'Patient', identifier: [{ system: SYSTEM, value }], ...extra,
});

async function countWith(value: string): Promise<number> {
  const { body } = await sample.client.get<Bundle>(`Patient?identifier=${SYSTEM}|${value}&_summary=count`);
  return body.total ?? -1;
}

describe('conditional create (If-None-Exist)', () => {
  it('creates (201) when nothing matches, then returns the existing resource (200) without creating', async () => {
    const header = { 'if-none-exist': `identifier=${SYSTEM}|cc-1` };
    const first = await sample.client.request<Patient>('POST', 'Patient', patientWith('cc-1'), header);
    assert.equal(first.status, 201);
    const second = await sample.client.request<Patient>('POST', 'Patient', patientWith('cc-1', { gender: 'male' }), header);
    assert.equal(second.status, 200);
    assert.equal(second.body.id, first.body.id);
    assert.equal(second.body.gender, undefined, 'the existing resource is returned unchanged');
    assert.equal(await countWith('cc-1'), 1);
  });

  it('answers 412 when the criteria match several resources', async () => {
    await sample.client.request('POST', 'Patient', patientWith('cc-dup'));
    await sample.client.request('POST', 'Patient', patientWith('cc-dup'));
    const third = await sample.client.request<OperationOutcome>('POST', 'Patient', patientWith('cc-dup'), { 'if-none-exist': `identifier=${SYSTEM}|cc-dup` });
    assert.equal(third.status, 412);
    assert.equal(await countWith('cc-dup'), 2);
  });

  it('matches seeded data by MRN', async () => {
    const existing = await sample.client.request<Patient>('POST', 'Patient', { resourceType: 'Patient' }, {
      'if-none-exist': 'identifier=http://hospital.example.org/mrn|MRN-100001',
    });
    assert.equal(existing.status, 200);
    assert.equal(existing.body.id, 'pat-001');
  });

  it('rejects criteria with an unknown parameter instead of creating a duplicate', async () => {
    const bad = await sample.client.request('POST', 'Patient', patientWith('cc-bad'), { 'if-none-exist': 'no-such-param=1' });
    assert.equal(bad.status, 400);
    assert.equal(await countWith('cc-bad'), 0);
  });
});

describe('conditional update (PUT [type]?criteria)', () => {
  it('updates the single match, keeping its id', async () => {
    const created = await sample.client.request<Patient>('POST', 'Patient', patientWith('cu-1'));
    const updated = await sample.client.request<Patient>('PUT', `Patient?identifier=${SYSTEM}|cu-1`, patientWith('cu-1', { gender: 'female' }));
    assert.equal(updated.status, 200);
    assert.equal(updated.body.id, created.body.id);
    assert.equal((await sample.client.get<Patient>(`Patient/${created.body.id}`)).body.gender, 'female');
  });

  it('creates (201) when nothing matches', async () => {
    const result = await sample.client.request<Patient>('PUT', `Patient?identifier=${SYSTEM}|cu-new`, patientWith('cu-new'));
    assert.equal(result.status, 201);
    assert.ok(result.headers.get('location'));
    assert.equal(await countWith('cu-new'), 1);
  });

  it('answers 412 on several matches and 400 without criteria', async () => {
    await sample.client.request('POST', 'Patient', patientWith('cu-dup'));
    await sample.client.request('POST', 'Patient', patientWith('cu-dup'));
    assert.equal((await sample.client.request('PUT', `Patient?identifier=${SYSTEM}|cu-dup`, patientWith('cu-dup'))).status, 412);
    assert.equal((await sample.client.request('PUT', 'Patient', patientWith('cu-none'))).status, 400);
  });
});

describe('conditional delete (DELETE [type]?criteria)', () => {
  it('deletes the single match', async () => {
    const created = await sample.client.request<Patient>('POST', 'Patient', patientWith('cd-1'));
    const deleted = await sample.client.request('DELETE', `Patient?identifier=${SYSTEM}|cd-1`);
    assert.equal(deleted.status, 200);
    assert.equal((await sample.client.get(`Patient/${created.body.id}`)).status, 410);
  });

  it('answers 404 when nothing matches, 412 on several matches and deletes nothing', async () => {
    const none = await sample.client.request<OperationOutcome>('DELETE', `Patient?identifier=${SYSTEM}|cd-nothing`);
    assert.equal(none.status, 404);
    assert.match(none.body.issue?.[0]?.details?.text ?? '', /nothing was deleted/);
    await sample.client.request('POST', 'Patient', patientWith('cd-dup'));
    await sample.client.request('POST', 'Patient', patientWith('cd-dup'));
    assert.equal((await sample.client.request('DELETE', `Patient?identifier=${SYSTEM}|cd-dup`)).status, 412);
    assert.equal(await countWith('cd-dup'), 2);
  });

  it('refuses a conditional delete without criteria (it would match everything)', async () => {
    const result = await sample.client.request('DELETE', 'Patient');
    assert.equal(result.status, 400);
    assert.equal((await sample.client.get('Patient/pat-001')).status, 200);
  });
});
