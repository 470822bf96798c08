import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bundle, Observation, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { SAMPLE_FIXTURES } from '../../src/sample-server/fixtures.js';
import { allPages, ids, link, useSampleServer } from './helpers.js';

const sample = useSampleServer();

describe('search paging', () => {
  it('pages all 60 patients: next links until done, no duplicates, total on every page', async () => {
    const pages = await allPages(sample.client, 'Patient?_count=7');
    assert.equal(pages.length, Math.ceil(60 / 7));
    const all = pages.flatMap(ids);
    assert.equal(all.length, 60);
    assert.equal(new Set(all).size, 60);
    for (const page of pages) assert.equal(page.total, 60);
  });

  it('gives absolute self, first, previous, next and last links on this server\'s base', async () => {
    const { body } = await sample.client.get<Bundle>('Patient?gender=female&_count=5&_offset=5');
    const base = sample.client.base;
    assert.equal(link(body, 'self'), `${base}/Patient?gender=female&_count=5&_offset=5`);
    assert.equal(link(body, 'first'), `${base}/Patient?gender=female&_count=5&_offset=0`);
    assert.equal(link(body, 'previous'), `${base}/Patient?gender=female&_count=5&_offset=0`);
    assert.equal(link(body, 'next'), `${base}/Patient?gender=female&_count=5&_offset=10`);
    const last = link(body, 'last') ?? '';
    const lastPage = await sample.client.get<Bundle>(last);
    assert.equal(link(lastPage.body, 'next'), undefined);
    assert.ok((lastPage.body.entry?.length ?? 0) > 0);
  });

  it('uses absolute fullUrls and search modes', async () => {
    const { body } = await sample.client.get<Bundle>('Patient?_count=3');
    for (const entry of body.entry ?? []) {
      assert.equal(entry.fullUrl, `${sample.client.base}/Patient/${entry.resource?.id}`);
      assert.equal(entry.search?.mode, 'match');
    }
  });

  it('defaults to pages of 20 and rejects a non-numeric _count', async () => {
    const { body } = await sample.client.get<Bundle>('Patient');
    assert.equal(body.entry?.length, 20);
    assert.equal((await sample.client.get('Patient?_count=ten')).status, 400);
  });

  it('answers _summary=count with the total only', async () => {
    const { body } = await sample.client.get<Bundle>('Patient?_summary=count');
    assert.equal(body.total, 60);
    assert.equal(body.entry, undefined);
  });
});

describe('search parameters', () => {
  it('finds a patient by MRN (token system|value)', async () => {
    const { body } = await sample.client.get<Bundle>(`Patient?identifier=${SAMPLE_FIXTURES.mrnSystem}|${SAMPLE_FIXTURES.mrnOf('pat-042')}`);
    assert.deepEqual(ids(body), ['Patient/pat-042']);
  });

  it('matches strings from the start by default, anywhere with :contains, whole and case-sensitive with :exact', async () => {
    const patient = (await sample.client.get<Patient>('Patient/pat-001')).body;
    const family = patient.name?.[0]?.family ?? '';
    const given = patient.name?.[0]?.given?.[0] ?? '';
    const families = async (query: string) => {
      const pages = await allPages(sample.client, `Patient?${query}&_count=7`);
      assert.equal(pages.flatMap(ids).length, pages[0]?.total, 'total counts true matches only');
      return pages.flatMap((p) => (p.entry ?? []).map((e) => (e.resource as Patient).name?.[0]?.family ?? ''));
    };
    const prefix = await families(`family=${family.slice(0, 3).toLowerCase()}`);
    assert.ok(prefix.length > 0 && prefix.every((f) => f.toLowerCase().startsWith(family.slice(0, 3).toLowerCase())));
    const middle = family.slice(1, 4);
    assert.ok(!(await families(`family=${middle}`)).includes(family), `"${middle}" is inside "${family}", not at its start`);
    assert.ok((await families(`family:contains=${middle}`)).includes(family));
    assert.deepEqual(await families(`family:exact=${family.toLowerCase()}`), []);
    assert.ok((await families(`family:exact=${family}`)).every((f) => f === family));
    const byGiven = await allPages(sample.client, `Patient?name=${given.slice(0, 3)}&_count=100`);
    assert.ok(byGiven.flatMap(ids).includes('Patient/pat-001'), 'name matches the given-name part');
  });

  it('treats a bare id on a multi-target reference parameter like Type/id', async () => {
    const typed = await sample.client.get<Bundle>('Observation?subject=Patient/pat-001&_count=100');
    const bare = await sample.client.get<Bundle>('Observation?subject=pat-001&_count=100');
    const modifier = await sample.client.get<Bundle>('Observation?subject:Patient=pat-001&_count=100');
    const patientParam = await sample.client.get<Bundle>('Observation?patient=pat-001&_count=100');
    assert.ok((typed.body.total ?? 0) > 0);
    assert.deepEqual(ids(bare.body), ids(typed.body));
    assert.deepEqual(ids(modifier.body), ids(typed.body));
    assert.deepEqual(ids(patientParam.body), ids(typed.body));
  });

  it('searches by LOINC code, category and date', async () => {
    const { body } = await sample.client.get<Bundle<Observation>>('Observation?code=http://loinc.org|8867-4&_count=1000');
    assert.ok((body.total ?? 0) >= 120, 'every encounter has a heart rate');
    assert.ok(body.entry?.every((e) => e.resource?.code?.coding?.[0]?.code === '8867-4'));
    const labs = await sample.client.get<Bundle<Observation>>('Observation?category=laboratory&date=ge2022-01-01&_count=1000');
    assert.ok(labs.body.entry?.every((e) => e.resource?.category?.[0]?.coding?.[0]?.code === 'laboratory' && (e.resource.effectiveDateTime ?? '') >= '2022-01-01'));
  });

  it('answers POST _search (form body) like the equivalent GET, with GET-style links', async () => {
    const get = await sample.client.get<Bundle>('Observation?patient=Patient/pat-002&_count=5');
    const post = await sample.client.request<Bundle>('POST', 'Observation/_search', 'patient=Patient/pat-002&_count=5', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(post.status, 200);
    assert.deepEqual(ids(post.body), ids(get.body));
    assert.equal(link(post.body, 'self'), link(get.body, 'self'));
  });

  it('includes referenced and referencing resources (_include, _revinclude)', async () => {
    const include = await sample.client.get<Bundle>(`Observation?_id=${SAMPLE_FIXTURES.crossPatientObservation.id}&_include=Observation:subject&_include=Observation:performer`);
    const byMode = (mode: string) => (include.body.entry ?? []).filter((e) => e.search?.mode === mode).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`).sort();
    assert.deepEqual(byMode('match'), [`Observation/${SAMPLE_FIXTURES.crossPatientObservation.id}`]);
    assert.deepEqual(byMode('include'), ['Patient/pat-001', 'Patient/pat-002']);
    for (const entry of include.body.entry ?? []) assert.match(entry.fullUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/fhir\//);
    const revinclude = await sample.client.get<Bundle>('Patient?_id=pat-003&_revinclude=Encounter:subject');
    const encounters = (revinclude.body.entry ?? []).filter((e) => e.resource?.resourceType === 'Encounter');
    assert.ok(encounters.length >= 2);
    assert.ok(encounters.every((e) => e.search?.mode === 'include'));
    assert.equal(revinclude.body.total, 1, 'total counts matches only');
  });

  it('applies _elements and marks the result SUBSETTED', async () => {
    const { body } = await sample.client.get<Bundle>('Patient?_id=pat-001&_elements=birthDate');
    const patient = body.entry?.[0]?.resource as unknown as Record<string, unknown> & { meta?: { tag?: { code?: string }[] } };
    assert.deepEqual(Object.keys(patient).sort(), ['birthDate', 'id', 'meta', 'resourceType']);
    assert.ok(patient.meta?.tag?.some((t) => t.code === 'SUBSETTED'));
  });

  it('sorts with _sort', async () => {
    const { body } = await sample.client.get<Bundle>('Patient?_sort=birthdate&_count=60');
    const dates = (body.entry ?? []).map((e) => (e.resource as { birthDate?: string }).birthDate ?? '');
    assert.deepEqual(dates, [...dates].sort());
  });

  it('rejects unknown and unsupported parameters with 400 instead of returning nothing', async () => {
    const unknown = await sample.client.get<OperationOutcome>('Observation?colour=blue');
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.issue?.[0]?.details?.text ?? '', /Unknown search parameter "colour"/);
    const quantity = await sample.client.get<OperationOutcome>('Observation?value-quantity=gt100');
    assert.equal(quantity.status, 400);
    assert.equal((await sample.client.get('Patient?_has:Observation:patient:code=1234')).status, 400);
  });
});

describe('system search', () => {
  it('searches several types with _type and pages across them', async () => {
    const pages = await allPages(sample.client, '?_type=Practitioner,Organization&_count=4');
    const all = pages.flatMap(ids);
    assert.equal(all.length, SAMPLE_FIXTURES.practitionerIds.length + SAMPLE_FIXTURES.organizationIds.length);
    assert.ok(all.every((id) => id.startsWith('Practitioner/') || id.startsWith('Organization/')));
    assert.equal(link(pages[0] as Bundle, 'self'), `${sample.client.base}?_type=Practitioner,Organization&_count=4&_offset=0`);
  });

  it('refuses a cross-type _sort it could not honour', async () => {
    assert.equal((await sample.client.get('?_type=Practitioner,Organization&_sort=_lastUpdated')).status, 400);
  });

  it('finds one resource by _id across all types, by GET and by POST _search', async () => {
    const { body } = await sample.client.get<Bundle>('?_id=obs-010-01');
    assert.deepEqual(ids(body), ['Observation/obs-010-01']);
    const post = await sample.client.request<Bundle>('POST', '_search', '_id=obs-010-01', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.deepEqual(ids(post.body), ['Observation/obs-010-01']);
  });
});
