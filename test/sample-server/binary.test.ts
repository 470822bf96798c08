import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Binary, Bundle, DocumentReference, Group, OperationOutcome } from '@medplum/fhirtypes';
import { SAMPLE_FIXTURES } from '../../src/sample-server/fixtures.js';
import { ids, useSampleServer } from './helpers.js';

const sample = useSampleServer();
const text = (binary: Binary): string => Buffer.from(binary.data ?? '', 'base64').toString('utf8');

describe('Binary with securityContext, and the DocumentReferences that point at it', () => {
  it('reads each note Binary as FHIR JSON, its securityContext the DocumentReference of its patient', async () => {
    assert.deepEqual(SAMPLE_FIXTURES.documents.map((d) => d.binaryId), ['bin-001', 'bin-002', 'bin-003']);
    for (const { patient, documentReferenceId, binaryId } of SAMPLE_FIXTURES.documents) {
      const { status, headers, body: binary } = await sample.client.get<Binary>(`Binary/${binaryId}`, { accept: 'application/fhir+json' });
      assert.equal(status, 200);
      assert.match(headers.get('content-type') ?? '', /^application\/fhir\+json/);
      assert.equal(binary.resourceType, 'Binary');
      assert.equal(binary.contentType, 'text/plain');
      assert.equal(binary.securityContext?.reference, `DocumentReference/${documentReferenceId}`);
      assert.match(text(binary), new RegExp(patient));

      const { body: document } = await sample.client.get<DocumentReference>(`DocumentReference/${documentReferenceId}`);
      assert.equal(document.subject?.reference, patient);
      const attachment = document.content[0]?.attachment;
      assert.equal(attachment?.url, `Binary/${binaryId}`);
      assert.equal(attachment?.size, Buffer.byteLength(text(binary)));
      assert.equal(attachment?.hash, createHash('sha1').update(text(binary)).digest('base64'));
    }
  });

  it('has a Binary whose securityContext is a Patient, and a public one without securityContext', async () => {
    const { body: own } = await sample.client.get<Binary>(`Binary/${SAMPLE_FIXTURES.patientBinary.id}`);
    assert.equal(own.securityContext?.reference, SAMPLE_FIXTURES.patientBinary.securityContext);
    const { body: open } = await sample.client.get<Binary>(`Binary/${SAMPLE_FIXTURES.publicBinaryId}`);
    assert.equal(open.resourceType, 'Binary');
    assert.equal(open.securityContext, undefined);
  });

  it('serves the raw content with X-Security-Context when asked for the Binary\'s own type (http.html#binary)', async () => {
    const response = await fetch(`${sample.client.base}/Binary/bin-001`, { headers: { accept: 'text/plain' } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain');
    assert.equal(response.headers.get('x-security-context'), 'DocumentReference/docref-001');
    assert.ok(response.headers.get('etag'));
    assert.match(await response.text(), /^Progress note \(synthetic data\) for Patient\/pat-001\./);
    const pub = await fetch(`${sample.client.base}/Binary/${SAMPLE_FIXTURES.publicBinaryId}`, { headers: { accept: 'text/*' } });
    assert.equal(pub.status, 200);
    assert.equal(pub.headers.get('x-security-context'), null);
    const { status } = await sample.client.get<OperationOutcome>('Binary/bin-001', { accept: 'image/png' });
    assert.equal(status, 406);
    assert.equal((await sample.client.get('Patient/pat-001', { accept: 'text/plain' })).status, 406, 'only Binary has a raw form');
  });

  it('searches Binary by the Resource-level parameters R4 gives every resource (medplum gives Binary none)', async () => {
    assert.deepEqual(ids((await sample.client.get<Bundle>('Binary?_id=bin-001')).body), ['Binary/bin-001']);
    assert.deepEqual(ids((await sample.client.get<Bundle>(`?_id=${SAMPLE_FIXTURES.publicBinaryId}`)).body), [`Binary/${SAMPLE_FIXTURES.publicBinaryId}`]);
    assert.equal((await sample.client.get<Bundle>('Binary?_lastUpdated=gt2000-01-01&_summary=count')).body.total, 5);
  });

  it('puts the DocumentReference, not the Binary, in the patient\'s compartment', async () => {
    const { body } = await sample.client.get<Bundle>('Patient/pat-001/DocumentReference');
    assert.deepEqual(ids(body), ['DocumentReference/docref-001']);
    const { status } = await sample.client.get('Patient/pat-001/Binary');
    assert.equal(status, 400);
  });

  it('has the cohort Group of the first five patients', async () => {
    const { body: group } = await sample.client.get<Group>(`Group/${SAMPLE_FIXTURES.cohortGroup.id}`);
    assert.deepEqual(group.member?.map((m) => m.entity.reference), SAMPLE_FIXTURES.cohortGroup.members);
    assert.equal(group.actual, true);
  });
});
