import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { clientFor, useSampleServer } from './helpers.js';

const sample = useSampleServer({ patients: 12, basePath: '/r4/' });

describe('HTTP behaviour', () => {
  it('serves under the configured base path, with no trailing slash in the URL', () => {
    assert.match(sample.server.url, /^http:\/\/127\.0\.0\.1:\d+\/r4$/);
  });

  it('honours the patients option', async () => {
    const { body } = await sample.client.get<{ total?: number }>('Patient?_summary=count');
    assert.equal(body.total, 12);
  });

  it('answers 404 with an OperationOutcome outside the FHIR base', async () => {
    const origin = new URL(sample.server.url).origin;
    const { status, body } = await clientFor(origin).get<OperationOutcome>('/somewhere-else');
    assert.equal(status, 404);
    assert.equal(body.resourceType, 'OperationOutcome');
    assert.match(body.issue?.[0]?.details?.text ?? '', /FHIR base/);
  });

  it('answers 406 to a client that accepts only XML, and honours _format', async () => {
    assert.equal((await sample.client.get('Patient/pat-001', { accept: 'application/fhir+xml' })).status, 406);
    assert.equal((await sample.client.get('Patient/pat-001?_format=xml')).status, 406);
    assert.equal((await sample.client.get('Patient/pat-001?_format=json', { accept: 'application/fhir+xml' })).status, 200);
    assert.equal((await sample.client.get('Patient/pat-001', { accept: 'application/json' })).status, 200);
  });

  it('pretty-prints with _pretty=true', async () => {
    const response = await fetch(`${sample.server.url}/Patient/pat-001?_pretty=true`);
    assert.match(await response.text(), /^\{\n {2}"resourceType": "Patient"/);
  });

  it('answers 405 with Allow for a method the path does not support', async () => {
    const { status, headers, body } = await sample.client.request<OperationOutcome>('DELETE', 'Patient/pat-001/$everything');
    assert.equal(status, 405);
    assert.match(headers.get('allow') ?? '', /GET/);
    assert.equal(body.resourceType, 'OperationOutcome');
    assert.equal((await sample.client.request('OPTIONS', 'Patient')).status, 405);
  });

  it('answers 404 for a path no interaction matches', async () => {
    assert.equal((await sample.client.get('Patient/pat-001/_history/v/extra')).status, 404);
  });

  it('answers 413 for a body larger than 16 MiB', async () => {
    const huge = JSON.stringify({ resourceType: 'Patient', text: { status: 'generated', div: 'x'.repeat(17 * 1024 * 1024) } });
    const { status, body } = await sample.client.request<OperationOutcome>('POST', 'Patient', huge);
    assert.equal(status, 413);
    assert.equal(body.resourceType, 'OperationOutcome');
  });

  it('keeps answering after a client error (keep-alive connection reused)', async () => {
    for (let i = 0; i < 20; i++) {
      assert.equal((await sample.client.request('POST', 'Patient', '{oops')).status, 400);
      assert.equal((await sample.client.get('Patient/pat-001')).status, 200);
    }
  });
});
