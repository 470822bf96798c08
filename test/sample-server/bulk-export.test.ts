import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bundle, CapabilityStatement, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { SAMPLE_FIXTURES } from '../../src/sample-server/fixtures.js';
import { allPages, ids, useSampleServer } from './helpers.js';

const sample = useSampleServer();
const ASYNC = { prefer: 'respond-async', accept: 'application/fhir+json' };

interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: { type: string; url: string; count?: number }[];
  error: unknown[];
}

/** Kick-off: 202 with an absolute status URL in Content-Location. */
async function kickOff(path: string): Promise<string> {
  const { status, headers } = await sample.client.get(path, ASYNC);
  assert.equal(status, 202, `kick-off ${path}`);
  const location = headers.get('content-location') ?? '';
  assert.match(location, new RegExp(`^${sample.client.base.replace(/[.$]/g, '\\$&')}/\\$export-status/[0-9a-f-]{36}$`));
  return location;
}

async function manifestOf(statusUrl: string): Promise<Manifest> {
  const response = await fetch(statusUrl);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  return (await response.json()) as Manifest;
}

/** Downloads every file of a manifest; checks each line is a resource of the file's type. */
async function download(manifest: Manifest): Promise<Resource[]> {
  const all: Resource[] = [];
  for (const file of manifest.output) {
    assert.ok(file.url.startsWith(`${sample.client.base}/$export-file/`), file.url);
    const response = await fetch(file.url, { headers: { accept: 'application/fhir+ndjson' } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/fhir+ndjson');
    const text = await response.text();
    assert.ok(text.endsWith('\n'));
    const lines = text.slice(0, -1).split('\n').map((line) => JSON.parse(line) as Resource);
    for (const resource of lines) assert.equal(resource.resourceType, file.type);
    assert.equal(lines.length, file.count);
    all.push(...lines);
  }
  return all;
}

async function exportAll(path: string): Promise<{ manifest: Manifest; resources: Resource[] }> {
  const manifest = await manifestOf(await kickOff(path));
  return { manifest, resources: await download(manifest) };
}

const key = (r: Resource): string => `${r.resourceType}/${r.id}`;

describe('bulk data export ($export, Bulk Data Access IG v2)', () => {
  it('exports the whole server: kick-off, manifest, one NDJSON file per type', async () => {
    const before = new Date().toISOString();
    const { manifest, resources } = await exportAll('$export');
    assert.equal(manifest.request, `${sample.client.base}/$export`);
    assert.equal(manifest.requiresAccessToken, true);
    assert.deepEqual(manifest.error, []);
    assert.ok(manifest.transactionTime >= before);
    const types = manifest.output.map((o) => o.type);
    assert.equal(new Set(types).size, types.length, 'one file per type');
    for (const type of ['Patient', 'Observation', 'Organization', 'Practitioner', 'DocumentReference', 'Binary', 'Group']) assert.ok(types.includes(type), type);
    assert.equal(resources.filter((r) => r.resourceType === 'Patient').length, 60);
    const observations = (await sample.client.get<Bundle>('Observation?_summary=count')).body.total;
    assert.equal(manifest.output.find((o) => o.type === 'Observation')?.count, observations);
    assert.equal(new Set(resources.map(key)).size, resources.length, 'no duplicates');
  });

  it('limits Patient/$export to the patients\' compartments', async () => {
    const { manifest, resources } = await exportAll('Patient/$export');
    const types = new Set(manifest.output.map((o) => o.type));
    for (const outside of ['Organization', 'Practitioner', 'Binary']) assert.ok(!types.has(outside), `${outside} is in no patient compartment`);
    assert.ok(types.has('Observation') && types.has('DocumentReference'));
    assert.equal(resources.filter((r) => r.resourceType === 'Patient').length, 60);
    for (const resource of resources) {
      if (resource.resourceType !== 'Patient') assert.match(JSON.stringify(resource), /"reference":"Patient\/pat-\d{3}"/, key(resource));
    }
  });

  it('exports for Group/{id} exactly what is in its members\' compartments', async () => {
    const { id, members } = SAMPLE_FIXTURES.cohortGroup;
    const { manifest, resources } = await exportAll(`Group/${id}/$export`);
    assert.equal(manifest.request, `${sample.client.base}/Group/${id}/$export`);
    const expected = new Set<string>();
    for (const member of members) {
      for (const page of await allPages(sample.client, `${member}/*?_count=1000`)) for (const k of ids(page)) expected.add(k);
    }
    assert.deepEqual(new Set(resources.map(key)), expected);
    assert.ok(expected.has(`DocumentReference/${SAMPLE_FIXTURES.documents[0]?.documentReferenceId}`));
  });

  it('honours _type, and _since (resources changed after the instant)', async () => {
    const typed = await exportAll('Patient/$export?_type=Condition,Patient');
    assert.deepEqual(typed.manifest.output.map((o) => o.type), ['Condition', 'Patient']);
    assert.equal(typed.manifest.request, `${sample.client.base}/Patient/$export?_type=Condition,Patient`);

    const since = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const created = await sample.client.request<Resource>('POST', 'Condition', { resourceType: 'Condition', subject: { reference: 'Patient/pat-003' }, code: { text: 'new' } });
    const recent = await exportAll(`Group/${SAMPLE_FIXTURES.cohortGroup.id}/$export?_since=${since}`);
    assert.deepEqual(recent.resources.map(key), [`Condition/${created.body.id}`]);
    const outsider = await exportAll(`Group/${SAMPLE_FIXTURES.cohortGroup.id}/$export?_since=${since}&_type=Observation`);
    assert.deepEqual(outsider.manifest.output, [], 'no file for a type without resources');
  });

  it('keeps the files as of transactionTime, whatever is written afterwards', async () => {
    const manifest = await manifestOf(await kickOff(`Group/${SAMPLE_FIXTURES.cohortGroup.id}/$export?_type=Patient`));
    const { body: patient } = await sample.client.get<Resource & { active?: boolean }>('Patient/pat-004');
    await sample.client.request('PUT', 'Patient/pat-004', { ...patient, active: !patient.active });
    const exported = (await download(manifest)).find((r) => r.id === 'pat-004');
    assert.equal(exported?.meta?.versionId, patient.meta?.versionId);
  });

  it('deletes a job: 202, then 404 for its status and files', async () => {
    const statusUrl = await kickOff('$export?_type=Patient');
    const manifest = await manifestOf(statusUrl);
    const deleted = await sample.client.request<OperationOutcome>('DELETE', statusUrl);
    assert.equal(deleted.status, 202);
    const gone = await sample.client.get<OperationOutcome>(statusUrl);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.resourceType, 'OperationOutcome');
    assert.equal((await fetch(manifest.output[0]?.url ?? '')).status, 404);
    assert.equal((await sample.client.get('$export-status/no-such-job')).status, 404);
    assert.equal((await sample.client.request('DELETE', '$export-status/no-such-job')).status, 404);
  });

  it('rejects a kick-off without Prefer: respond-async, and bad parameters, with an OperationOutcome', async () => {
    const expect400 = async (path: string, headers: Record<string, string>, text: RegExp): Promise<void> => {
      const { status, body } = await sample.client.get<OperationOutcome>(path, headers);
      assert.equal(status, 400, path);
      assert.equal(body.resourceType, 'OperationOutcome');
      assert.match(body.issue?.[0]?.details?.text ?? '', text);
    };
    await expect400('$export', {}, /Prefer: respond-async/);
    await expect400('Patient/$export', { accept: 'application/fhir+json' }, /Prefer: respond-async/);
    await expect400('$export?_type=Nonsense', ASYNC, /Unknown resource type/);
    await expect400('Patient/$export?_type=Organization', ASYNC, /not in the Patient compartment/);
    await expect400('$export?_outputFormat=text/csv', ASYNC, /_outputFormat/);
    await expect400('$export?_since=yesterday', ASYNC, /_since/);
    await expect400('$export?_typeFilter=Patient%3Factive%3Dtrue', ASYNC, /not supported/);
    assert.equal((await sample.client.get('$export?_typeFilter=x', { prefer: 'respond-async, handling=lenient' })).status, 202);
    assert.equal((await sample.client.get('Group/no-such-group/$export', ASYNC)).status, 404);
  });

  it('is advertised in the CapabilityStatement', async () => {
    const { body } = await sample.client.get<CapabilityStatement>('metadata');
    assert.ok(body.instantiates?.includes('http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data'));
    assert.ok(body.rest?.[0]?.operation?.some((o) => o.name === 'export'));
    for (const type of ['Patient', 'Group']) {
      assert.ok(body.rest?.[0]?.resource?.find((r) => r.type === type)?.operation?.some((o) => o.name === 'export'), type);
    }
  });
});
