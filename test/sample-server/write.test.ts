import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OperationOutcome, Patient } from '@medplum/fhirtypes';
import { type Client, useSampleServer } from './helpers.js';

const sample = useSampleServer();

async function createPatient(client: Client, family: string, headers: Record<string, string> = {}) {
  return client.request<Patient>('POST', 'Patient', { resourceType: 'Patient', name: [{ family }] }, headers);
}

describe('create', () => {
  it('answers 201 with Location, ETag and Last-Modified naming the new version', async () => {
    const { status, headers, body } = await createPatient(sample.client, 'Created');
    assert.equal(status, 201);
    const versionId = body.meta?.versionId ?? '';
    assert.ok(body.id && versionId);
    assert.equal(headers.get('location'), `${sample.client.base}/Patient/${body.id}/_history/${versionId}`);
    assert.equal(headers.get('etag'), `W/"${versionId}"`);
    assert.ok(headers.get('last-modified'));
    assert.equal((await sample.client.get(`Patient/${body.id}`)).status, 200);
  });

  it('ignores an id in the body and assigns its own (http.html#create)', async () => {
    const { status, body } = await sample.client.request<Patient>('POST', 'Patient', { resourceType: 'Patient', id: 'pat-001', gender: 'other' });
    assert.equal(status, 201);
    assert.notEqual(body.id, 'pat-001');
    const original = await sample.client.get<Patient>('Patient/pat-001');
    assert.notEqual(original.body.gender, 'other');
  });

  it('honours Prefer: return=minimal and return=OperationOutcome', async () => {
    const minimal = await createPatient(sample.client, 'Minimal', { prefer: 'return=minimal' });
    assert.equal(minimal.status, 201);
    assert.equal(minimal.body, undefined);
    assert.ok(minimal.headers.get('location'));
    const outcome = await createPatient(sample.client, 'Outcome', { prefer: 'return=OperationOutcome' });
    assert.equal(outcome.status, 201);
    assert.equal((outcome.body as unknown as OperationOutcome).resourceType, 'OperationOutcome');
    const representation = await createPatient(sample.client, 'Representation', { prefer: 'return=representation' });
    assert.equal(representation.body.resourceType, 'Patient');
  });

  it('rejects a body of the wrong type, malformed JSON and non-JSON media types', async () => {
    const wrongType = await sample.client.request<OperationOutcome>('POST', 'Patient', { resourceType: 'Observation', status: 'final', code: {} });
    assert.equal(wrongType.status, 400);
    const malformed = await sample.client.request<OperationOutcome>('POST', 'Patient', '{"resourceType": "Patient", ');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.resourceType, 'OperationOutcome');
    assert.match(malformed.body.issue?.[0]?.details?.text ?? '', /not valid JSON/);
    const xml = await sample.client.request<OperationOutcome>('POST', 'Patient', '<Patient/>', { 'content-type': 'application/fhir+xml' });
    assert.equal(xml.status, 415);
    const notAnObject = await sample.client.request<OperationOutcome>('POST', 'Patient', '[1,2]');
    assert.equal(notAnObject.status, 400);
  });
});

describe('update', () => {
  it('creates a new version with a new ETag (200)', async () => {
    const created = await createPatient(sample.client, 'Before');
    const id = created.body.id ?? '';
    const updated = await sample.client.request<Patient>('PUT', `Patient/${id}`, { resourceType: 'Patient', id, name: [{ family: 'After' }] });
    assert.equal(updated.status, 200);
    assert.notEqual(updated.body.meta?.versionId, created.body.meta?.versionId);
    assert.equal(updated.headers.get('etag'), `W/"${updated.body.meta?.versionId}"`);
    assert.equal((await sample.client.get<Patient>(`Patient/${id}`)).body.name?.[0]?.family, 'After');
  });

  it('creates the resource with the client\'s id when it does not exist (201)', async () => {
    const { status, headers, body } = await sample.client.request<Patient>('PUT', 'Patient/client-chosen-1', { resourceType: 'Patient', id: 'client-chosen-1' });
    assert.equal(status, 201);
    assert.equal(body.id, 'client-chosen-1');
    assert.equal(headers.get('location'), `${sample.client.base}/Patient/client-chosen-1/_history/${body.meta?.versionId}`);
  });

  it('checks If-Match: 412 on a stale ETag, 200 on the current one', async () => {
    const created = await createPatient(sample.client, 'Versioned');
    const id = created.body.id ?? '';
    const etag = created.headers.get('etag') ?? '';
    const first = await sample.client.request('PUT', `Patient/${id}`, { resourceType: 'Patient', id, gender: 'female' }, { 'if-match': etag });
    assert.equal(first.status, 200);
    const stale = await sample.client.request<OperationOutcome>('PUT', `Patient/${id}`, { resourceType: 'Patient', id, gender: 'male' }, { 'if-match': etag });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.resourceType, 'OperationOutcome');
    assert.match(stale.body.issue?.[0]?.details?.text ?? '', /If-Match/);
    assert.equal((await sample.client.get<Patient>(`Patient/${id}`)).body.gender, 'female');
  });

  it('rejects a body whose id differs from the URL (400)', async () => {
    const { status } = await sample.client.request('PUT', 'Patient/pat-005', { resourceType: 'Patient', id: 'pat-006' });
    assert.equal(status, 400);
  });

  it('honours Prefer: return=minimal', async () => {
    const { status, body, headers } = await sample.client.request('PUT', 'Patient/client-chosen-2', { resourceType: 'Patient', id: 'client-chosen-2' }, { prefer: 'return=minimal' });
    assert.equal(status, 201);
    assert.equal(body, undefined);
    assert.ok(headers.get('etag'));
  });
});

describe('delete', () => {
  it('deletes: 200, then reads answer 410 Gone, and deleting again is harmless', async () => {
    const created = await createPatient(sample.client, 'Doomed');
    const id = created.body.id ?? '';
    const deleted = await sample.client.request<OperationOutcome>('DELETE', `Patient/${id}`);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.resourceType, 'OperationOutcome');
    const read = await sample.client.get<OperationOutcome>(`Patient/${id}`);
    assert.equal(read.status, 410);
    assert.equal(read.body.issue?.[0]?.code, 'deleted');
    assert.equal((await sample.client.request('DELETE', `Patient/${id}`)).status, 200);
    // the old version stays readable by vread
    assert.equal((await sample.client.get(`Patient/${id}/_history/${created.body.meta?.versionId}`)).status, 200);
  });

  it('answers 404 for an unknown id and 412 for a stale If-Match', async () => {
    assert.equal((await sample.client.request('DELETE', 'Patient/never-existed')).status, 404);
    const created = await createPatient(sample.client, 'Guarded');
    const stale = await sample.client.request('DELETE', `Patient/${created.body.id}`, undefined, { 'if-match': 'W/"stale"' });
    assert.equal(stale.status, 412);
    assert.equal((await sample.client.get(`Patient/${created.body.id}`)).status, 200);
  });

  it('lets a deleted resource be re-created by update', async () => {
    const created = await createPatient(sample.client, 'Phoenix');
    const id = created.body.id ?? '';
    await sample.client.request('DELETE', `Patient/${id}`);
    const recreated = await sample.client.request('PUT', `Patient/${id}`, { resourceType: 'Patient', id });
    assert.equal(recreated.status, 201);
    assert.equal((await sample.client.get(`Patient/${id}`)).status, 200);
  });
});
