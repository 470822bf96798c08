import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import { SAMPLE_FIXTURES } from '../../src/sample-server/fixtures.js';
import { allPages, ids, link, useSampleServer } from './helpers.js';

const sample = useSampleServer();

describe('Patient/{id}/$everything', () => {
  it('returns the patient, its whole compartment and the resources they reference', async () => {
    const pages = await allPages(sample.client, 'Patient/pat-002/$everything?_count=10');
    const entries = pages.flatMap((p) => p.entry ?? []);
    const all = entries.map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);
    assert.equal(all[0], 'Patient/pat-002', 'the patient comes first');
    assert.equal(new Set(all).size, all.length, 'no duplicates across pages');
    assert.equal(pages[0]?.total, all.length);

    const compartment = (await allPages(sample.client, 'Patient/pat-002/*?_count=100')).flatMap(ids);
    for (const id of compartment) assert.ok(all.includes(id), `compartment member ${id}`);
    const included = entries.filter((e) => e.search?.mode === 'include').map((e) => e.resource?.resourceType);
    assert.ok(included.includes('Practitioner'), 'referenced practitioners');
    assert.ok(included.includes('Organization'), 'referenced organizations');
    // obs-cross-01 is about pat-001 but performed by pat-002: in pat-002's compartment, and it references pat-001
    assert.ok(all.includes(`Observation/${SAMPLE_FIXTURES.crossPatientObservation.id}`));
    assert.ok(all.includes('Patient/pat-001'));
    for (const entry of entries) assert.equal(entry.fullUrl, `${sample.client.base}/${entry.resource?.resourceType}/${entry.resource?.id}`);
  });

  it('pages with links on the operation path', async () => {
    const { body } = await sample.client.get<Bundle>('Patient/pat-001/$everything?_count=5');
    assert.equal(body.type, 'searchset');
    assert.equal(body.entry?.length, 5);
    assert.equal(link(body, 'next'), `${sample.client.base}/Patient/pat-001/$everything?_count=5&_offset=5`);
  });

  it('limits the types with _type', async () => {
    const { body } = await sample.client.get<Bundle>('Patient/pat-001/$everything?_type=Condition,MedicationRequest&_count=100');
    const types = new Set(ids(body).map((id) => id.split('/')[0]));
    assert.deepEqual([...types].sort(), ['Condition', 'MedicationRequest']);
  });

  it('limits to recent changes with _since', async () => {
    const since = new Date().toISOString();
    const none = await sample.client.get<Bundle>(`Patient/pat-005/$everything?_since=${since}`);
    assert.equal(none.body.total, 0);
    await sample.client.request('POST', 'Condition', { resourceType: 'Condition', subject: { reference: 'Patient/pat-005' }, code: { text: 'new' } });
    const recent = await sample.client.get<Bundle>(`Patient/pat-005/$everything?_since=${since}`);
    assert.deepEqual(ids(recent.body).map((id) => id.split('/')[0]), ['Condition']);
  });

  it('works by POST with a Parameters body', async () => {
    const { status, body } = await sample.client.request<Bundle>('POST', 'Patient/pat-001/$everything', {
      resourceType: 'Parameters', parameter: [{ name: '_count', valueInteger: 3 }],
    });
    assert.equal(status, 200);
    assert.equal(body.entry?.length, 3);
  });

  it('answers 404 for an unknown patient and 400 for an unsupported parameter', async () => {
    assert.equal((await sample.client.get<OperationOutcome>('Patient/nobody/$everything')).status, 404);
    assert.equal((await sample.client.get('Patient/pat-001/$everything?start=2020-01-01')).status, 400);
  });
});
