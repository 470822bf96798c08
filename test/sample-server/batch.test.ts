import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bundle, Observation, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { useSampleServer } from './helpers.js';

const sample = useSampleServer();
const PATIENT_URN = 'urn:uuid:0c6a4c52-7b1c-4d39-9a4b-2a8f1f5f0a11';

describe('transaction', () => {
  it('creates resources atomically, resolving urn:uuid references between entries', async () => {
    const { status, body } = await sample.client.request<Bundle>('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: PATIENT_URN, resource: { resourceType: 'Patient', name: [{ family: 'Transactional' }] }, request: { method: 'POST', url: 'Patient' } },
        {
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'weight' }, subject: { reference: PATIENT_URN } },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    });
    assert.equal(status, 200);
    assert.equal(body.type, 'transaction-response');
    const [patientEntry, observationEntry] = body.entry ?? [];
    const patient = patientEntry?.resource as Patient;
    const observation = observationEntry?.resource as Observation;
    assert.equal(patientEntry?.response?.status, '201');
    assert.equal(observation.subject?.reference, `Patient/${patient.id}`);
    assert.equal(patientEntry?.fullUrl, `${sample.client.base}/Patient/${patient.id}`);
    assert.equal(patientEntry?.response?.location, `Patient/${patient.id}/_history/${patient.meta?.versionId}`);
    assert.equal(patientEntry?.response?.etag, `W/"${patient.meta?.versionId}"`);
    assert.ok(patientEntry?.response?.lastModified);
    assert.equal((await sample.client.get(`Observation/${observation.id}`)).status, 200);
  });

  it('is all or nothing: a failing entry fails the transaction and undoes the entries before it', async () => {
    const before = await sample.client.get<Patient>('Patient/pat-001');
    const { status, body } = await sample.client.request<OperationOutcome>('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', identifier: [{ system: 'urn:test:tx', value: 'rolled-back' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { ...before.body, gender: 'unknown' }, request: { method: 'PUT', url: 'Patient/pat-001' } },
        // medplum runs creates before updates: this last update fails after both writes above
        { resource: { resourceType: 'Patient', id: 'pat-002' }, request: { method: 'PUT', url: 'Patient/pat-002', ifMatch: 'W/"stale"' } },
      ],
    });
    assert.equal(status, 412);
    assert.equal(body.resourceType, 'OperationOutcome');
    const created = await sample.client.get<Bundle>('Patient?identifier=urn:test:tx|rolled-back&_summary=count');
    assert.equal(created.body.total, 0);
    const after = await sample.client.get<Patient>('Patient/pat-001');
    assert.deepEqual(after.body, before.body);
    const history = await sample.client.get<Bundle>('Patient/pat-001/_history');
    assert.equal(history.body.total, 1, 'the undone update left no version behind');
  });

  it('rejects a bundle that is not a batch or transaction', async () => {
    const { status, body } = await sample.client.request<OperationOutcome>('POST', '', { resourceType: 'Bundle', type: 'collection', entry: [] });
    assert.equal(status, 400);
    assert.equal(body.resourceType, 'OperationOutcome');
    assert.equal((await sample.client.request('POST', '', { resourceType: 'Patient' })).status, 400);
  });
});

describe('batch', () => {
  it('answers each entry on its own: reads, searches with paging links, operations and errors', async () => {
    const { status, body } = await sample.client.request<Bundle>('POST', '', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: 'Patient/pat-001' } },
        { request: { method: 'GET', url: 'Observation?patient=Patient/pat-001&_count=2' } },
        { request: { method: 'GET', url: 'Patient/pat-001/$everything?_count=1' } },
        { request: { method: 'GET', url: 'Patient/nobody' } },
        { request: { method: 'PUT', url: 'Patient/batch-put-1' }, resource: { resourceType: 'Patient', id: 'batch-put-1' } },
      ],
    });
    assert.equal(status, 200);
    assert.equal(body.type, 'batch-response');
    const [read, search, everything, missing, put] = body.entry ?? [];
    assert.equal(read?.response?.status, '200');
    assert.equal(read?.resource?.id, 'pat-001');
    assert.equal(read?.fullUrl, `${sample.client.base}/Patient/pat-001`);
    const searchset = search?.resource as Bundle;
    assert.equal(searchset.type, 'searchset');
    assert.equal(searchset.entry?.length, 2);
    assert.ok(searchset.link?.some((l) => l.relation === 'next' && l.url.startsWith(`${sample.client.base}/Observation?`)));
    assert.equal((everything?.resource as Bundle).entry?.[0]?.resource?.id, 'pat-001');
    assert.equal(missing?.response?.status, '404');
    assert.equal(put?.response?.location, `Patient/batch-put-1/_history/${put?.resource?.meta?.versionId}`);
  });
});
