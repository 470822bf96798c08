import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bundle, Observation, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { SAMPLE_FIXTURES } from '../../src/sample-server/fixtures.js';
import { allPages, ids, link, useSampleServer } from './helpers.js';

const sample = useSampleServer();

/** Every Observation, fetched once, to compute the expected compartment independently. */
async function allObservations(): Promise<Observation[]> {
  const pages = await allPages(sample.client, 'Observation?_count=1000');
  return pages.flatMap((p) => (p.entry ?? []).map((e) => e.resource as Observation));
}

const refersTo = (o: Observation, ref: string): boolean =>
  o.subject?.reference === ref || (o.performer ?? []).some((p) => p.reference === ref);

describe('Patient compartment search', () => {
  it('returns the Observations whose subject OR performer is the patient', async () => {
    const expected = (await allObservations()).filter((o) => refersTo(o, 'Patient/pat-002')).map((o) => `Observation/${o.id}`).sort();
    const pages = await allPages(sample.client, 'Patient/pat-002/Observation?_count=5');
    const actual = pages.flatMap(ids).sort();
    assert.deepEqual(actual, expected);
    assert.ok(actual.includes(`Observation/${SAMPLE_FIXTURES.crossPatientObservation.id}`), 'performed by pat-002 → in its compartment');
  });

  it('puts the cross-patient observation in both patients\' compartments', async () => {
    const { subject, performer, id } = SAMPLE_FIXTURES.crossPatientObservation;
    for (const patient of [subject, performer]) {
      const { body } = await sample.client.get<Bundle>(`${patient}/Observation?_id=${id}`);
      assert.deepEqual(ids(body), [`Observation/${id}`], patient);
    }
    const other = await sample.client.get<Bundle>(`Patient/pat-003/Observation?_id=${id}`);
    assert.equal(other.body.total, 0);
  });

  it('equals the type search on the compartment parameter for single-parameter types', async () => {
    const viaCompartment = await sample.client.get<Bundle>('Patient/pat-007/Encounter?_count=100');
    const viaSearch = await sample.client.get<Bundle>('Encounter?subject=Patient/pat-007&_count=100');
    assert.deepEqual(ids(viaCompartment.body).sort(), ids(viaSearch.body).sort());
    assert.ok((viaCompartment.body.total ?? 0) >= 2);
  });

  it('combines the compartment with other parameters and pages with links on the compartment path', async () => {
    const { body } = await sample.client.get<Bundle<Observation>>('Patient/pat-001/Observation?code=http://loinc.org|8867-4&_count=1');
    assert.ok(body.entry?.every((e) => e.resource?.code?.coding?.[0]?.code === '8867-4' && e.resource.subject?.reference === 'Patient/pat-001'));
    assert.equal(link(body, 'self'), `${sample.client.base}/Patient/pat-001/Observation?code=http://loinc.org%7C8867-4&_count=1&_offset=0`);
    assert.equal(link(body, 'next'), `${sample.client.base}/Patient/pat-001/Observation?code=http://loinc.org%7C8867-4&_count=1&_offset=1`);
  });

  it('includes the patient itself in Patient/{id}/Patient', async () => {
    const { body } = await sample.client.get<Bundle>('Patient/pat-004/Patient');
    assert.deepEqual(ids(body), ['Patient/pat-004']);
  });

  it('searches every type of the compartment with Patient/{id}/*', async () => {
    const pages = await allPages(sample.client, 'Patient/pat-002/*?_count=10');
    const all = pages.flatMap(ids);
    const types = new Set(all.map((id) => id.split('/')[0]));
    for (const type of ['Patient', 'Encounter', 'Observation', 'Condition', 'MedicationRequest', 'RelatedPerson']) assert.ok(types.has(type), type);
    assert.ok(!types.has('Practitioner') && !types.has('Organization'), 'not in the compartment');
    assert.ok(all.includes(`RelatedPerson/${SAMPLE_FIXTURES.relatedPerson.id}`));
    assert.equal(new Set(all).size, all.length);
    assert.equal(pages[0]?.total, all.length);
  });

  it('answers 404 for an unknown patient and 410 for a deleted one', async () => {
    const unknown = await sample.client.get<OperationOutcome>('Patient/nobody/Observation');
    assert.equal(unknown.status, 404);
    const created = await sample.client.request<Resource>('POST', 'Patient', { resourceType: 'Patient' });
    await sample.client.request('DELETE', `Patient/${created.body.id}`);
    assert.equal((await sample.client.get(`Patient/${created.body.id}/Observation`)).status, 410);
  });

  it('rejects types outside the compartment and compartments other than Patient', async () => {
    assert.equal((await sample.client.get('Patient/pat-001/Practitioner')).status, 400);
    assert.equal((await sample.client.get('Encounter/enc-001-01/Observation')).status, 400);
  });

  it('follows writes: a new Observation about the patient appears in its compartment', async () => {
    const before = (await sample.client.get<Bundle>('Patient/pat-010/Observation?_summary=count')).body.total ?? 0;
    await sample.client.request('POST', 'Observation', {
      resourceType: 'Observation', status: 'final', code: { text: 'note' }, subject: { reference: 'Patient/pat-011' }, performer: [{ reference: 'Patient/pat-010' }],
    });
    assert.equal((await sample.client.get<Bundle>('Patient/pat-010/Observation?_summary=count')).body.total, before + 1);
  });
});
