/**
 * Several upstream sources behind one gateway (see world.ts): one patient across sources under one
 * grant, SMART Backend Services credentials against a real token endpoint, routing by type, a
 * read-only source, the legacy CSV adapter through the full consent and audit path, and /metadata
 * per source.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNothingOf } from '../enforcement/world.js';
import { startSourcesWorld, type SourcesWorld } from './world.js';

describe('several sources behind one gateway', () => {
  let w: SourcesWorld;
  before(async () => {
    w = await startSourcesWorld();
    // One grant, naming the patient by her id in the default source: it covers the person.
    await w.grant({ patient: 'Patient/pat-001', grantee: 'Practitioner/prac-01', actions: ['read'] });
  });
  after(async () => w?.close());

  // pat-002 (MRN-100002) has no grant anywhere; MRN-900002 is a legacy-only patient with none.
  const denied = ['pat-002', 'MRN-100002', 'MRN-900002', 'lg-900002'];

  it('one grant covers the same person in every source, under each source\'s own id', async () => {
    const own = await w.call('GET', '/fhir/Patient/pat-001', w.prac01);
    assert.equal(own.status, 200);
    const clinic = await w.call('GET', '/sources/clinic/fhir/Patient/b-pat-001', w.prac01);
    assert.equal(clinic.status, 200, clinic.text);
    assert.equal(clinic.json()['id'], 'b-pat-001');
    const legacy = await w.call('GET', '/sources/legacy/fhir/Patient?identifier=http://hospital.example.org/mrn|MRN-100001', w.prac01);
    assert.equal(legacy.status, 200, legacy.text);
    const found = legacy.json()['entry'] as Array<{ resource: { id: string } }>;
    assert.equal(found.length, 1);
    const legacyRead = await w.call('GET', `/sources/legacy/fhir/Patient/${found[0]!.resource.id}`, w.prac01);
    assert.equal(legacyRead.status, 200);
  });

  it('the person without a grant is denied in every source, and nothing of her leaks', async () => {
    for (const path of ['/fhir/Patient/pat-002', '/sources/clinic/fhir/Patient/b-pat-002', '/sources/default/fhir/Patient/pat-002']) {
      const answer = await w.call('GET', path, w.prac01);
      assert.equal(answer.status, 403, path);
      assertNothingOf(answer, ['MRN-100002']);
    }
    const search = await w.call('GET', '/sources/clinic/fhir/Observation?_count=100', w.prac01);
    assert.equal(search.status, 200);
    const subjects = new Set((search.json()['entry'] as Array<{ resource: { subject?: { reference?: string } } }>).map((e) => e.resource.subject?.reference));
    assert.deepEqual([...subjects], ['Patient/b-pat-001']);
    assertNothingOf(search, ['b-pat-002', 'b-pat-003', 'MRN-100002']);
    const legacy = await w.call('GET', '/sources/legacy/fhir/Observation?_count=100', w.prac01);
    assert.equal(legacy.status, 200);
    assert.ok((legacy.json()['entry'] as unknown[]).length > 0, 'the granted person\'s legacy observations are served');
    assertNothingOf(legacy, denied);
  });

  it('a patient reaches her own records in every source without a grant, and nobody else\'s', async () => {
    const grace = await w.gateway.mint({ fhirUser: 'Patient/pat-001', scope: 'patient/*.rs' });
    for (const path of ['/fhir/Patient/pat-001', '/sources/clinic/fhir/Patient/b-pat-001', '/sources/legacy/fhir/Patient/lg-100001']) {
      const answer = await w.call('GET', path, grace);
      assert.equal(answer.status, 200, `${path}: ${answer.text}`);
    }
    for (const path of ['/sources/clinic/fhir/Patient/b-pat-002', '/sources/legacy/fhir/Patient/lg-900002']) {
      assert.equal((await w.call('GET', path, grace)).status, 403, path);
    }
    const search = await w.call('GET', '/sources/clinic/fhir/Observation?_count=100', grace);
    const subjects = new Set((search.json()['entry'] as Array<{ resource: { subject?: { reference?: string } } }>).map((e) => e.resource.subject?.reference));
    assert.deepEqual([...subjects], ['Patient/b-pat-001']);
  });

  it('ids never collide: each source\'s resources are linked under its own base', async () => {
    const answer = await w.call('GET', '/sources/clinic/fhir/Patient?_id=b-pat-001', w.prac01);
    assert.equal(answer.status, 200);
    const entry = (answer.json()['entry'] as Array<{ fullUrl: string }>)[0]!;
    assert.equal(entry.fullUrl, `${w.gateway.origin}/sources/clinic/fhir/Patient/b-pat-001`);
    assert.ok(!answer.text.includes(w.clinic.url), 'the upstream base is never shown');
    for (const path of ['/sources/nowhere/fhir/Patient/pat-001', '/sources/clinic/fhirx/Patient/b-pat-001', '/sources/clinic/Patient/b-pat-001']) {
      const missing = await w.call('GET', path, w.prac01);
      assert.equal(missing.status, 404, path);
      assertNothingOf(missing, ['MRN-100001']);
    }
  });

  it('SMART Backend Services: the clinic source is reached with a token from the real endpoint, reused', async () => {
    const direct = await fetch(`${w.clinic.url}/Patient/b-pat-001`);
    assert.equal(direct.status, 401, 'the clinic server demands a token');
    const before = w.oauth.tokensIssued;
    for (let i = 0; i < 5; i++) assert.equal((await w.call('GET', '/sources/clinic/fhir/Patient/b-pat-001', w.prac01)).status, 200);
    assert.ok(before >= 1, 'a token was obtained');
    assert.equal(w.oauth.tokensIssued, before, 'the cached token is reused');
    assert.deepEqual(w.oauth.rejections, []);
  });

  it('routing by type: DocumentReference at /fhir comes from the document repository', async () => {
    const answer = await w.call('GET', '/fhir/DocumentReference?patient=Patient/pat-001', w.prac01);
    assert.equal(answer.status, 200, answer.text);
    const entries = answer.json()['entry'] as Array<{ fullUrl: string; resource: { resourceType: string } }>;
    assert.ok(entries.length > 0);
    for (const entry of entries) {
      assert.equal(entry.resource.resourceType, 'DocumentReference');
      assert.ok(entry.fullUrl.startsWith(`${w.gateway.origin}/sources/documents/fhir/DocumentReference/`), entry.fullUrl);
    }
    assertNothingOf(answer, ['pat-002', w.documents.url]);
    const other = await w.call('GET', '/fhir/DocumentReference?patient=Patient/pat-002', w.prac01);
    assertNothingOf(other, ['MRN-100002']);
  });

  it('a read-only source refuses writes at the gateway with an OperationOutcome, before anything is forwarded', async () => {
    const writer = await w.gateway.mint({ fhirUser: 'Practitioner/prac-01', scope: 'user/*.cruds' });
    const observation = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/pat-001' } };
    for (const [method, path] of [['POST', '/sources/legacy/fhir/Observation'], ['PUT', '/sources/legacy/fhir/Observation/lgobs-0001'], ['DELETE', '/sources/legacy/fhir/Observation/lgobs-0001'], ['POST', '/fhir/DocumentReference'], ['POST', '/sources/documents/fhir/DocumentReference']] as const) {
      const body = path.includes('DocumentReference') ? { resourceType: 'DocumentReference', status: 'current', content: [], subject: { reference: 'Patient/pat-001' } } : { ...observation, ...(method === 'PUT' ? { id: 'lgobs-0001' } : {}) };
      const answer = await w.call(method, path, writer, method === 'DELETE' ? {} : { body });
      assert.equal(answer.status, 405, `${method} ${path}: ${answer.text}`);
      const outcome = answer.json();
      assert.equal(outcome['resourceType'], 'OperationOutcome');
      assert.match(outcome['issue'][0]['details']['text'], /read-only/);
    }
    const transaction = await w.call('POST', '/fhir', writer, { body: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'DocumentReference', status: 'current', content: [] }, request: { method: 'POST', url: 'DocumentReference' } }] } });
    assert.equal(transaction.status, 400, 'a transaction cannot reach a routed source');
  });

  it('/metadata states what each base supports: narrowed interactions, SMART security, routed types', async () => {
    const legacy = (await (await fetch(`${w.gateway.origin}/sources/legacy/fhir/metadata`)).json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const patient = legacy.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
    assert.ok(!patient.interaction.some((i: { code: string }) => ['create', 'update', 'delete', 'patch'].includes(i.code)));
    assert.equal(legacy.rest[0].security.service[0].coding[0].code, 'SMART-on-FHIR');
    const main = (await (await fetch(`${w.gateway.origin}/fhir/metadata`)).json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const documents = main.rest[0].resource.find((r: { type: string }) => r.type === 'DocumentReference');
    assert.ok(!documents.interaction.some((i: { code: string }) => i.code === 'create'), 'the routed read-only type offers no writes');
    const observation = main.rest[0].resource.find((r: { type: string }) => r.type === 'Observation');
    assert.ok(observation.interaction.some((i: { code: string }) => i.code === 'create'));
    const operations = (main.rest[0].operation ?? []).map((o: { name: string }) => o.name);
    assert.ok(!operations.includes('graphql'), 'GraphQL is disabled, so it is not offered');
    assert.ok(main.implementation.url.startsWith(w.gateway.origin), 'the gateway names itself');
  });

  it('a patient report covers the person at every source, each event once, and says which references it covers', async () => {
    const auditor = await w.gateway.mint({ fhirUser: 'Practitioner/auditor-1', scope: 'custos/auditor' });
    const ask = async () => {
      const response = await fetch(`${w.gateway.origin}/admin/reports/access`, {
        method: 'POST', headers: { authorization: `Bearer ${auditor}`, 'content-type': 'application/json' }, body: JSON.stringify({ patient: 'Patient/pat-001' }),
      });
      const text = await response.text();
      assert.equal(response.status, 200, text);
      return JSON.parse(text) as { scope: { alsoKnownAs?: string[] }; rows: Array<{ events: number[] }>; evidence: Array<{ index: number; canonical: string }> };
    };
    let report = await ask();
    for (let i = 0; i < 50 && !report.evidence.some((e) => e.canonical.includes('/sources/legacy/fhir')); i++) {
      await new Promise((r) => setTimeout(r, 100)); // events are sequenced just after their answers
      report = await ask();
    }
    // Every source holding her MRN: the clinic (other ids), the document repository (same ids), the CSV export.
    assert.deepEqual([...(report.scope.alsoKnownAs ?? [])].sort(), ['sources/clinic/Patient/b-pat-001', 'sources/documents/Patient/pat-001', 'sources/legacy/Patient/lg-100001']);
    const sites = new Set(report.evidence.map((e) => (JSON.parse(e.canonical) as { source: { site: string } }).source.site.replace(w.gateway.origin, '')));
    for (const base of ['/sources/clinic/fhir', '/sources/legacy/fhir']) assert.ok([...sites].some((s) => s.endsWith(base)), `events at ${base} are in the report`);
    const indices = report.rows.flatMap((r) => r.events);
    assert.equal(new Set(indices).size, indices.length, 'each event once');
    // Only events that touched her (under one of her references) are in it.
    const hers = ['Patient/b-pat-001', 'Patient/pat-001', 'Patient/lg-100001'];
    for (const e of report.evidence) {
      const patients = (JSON.parse(e.canonical) as { entity: Array<{ role?: { code?: string }; what?: { reference?: string } }> }).entity.filter((x) => x.role?.code === '1').map((x) => x.what?.reference);
      assert.ok(patients.some((p) => hers.includes(p ?? '')), `event ${e.index} touched her`);
    }
  });

  it('every source\'s requests are audited, naming the base they were served at', async () => {
    await w.call('GET', '/sources/legacy/fhir/Patient/lg-900002', w.prac01);
    const auditor = await w.gateway.mint({ fhirUser: 'Practitioner/auditor-1', scope: 'custos/auditor' });
    const search = await fetch(`${w.gateway.origin}/admin/audit/events/_search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${auditor}`, 'content-type': 'application/json' },
      body: JSON.stringify({ patient: 'sources/legacy/Patient/lg-900002' }),
    });
    const found = (await search.json()) as { events: Array<{ index: number }> };
    // Ids of different sources may collide: the log names a patient with her source, so a search
    // (or a report) for the default source's Patient/lg-900002 never picks up the legacy patient.
    const unqualified = await fetch(`${w.gateway.origin}/admin/audit/events/_search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${auditor}`, 'content-type': 'application/json' },
      body: JSON.stringify({ patient: 'Patient/lg-900002' }),
    });
    assert.deepEqual(((await unqualified.json()) as { events: unknown[] }).events, []);
    assert.equal(search.status, 200, JSON.stringify(found));
    assert.ok(found.events.length >= 1, 'the denied legacy read has its event');
    const event = await fetch(`${w.gateway.origin}/admin/audit/events/${found.events.at(-1)!.index}`, { headers: { authorization: `Bearer ${auditor}` } });
    const text = await event.text();
    assert.equal(event.status, 200, text);
    assert.ok(text.includes('/sources/legacy/fhir'), 'the event names the legacy base as its site');
  });
});
