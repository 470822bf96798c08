import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OperationOutcome, Patient } from '@medplum/fhirtypes';
import { SAMPLE_FIXTURES } from '../../src/sample-server/fixtures.js';
import { useSampleServer } from './helpers.js';

const sample = useSampleServer();

describe('read', () => {
  it('returns the patient with ETag, Last-Modified and a versioned Content-Location', async () => {
    const { status, headers, body } = await sample.client.get<Patient>('Patient/pat-001');
    assert.equal(status, 200);
    assert.match(headers.get('content-type') ?? '', /^application\/fhir\+json/);
    assert.equal(body.resourceType, 'Patient');
    assert.equal(body.id, 'pat-001');
    const versionId = body.meta?.versionId;
    assert.ok(versionId);
    assert.equal(headers.get('etag'), `W/"${versionId}"`);
    assert.equal(headers.get('last-modified'), new Date(body.meta?.lastUpdated ?? '').toUTCString());
    assert.equal(headers.get('content-location'), `${sample.client.base}/Patient/pat-001/_history/${versionId}`);
    assert.deepEqual(Object.keys(body).slice(0, 3), ['resourceType', 'id', 'meta']);
  });

  it('answers 404 with an OperationOutcome naming the resource for an unknown id', async () => {
    const { status, body } = await sample.client.get<OperationOutcome>('Patient/does-not-exist');
    assert.equal(status, 404);
    assert.equal(body.resourceType, 'OperationOutcome');
    assert.equal(body.issue?.[0]?.code, 'not-found');
    assert.match(body.issue?.[0]?.details?.text ?? '', /Patient\/does-not-exist/);
  });

  it('answers 404 for an unknown resource type', async () => {
    const { status, body } = await sample.client.get<OperationOutcome>('Patiant/pat-001');
    assert.equal(status, 404);
    assert.match(body.issue?.[0]?.details?.text ?? '', /Unknown resource type "Patiant"/);
  });

  it('answers 304 to If-None-Match with the current ETag and 200 to a stale one', async () => {
    const first = await sample.client.get('Patient/pat-003');
    const etag = first.headers.get('etag') ?? '';
    const again = await sample.client.get('Patient/pat-003', { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body, undefined);
    const stale = await sample.client.get('Patient/pat-003', { 'if-none-match': 'W/"stale"' });
    assert.equal(stale.status, 200);
  });

  it('answers 304 to If-Modified-Since at or after Last-Modified', async () => {
    const first = await sample.client.get('Patient/pat-004');
    const lastModified = first.headers.get('last-modified') ?? '';
    assert.equal((await sample.client.get('Patient/pat-004', { 'if-modified-since': lastModified })).status, 304);
    assert.equal((await sample.client.get('Patient/pat-004', { 'if-modified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' })).status, 200);
  });

  it('answers HEAD like GET without a body', async () => {
    const response = await fetch(`${sample.client.base}/Patient/pat-001`, { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.ok(response.headers.get('etag'));
    assert.equal(await response.text(), '');
  });

  it('reads practitioners, organizations and the related person the patients reference', async () => {
    for (const path of [`Practitioner/${SAMPLE_FIXTURES.practitionerIds[0]}`, `Organization/${SAMPLE_FIXTURES.organizationIds[0]}`, `RelatedPerson/${SAMPLE_FIXTURES.relatedPerson.id}`]) {
      assert.equal((await sample.client.get(path)).status, 200, path);
    }
  });
});

describe('vread', () => {
  it('returns the version named by the ETag, with the same headers as a read', async () => {
    const read = await sample.client.get<Patient>('Patient/pat-002');
    const versionId = read.body.meta?.versionId ?? '';
    const vread = await sample.client.get<Patient>(`Patient/pat-002/_history/${versionId}`);
    assert.equal(vread.status, 200);
    assert.deepEqual(vread.body, read.body);
    assert.equal(vread.headers.get('etag'), `W/"${versionId}"`);
  });

  it('answers 404 for an unknown version of a known resource', async () => {
    const { status, body } = await sample.client.get<OperationOutcome>('Patient/pat-002/_history/no-such-version');
    assert.equal(status, 404);
    assert.match(body.issue?.[0]?.details?.text ?? '', /no version "no-such-version"/);
  });

  it('answers 404 for a version of an unknown resource', async () => {
    assert.equal((await sample.client.get('Patient/nobody/_history/1')).status, 404);
  });
});
