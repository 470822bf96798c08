import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { allPages, link, useSampleServer } from './helpers.js';

const sample = useSampleServer();

describe('history', () => {
  it('lists every version of an instance newest first, including its deletion', async () => {
    const created = await sample.client.request<Patient>('POST', 'Patient', { resourceType: 'Patient', gender: 'female' });
    const id = created.body.id ?? '';
    const updated = await sample.client.request<Patient>('PUT', `Patient/${id}`, { resourceType: 'Patient', id, gender: 'male' });
    await sample.client.request('DELETE', `Patient/${id}`);

    const { status, body } = await sample.client.get<Bundle>(`Patient/${id}/_history`);
    assert.equal(status, 200);
    assert.equal(body.type, 'history');
    assert.equal(body.total, 3);
    const [deletion, update, creation] = body.entry ?? [];
    assert.deepEqual(deletion?.request, { method: 'DELETE', url: `Patient/${id}` });
    assert.equal(deletion?.resource, undefined);
    assert.deepEqual(update?.request, { method: 'PUT', url: `Patient/${id}` });
    assert.equal(update?.response?.etag, `W/"${updated.body.meta?.versionId}"`);
    assert.equal((update?.resource as Patient | undefined)?.gender, 'male');
    assert.deepEqual(creation?.request, { method: 'POST', url: 'Patient' });
    assert.equal(creation?.response?.status, '201 Created');
    assert.equal(creation?.response?.location, `Patient/${id}/_history/${created.body.meta?.versionId}`);
    assert.equal(creation?.fullUrl, `${sample.client.base}/Patient/${id}`);
    // every version stays readable by vread, and the version that records the deletion is Gone
    const deletionVersion = /W\/"(.+)"/.exec(deletion?.response?.etag ?? '')?.[1];
    assert.equal((await sample.client.get(`Patient/${id}/_history/${deletionVersion}`)).status, 410);
    assert.equal((await sample.client.get<Patient>(`Patient/${id}/_history/${updated.body.meta?.versionId}`)).body.gender, 'male');
  });

  it('answers the same history twice in the same order (medplum reverses its own in place)', async () => {
    const first = await sample.client.get<Bundle>('Patient/pat-001/_history');
    const second = await sample.client.get<Bundle>('Patient/pat-001/_history');
    assert.deepEqual(second.body, first.body);
  });

  it('answers 404 for the history of an unknown resource', async () => {
    assert.equal((await sample.client.get('Patient/nobody/_history')).status, 404);
  });

  it('lists a type\'s history and pages through it', async () => {
    const pages = await allPages(sample.client, 'Organization/_history?_count=2');
    const versions = pages.flatMap((p) => p.entry ?? []);
    assert.equal(versions.length, pages[0]?.total);
    assert.ok(versions.length >= 3);
    assert.ok(versions.every((e) => e.resource?.resourceType === 'Organization'));
    assert.equal(link(pages[0] as Bundle, 'self'), `${sample.client.base}/Organization/_history?_count=2&_offset=0`);
  });

  it('lists the system history since an instant', async () => {
    const since = new Date().toISOString();
    const created = await sample.client.request<Patient>('POST', 'Patient', { resourceType: 'Patient' });
    await sample.client.request('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${created.body.id}` } });
    const { body } = await sample.client.get<Bundle>(`_history?_since=${since}`);
    assert.deepEqual((body.entry ?? []).map((e) => e.resource?.resourceType), ['Observation', 'Patient']);
    assert.equal(link(body, 'self'), `${sample.client.base}/_history?_since=${since}&_count=20&_offset=0`);
    const everything = await sample.client.get<Bundle>('_history?_count=1');
    assert.ok((everything.body.total ?? 0) > 1000, 'the seeded data is in the system history');
  });

  it('rejects an invalid _since and unsupported parameters', async () => {
    assert.equal((await sample.client.get('_history?_since=yesterday')).status, 400);
    assert.equal((await sample.client.get('Patient/_history?_at=2020')).status, 400);
  });
});
