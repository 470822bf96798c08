/**
 * Enforcement on writes (create, update, patch, delete, conditional forms), batch, transaction,
 * history, operations, GraphQL, bulk export, Binary and patient self-access, against the real
 * sample server with on-chain grants (see world.ts: prac-01 may read pat-001, read and write
 * pat-003, and nothing of pat-002).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNothingOf, startWorld, type World } from './world.js';

describe('consent enforcement: writes, bundles, history, operations', () => {
  let w: World;
  before(async () => (w = await startWorld()));
  after(async () => w.close());

  const observation = (patient: string, note: string) => ({ resourceType: 'Observation', status: 'final', code: { text: note }, subject: { reference: `Patient/${patient}` } });
  const countDirect = async (note: string) => ((await w.direct(`/Observation?code:text=${note}&_count=100`))['entry'] ?? []).length as number;

  it('create: permitted for a patient who allows writes; refused for read-only and denied patients, nothing stored', async () => {
    assert.equal((await w.call('POST', '/Observation', w.prac01, { body: observation('pat-003', 'w-ok') })).status, 201);
    for (const patient of ['pat-001', 'pat-002']) {
      const refused = await w.call('POST', '/Observation', w.prac01, { body: observation(patient, `w-no-${patient}`) });
      assert.equal(refused.status, 403, patient);
      assert.equal(await countDirect(`w-no-${patient}`), 0, 'never reached the upstream');
    }
  });

  it('update, patch and delete decide on the current AND the new content: moving a resource to another patient needs both', async () => {
    const created = (await w.call('POST', '/Observation', w.prac01, { body: observation('pat-003', 'w-move') })).json();
    const path = `/Observation/${created['id']}`;
    const moved = await w.call('PUT', path, w.prac01, { body: { ...created, subject: { reference: 'Patient/pat-002' } } });
    assert.equal(moved.status, 403);
    const patched = await w.call('PATCH', path, w.prac01, { body: [{ op: 'replace', path: '/subject/reference', value: 'Patient/pat-002' }], headers: { 'content-type': 'application/json-patch+json' } });
    assert.equal(patched.status, 403);
    assert.equal((await w.direct(path))['subject']['reference'], 'Patient/pat-003', 'still pat-003\'s');
    const ok = await w.call('PATCH', path, w.prac01, { body: [{ op: 'replace', path: '/status', value: 'amended' }], headers: { 'content-type': 'application/json-patch+json' } });
    assert.equal(ok.status, 200);
    for (const [method, target] of [['PUT', '/Observation/obs-002-01'], ['DELETE', '/Observation/obs-002-01'], ['DELETE', '/Observation/obs-001-01']] as const) {
      const body = method === 'PUT' ? { ...(await w.direct(target)), status: 'cancelled' } : undefined;
      const refused = await w.call(method, target, w.prac01, body ? { body } : {});
      assert.equal(refused.status, 403, `${method} ${target}`);
      assertNothingOf(refused, w.deniedMarkers);
    }
    assert.equal((await w.direct('/Observation/obs-002-01'))['resourceType'], 'Observation', 'not deleted');
    assert.equal((await w.call('DELETE', path, w.prac01)).status < 300, true);
  });

  it('conditional update and delete are decided on what their criteria match', async () => {
    const mrn = 'http://hospital.example.org/mrn|MRN-100002';
    const current = await w.direct('/Patient/pat-002');
    const update = await w.call('PUT', `/Patient?identifier=${encodeURIComponent(mrn)}`, w.prac01, { body: { ...current, id: undefined, gender: 'other' } });
    assert.equal(update.status, 403);
    const remove = await w.call('DELETE', `/Patient?identifier=${encodeURIComponent(mrn)}`, w.prac01);
    assert.equal(remove.status, 403);
    assert.equal((await w.direct('/Patient/pat-002'))['gender'], current['gender']);
  });

  it('batch: each entry decided on its own; transaction: one denied entry rejects all, nothing written', async () => {
    const batch = await w.call('POST', '', w.prac01, {
      body: { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Patient/pat-001' } }, { request: { method: 'GET', url: 'Patient/pat-002' } }, { request: { method: 'GET', url: 'Observation?subject=Patient/pat-002' } }] },
    });
    assert.equal(batch.status, 200);
    const statuses = (batch.json()['entry'] as any[]).map((e) => e.response.status.slice(0, 3));
    assert.deepEqual(statuses, ['200', '403', '200']);
    // The search entry's self link echoes the caller's own criteria; nothing else may name pat-002.
    assertNothingOf({ ...batch, text: batch.text.replace(/subject(=|%3D)Patient(\/|%2F)pat-002/g, '') }, w.deniedMarkers);
    const transaction = await w.call('POST', '', w.prac01, {
      body: { resourceType: 'Bundle', type: 'transaction', entry: [
        { resource: observation('pat-003', 'tx-all'), request: { method: 'POST', url: 'Observation' } },
        { resource: observation('pat-002', 'tx-all'), request: { method: 'POST', url: 'Observation' } },
      ] },
    });
    assert.equal(transaction.status, 403);
    assert.match(transaction.text, /entry 1/);
    assert.equal(await countDirect('tx-all'), 0);
  });

  it('history: instance history decided per version; type and system history refused for users', async () => {
    const denied = await w.call('GET', '/Patient/pat-002/_history', w.prac01);
    assert.equal(denied.status, 200);
    assert.deepEqual(denied.json()['entry'] ?? [], []);
    assertNothingOf({ ...denied, text: denied.text.replace(/Patient\/pat-002\/_history/g, '') }, w.deniedMarkers);
    assert.equal((await w.call('GET', '/Observation/_history', w.prac01)).status, 403);
    assert.equal((await w.call('GET', '/_history', w.prac01)).status, 403);
  });

  it('$everything only for a permitted patient, filtered; unknown operations, GraphQL and $export refused for users', async () => {
    const denied = await w.call('GET', '/Patient/pat-002/$everything', w.prac01);
    assert.equal(denied.status, 403);
    const permitted = await w.call('GET', '/Patient/pat-001/$everything', w.prac01);
    assert.equal(permitted.status, 200);
    assert.ok((permitted.json()['entry'] as any[]).length > 1);
    assertNothingOf(permitted, w.deniedMarkers);
    assert.equal((await w.call('GET', '/Patient/pat-002/$frobnicate', w.prac01)).status, 403);
    const graphql = await w.call('POST', '/$graphql', w.prac01, { body: { query: '{ Patient(id: "pat-002") { id } }' } });
    assert.equal(graphql.status, 403);
    assert.match(graphql.text, /graphql/i);
    assert.equal((await w.call('GET', '/$export', w.prac01, { headers: { prefer: 'respond-async' } })).status, 403);
  });

  it('Binary is decided by its securityContext', async () => {
    assert.equal((await w.call('GET', '/Binary/bin-001', w.prac01)).status, 200, 'context DocumentReference of pat-001');
    for (const id of ['bin-002', 'bin-pat-002']) {
      const denied = await w.call('GET', `/Binary/${id}`, w.prac01);
      assert.equal(denied.status, 403, id);
    }
    assert.equal((await w.call('GET', '/Binary/bin-public', w.prac01)).status, 200, 'no context: scopes alone');
  });

  it('a patient reaches their own compartment only, and shared resources need the other patients too', async () => {
    const self = await w.gateway.mint({ fhirUser: 'Patient/pat-002', scope: 'patient/*.rs', patient: 'pat-002' });
    assert.equal((await w.call('GET', '/Patient/pat-002', self)).status, 200);
    assert.equal((await w.call('GET', '/Patient/pat-001', self)).status, 403);
    assert.equal((await w.call('GET', '/Observation/obs-cross-01', self)).status, 403, 'pat-001 has not permitted pat-002');
    const own = await w.call('GET', '/Observation?_count=200', self);
    const subjects = new Set((own.json()['entry'] as any[]).map((e) => e.resource.subject?.reference));
    assert.deepEqual([...subjects], ['Patient/pat-002']);
  });
});
