import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Bundle, CapabilityStatement, Observation, OperationOutcome, Patient } from 'fhir/r4.js';
import { createLegacyCsvSource } from '../../../src/adapters/upstream/legacy-csv/legacy-csv-source.js';
import { CsvSyntaxError, parseCsv } from '../../../src/adapters/upstream/legacy-csv/csv-parser.js';
import { CustosError } from '../../../src/errors.js';
import { loadPatientCompartment } from '../../../src/fhir/patient-compartment.js';
import type { FhirSource, UpstreamRequest } from '../../../src/fhir/upstream.js';

const BASE = 'http://legacy-csv.invalid/fhir';
const MRN_SYSTEM = 'http://hospital.example.org/mrn';
const PATIENTS_FILE = 'examples/legacy/patients.csv';
const OBSERVATIONS_FILE = 'examples/legacy/observations.csv';
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

type Json = Record<string, unknown>;

async function send(source: FhirSource, method: string, target: string, extra: Partial<UpstreamRequest> = {}) {
  const q = target.indexOf('?');
  const response = await source.send({
    method,
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? '' : target.slice(q),
    headers: { accept: 'application/fhir+json' },
    ...extra,
  });
  const raw = await response.body.collect();
  return { status: response.status, headers: response.headers, raw, json: raw.length ? (JSON.parse(raw.toString('utf8')) as Json) : undefined };
}

const get = (source: FhirSource, target: string) => send(source, 'GET', target);
const bundleOf = (json: Json | undefined) => json as unknown as Bundle;
const idsOf = (json: Json | undefined) => (bundleOf(json).entry ?? []).map((e) => e.resource?.id);
const outcomeText = (json: Json | undefined) => (json as unknown as OperationOutcome).issue.map((i) => i.details?.text ?? '').join(' ');

/** The part of a link the source is asked for: its path and query relative to the base. */
function relative(url: string): string {
  assert.ok(url.startsWith(`${BASE}/`), `link ${url} is on the source's base`);
  return url.slice(BASE.length);
}

describe('CSV parsing (RFC 4180)', () => {
  it('reads quoted commas, escaped quotes, quoted line breaks and CRLF, counting lines', () => {
    const records = parseCsv('a,b,c\r\n"x, y","say ""hi""",\r\n"two\r\nlines",2,3\r\nlast,row,here');
    assert.deepEqual(records, [
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x, y', 'say "hi"', ''] },
      { line: 3, fields: ['two\r\nlines', '2', '3'] },
      { line: 5, fields: ['last', 'row', 'here'] },
    ]);
  });

  it('accepts LF endings, a byte order mark, a blank trailing line and blank lines between rows', () => {
    assert.deepEqual(parseCsv('\ufeffh1,h2\n1,2\n\n3,4\n\n'), [
      { line: 1, fields: ['h1', 'h2'] },
      { line: 2, fields: ['1', '2'] },
      { line: 4, fields: ['3', '4'] },
    ]);
    assert.deepEqual(parseCsv(''), []);
    assert.deepEqual(parseCsv('""\n'), [{ line: 1, fields: [''] }], 'a quoted empty field is a record, not a blank line');
  });

  it('refuses malformed quoting with the line, never the text', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['a,b\n"Secretname,2\n3,4', 2, /never closed/],
      ['a,b\n1,"Secret"name\n', 2, /after a closing quote/],
      ['a,b\n1,2\nSe"cret,3', 3, /quote inside an unquoted field/],
    ];
    for (const [text, line, reason] of cases) {
      assert.throws(() => parseCsv(text), (error: unknown) => {
        assert.ok(error instanceof CsvSyntaxError);
        assert.equal(error.line, line);
        assert.match(error.message, reason);
        assert.doesNotMatch(error.message, /Secret/);
        return true;
      });
    }
  });
});

describe('legacy CSV source: loading', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'custos-csv-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const PATIENTS = 'mrn,family,given,gender,birth_date\r\nMRN-1,Secretname,Ann,F,1990-01-02\r\n';
  const OBSERVATIONS = 'id,mrn,loinc,display,value,unit,effective\r\no-1,MRN-1,8867-4,"Heart rate, resting",61,/min,2024-01-01\r\n';

  async function load(patients: string, observations: string) {
    const patientsFile = join(dir, `p-${Math.random().toString(36).slice(2)}.csv`);
    const observationsFile = join(dir, `o-${Math.random().toString(36).slice(2)}.csv`);
    await writeFile(patientsFile, patients);
    await writeFile(observationsFile, observations);
    const source = await createLegacyCsvSource({ id: 'legacy', baseUrl: BASE, patientsFile, observationsFile, identifierSystem: MRN_SYSTEM });
    return { source, patientsFile, observationsFile };
  }

  async function refusal(patients: string, observations: string, where: 'patients' | 'observations', line: number, reason: RegExp) {
    await assert.rejects(load(patients, observations), (error: unknown) => {
      assert.ok(error instanceof CustosError);
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.match(error.message, new RegExp(`[/\\\\]${where === 'patients' ? 'p' : 'o'}-[a-z0-9]+\\.csv:${line}: `));
      assert.match(error.message, reason);
      for (const value of ['Secretname', 'MRN-1', '1990-01-02', 'Secret']) assert.ok(!error.message.includes(value), `message shows "${value}": ${error.message}`);
      return true;
    });
  }

  it('loads CRLF files with quoted commas and maps M/F gender codes', async () => {
    const { source } = await load(PATIENTS, OBSERVATIONS);
    const patient = (await get(source, '/Patient/lg-1')).json as unknown as Patient;
    assert.equal(patient.gender, 'female');
    const observation = (await get(source, '/Observation/o-1')).json as unknown as Observation;
    assert.equal(observation.code.text, 'Heart rate, resting');
    assert.deepEqual(observation.subject, { reference: 'Patient/lg-1' });
  });

  it('refuses to start on a malformed row, naming file:line and never a value', async () => {
    await refusal(PATIENTS + 'MRN-2,Secretname,Bo,M\r\n', OBSERVATIONS, 'patients', 3, /4 fields where the header has 5/);
    await refusal(PATIENTS + 'MRN-2,"Secret"name,Bo,M,1990-01-02\r\n', OBSERVATIONS, 'patients', 3, /closing quote/);
    await refusal(PATIENTS + 'MRN-2,Secretname,Bo,M,02/01/1990\r\n', OBSERVATIONS, 'patients', 3, /"birth_date" must be a date/);
    await refusal(PATIENTS + 'MRN-2,Secretname,Bo,Secret,1990-01-02\r\n', OBSERVATIONS, 'patients', 3, /"gender" must be/);
    await refusal(PATIENTS + 'MRN-1,Secretname,Bo,M,1990-01-02\r\n', OBSERVATIONS, 'patients', 3, /same patient id as line 2/);
    await refusal(PATIENTS + 'Secret,Secretname,Bo,M,1990-01-02\r\n', OBSERVATIONS, 'patients', 3, /no digits/);
    await refusal('mrn,family,given,gender\r\n', OBSERVATIONS, 'patients', 1, /lacks column\(s\) birth_date/);
    await refusal(PATIENTS, OBSERVATIONS + 'o-2,MRN-1,8867-4,Heart rate,Secret,/min,2024-01-01\r\n', 'observations', 3, /"value" must be a decimal/);
    await refusal(PATIENTS, OBSERVATIONS + 'o-2,MRN-1,8867-4,Heart rate,60,/min,2024-01-01T10:00\r\n', 'observations', 3, /"effective" must be a FHIR dateTime/);
    await refusal(PATIENTS, OBSERVATIONS + 'o-2,MRN-9,8867-4,Heart rate,60,/min,2024-01-01\r\n', 'observations', 3, /matches no patient/);
    await refusal(PATIENTS, OBSERVATIONS + 'o-1,MRN-1,8867-4,Heart rate,60,/min,2024-01-01\r\n', 'observations', 3, /repeats the id of line 2/);
    await refusal(PATIENTS, OBSERVATIONS + 'o 2,MRN-1,8867-4,Heart rate,60,/min,2024-01-01\r\n', 'observations', 3, /"id" must be/);
    await refusal(PATIENTS, OBSERVATIONS + 'o-2,MRN-1,Secret,Heart rate,60,/min,2024-01-01\r\n', 'observations', 3, /"loinc" must be a LOINC code/);
  });

  it('refuses a missing file and a bad base URL or identifier system as configuration errors', async () => {
    const options = { id: 'legacy', patientsFile: join(dir, 'nope.csv'), observationsFile: join(dir, 'nope.csv'), identifierSystem: MRN_SYSTEM };
    await assert.rejects(createLegacyCsvSource(options), /cannot read .*nope\.csv \(ENOENT\)/);
    const files = { patientsFile: PATIENTS_FILE, observationsFile: OBSERVATIONS_FILE };
    await assert.rejects(createLegacyCsvSource({ id: 'legacy', baseUrl: 'legacy/fhir', ...files, identifierSystem: MRN_SYSTEM }), /baseUrl must be an absolute http\(s\) URL/);
    await assert.rejects(createLegacyCsvSource({ id: 'legacy', ...files, identifierSystem: 'mrn' }), /identifierSystem must be an absolute URI/);
  });

  it('defaults the base URL to a reserved .invalid host named after the source', async () => {
    const source = await createLegacyCsvSource({ id: 'legacy', patientsFile: PATIENTS_FILE, observationsFile: OBSERVATIONS_FILE, identifierSystem: MRN_SYSTEM });
    assert.equal(source.baseUrl, 'http://legacy.legacy-csv.invalid/fhir');
  });
});

describe('legacy CSV source: the sample files as FHIR', () => {
  let source: FhirSource;
  let patientsModified: string;
  before(async () => {
    source = await createLegacyCsvSource({ id: 'legacy', baseUrl: `${BASE}/`, patientsFile: PATIENTS_FILE, observationsFile: OBSERVATIONS_FILE, identifierSystem: MRN_SYSTEM });
    patientsModified = (await stat(PATIENTS_FILE)).mtime.toISOString();
  });

  it('is a FhirSource: id, base without trailing slash, ping true, close a no-op', async () => {
    assert.equal(source.id, 'legacy');
    assert.equal(source.baseUrl, BASE);
    assert.equal(await source.ping(), true);
    await source.close();
    assert.equal((await get(source, '/metadata')).status, 200, 'still answers after close (nothing to release)');
  });

  it('answers /metadata with an R4 CapabilityStatement: read and search only, the parameters it filters on', async () => {
    const { status, headers, json } = await get(source, '/metadata');
    assert.equal(status, 200);
    assert.match(String(headers['content-type']), /^application\/fhir\+json/);
    const cs = json as unknown as CapabilityStatement;
    assert.equal(cs.resourceType, 'CapabilityStatement');
    assert.equal(cs.fhirVersion, '4.0.1');
    assert.equal(cs.implementation?.url, BASE);
    const resources = cs.rest?.[0]?.resource ?? [];
    assert.deepEqual(resources.map((r) => r.type), ['Patient', 'Observation']);
    for (const r of resources) assert.deepEqual(r.interaction?.map((i) => i.code), ['read', 'search-type']);
    assert.deepEqual(resources[0]?.searchParam?.map((p) => p.name), ['_id', 'identifier']);
    assert.deepEqual(resources[1]?.searchParam?.map((p) => p.name), ['_id', 'patient', 'subject', 'code']);
  });

  it('reads the patient shared with the sample server: MRN-100001 under the configured system', async () => {
    const { status, headers, json } = await get(source, '/Patient/lg-100001');
    assert.equal(status, 200);
    assert.equal(headers['etag'], 'W/"1"');
    const patient = json as unknown as Patient;
    assert.deepEqual(patient.meta, { versionId: '1', lastUpdated: patientsModified });
    assert.equal(patient.identifier?.[0]?.system, MRN_SYSTEM);
    assert.equal(patient.identifier?.[0]?.value, 'MRN-100001');
    assert.deepEqual(patient.name, [{ use: 'official', family: 'Ibrahim', given: ['Grace', 'Elena'] }]);
    assert.equal(patient.gender, 'female');
    assert.equal(patient.birthDate, '1990-10-28');
  });

  it('reads an Observation: LOINC code, UCUM quantity, effectiveDateTime, final, subject', async () => {
    const observation = (await get(source, '/Observation/lgobs-0004')).json as unknown as Observation;
    assert.equal(observation.status, 'final');
    assert.deepEqual(observation.code.coding, [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }]);
    assert.deepEqual(observation.valueQuantity, { value: 64.2, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' });
    assert.equal(observation.effectiveDateTime, '2024-02-03T09:20:00Z');
    assert.deepEqual(observation.subject, { reference: 'Patient/lg-100001' });
    assert.equal(observation.meta?.versionId, '1');
  });

  it('answers 404 with an OperationOutcome for an unknown id, without echoing it', async () => {
    for (const target of ['/Patient/lg-424242', '/Observation/nope', '/Patient/not%20an%20id']) {
      const { status, json } = await get(source, target);
      assert.equal(status, 404, target);
      assert.equal(json?.['resourceType'], 'OperationOutcome');
      assert.equal((json as unknown as OperationOutcome).issue[0]?.code, 'not-found');
      assert.doesNotMatch(outcomeText(json), /424242|nope/);
    }
  });

  it('searches Patient by identifier (system|value, value, system|) and _id', async () => {
    assert.deepEqual(idsOf((await get(source, `/Patient?identifier=${MRN_SYSTEM}|MRN-100001`)).json), ['lg-100001']);
    assert.deepEqual(idsOf((await get(source, '/Patient?identifier=MRN-900003')).json), ['lg-900003']);
    assert.deepEqual(idsOf((await get(source, '/Patient?identifier=http://other.example/mrn|MRN-100001')).json), []);
    assert.deepEqual(idsOf((await get(source, '/Patient?identifier=|MRN-100001')).json), [], '|value means "no system"');
    assert.equal(idsOf((await get(source, `/Patient?identifier=${MRN_SYSTEM}|`)).json).length, 5);
    assert.deepEqual(idsOf((await get(source, '/Patient?_id=lg-900005,lg-100001')).json), ['lg-100001', 'lg-900005'], 'file order');
    assert.deepEqual(idsOf((await get(source, `/Patient?_id=lg-900005,lg-100001&identifier=${MRN_SYSTEM}|MRN-900005`)).json), ['lg-900005'], 'parameters AND');
  });

  it('answers a searchset Bundle: fullUrl, search.mode match, total, self link of what was applied', async () => {
    const { status, json } = await get(source, `/Patient?identifier=${MRN_SYSTEM}|MRN-100001&_total=accurate&_id=`);
    assert.equal(status, 200);
    const bundle = bundleOf(json);
    assert.equal(bundle.type, 'searchset');
    assert.equal(bundle.total, 1);
    assert.deepEqual(bundle.entry?.[0]?.search, { mode: 'match' });
    assert.equal(bundle.entry?.[0]?.fullUrl, `${BASE}/Patient/lg-100001`);
    const self = bundle.link?.find((l) => l.relation === 'self')?.url;
    assert.equal(self, `${BASE}/Patient?identifier=${MRN_SYSTEM}|MRN-100001&_count=50`, 'the empty _id is ignored and not reported');
    assert.equal(bundle.link?.some((l) => l.relation === 'next'), false);
  });

  it('searches Observation by patient or subject in every reference form, by code and by _id', async () => {
    const all = ['lgobs-0001', 'lgobs-0002', 'lgobs-0003', 'lgobs-0004', 'lgobs-0005', 'lgobs-0006'];
    for (const query of ['patient=Patient/lg-100001', 'patient=lg-100001', 'subject=Patient/lg-100001', `subject=${BASE}/Patient/lg-100001`]) {
      assert.deepEqual(idsOf((await get(source, `/Observation?${query}`)).json), all, query);
    }
    assert.deepEqual(idsOf((await get(source, '/Observation?code=http://loinc.org|8867-4')).json), ['lgobs-0001', 'lgobs-0006', 'lgobs-0007', 'lgobs-0012', 'lgobs-0014']);
    assert.deepEqual(idsOf((await get(source, '/Observation?patient=Patient/lg-100001&code=8867-4,http://loinc.org|29463-7')).json), ['lgobs-0001', 'lgobs-0004', 'lgobs-0006']);
    assert.deepEqual(idsOf((await get(source, '/Observation?code=http://snomed.info/sct|8867-4')).json), []);
    assert.deepEqual(idsOf((await get(source, '/Observation?_id=lgobs-0020&patient=lg-900005')).json), ['lgobs-0020']);
    assert.deepEqual(idsOf((await get(source, '/Observation?_id=lgobs-0020&patient=lg-100001')).json), []);
    assert.deepEqual(idsOf((await get(source, '/Observation?patient=Practitioner/lg-100001')).json), [], 'names no patient');
  });

  it('searches the patient compartment: Patient/{id}/Observation, with further criteria', async () => {
    const { json } = await get(source, '/Patient/lg-900002/Observation');
    assert.deepEqual(idsOf(json), ['lgobs-0007', 'lgobs-0008', 'lgobs-0009', 'lgobs-0010']);
    assert.equal(bundleOf(json).link?.[0]?.url, `${BASE}/Patient/lg-900002/Observation?_count=50`);
    assert.deepEqual(idsOf((await get(source, '/Patient/lg-100001/Observation?code=http://loinc.org|8867-4')).json), ['lgobs-0001', 'lgobs-0006']);
    for (const target of ['/Patient/lg-424242/Observation', '/Patient/not%20an%20id/Observation']) {
      const unknown = await get(source, target);
      assert.equal(unknown.status, 200, target);
      assert.equal(bundleOf(unknown.json).total, 0, target);
    }
  });

  it('pages with _count and _offset: next links walk every match once, in order', async () => {
    const seen: string[] = [];
    let target: string | undefined = '/Observation?_count=8';
    let pages = 0;
    while (target) {
      const bundle = bundleOf((await get(source, target)).json);
      assert.equal(bundle.total, 20);
      assert.ok((bundle.entry?.length ?? 0) <= 8);
      seen.push(...(bundle.entry ?? []).map((e) => e.resource?.id ?? ''));
      if (pages > 0) assert.ok(bundle.link?.some((l) => l.relation === 'previous'), 'pages after the first link back');
      const next = bundle.link?.find((l) => l.relation === 'next')?.url;
      target = next ? relative(next) : undefined;
      pages++;
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => `lgobs-${String(i + 1).padStart(4, '0')}`));

    const second = bundleOf((await get(source, '/Patient/lg-100001/Observation?code=8867-4,8480-6&_count=1&_offset=1')).json);
    assert.deepEqual(second.link?.map((l) => [l.relation, l.url]), [
      ['self', `${BASE}/Patient/lg-100001/Observation?code=8867-4,8480-6&_count=1&_offset=1`],
      ['first', `${BASE}/Patient/lg-100001/Observation?code=8867-4,8480-6&_count=1`],
      ['previous', `${BASE}/Patient/lg-100001/Observation?code=8867-4,8480-6&_count=1`],
      ['next', `${BASE}/Patient/lg-100001/Observation?code=8867-4,8480-6&_count=1&_offset=2`],
    ]);
    const countOnly = bundleOf((await get(source, '/Observation?_count=0')).json);
    assert.equal(countOnly.total, 20);
    assert.equal(countOnly.entry?.length ?? 0, 0);
    assert.equal(countOnly.link?.some((l) => l.relation === 'next'), false);
    assert.equal(bundleOf((await get(source, '/Observation?_offset=40')).json).entry?.length ?? 0, 0);
    assert.equal(bundleOf((await get(source, '/Observation?_count=100000')).json).link?.[0]?.url, `${BASE}/Observation?_count=500`, 'capped, and says so');
  });

  it('answers POST _search (a read) with the form parameters, and HEAD with headers only', async () => {
    const form = await send(source, 'POST', '/Observation/_search', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from('patient=Patient/lg-900004&_count=2'),
    });
    assert.equal(form.status, 200);
    assert.deepEqual(idsOf(form.json), ['lgobs-0014', 'lgobs-0015']);
    const head = await send(source, 'HEAD', '/Patient/lg-100001');
    assert.equal(head.status, 200);
    assert.equal(head.raw.length, 0);
    assert.equal(head.headers['etag'], 'W/"1"');
  });

  it('refuses every write with 405: this source is read-only', async () => {
    for (const [method, target] of [['POST', '/Patient'], ['PUT', '/Patient/lg-100001'], ['PATCH', '/Observation/lgobs-0001'], ['DELETE', '/Patient/lg-100001'], ['POST', ''], ['DELETE', '/Condition/x']] as const) {
      const { status, headers, json } = await send(source, method, target, { body: Buffer.from('{"resourceType":"Patient"}') });
      assert.equal(status, 405, `${method} ${target}`);
      assert.equal(headers['allow'], 'GET, HEAD');
      assert.equal(json?.['resourceType'], 'OperationOutcome');
      assert.match(outcomeText(json), /read-only/);
    }
  });

  it('refuses what it cannot filter on with 400 naming the parameter, never its value', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/Patient?name=Secretname', /"name" cannot be used on Patient .* use only _id, identifier, _count, _offset, _total/],
      ['/Observation?code:text=Secretname', /"code:text" .*modifiers are not supported/],
      ['/Observation?patient.identifier=Secretname', /"patient.identifier" .*chained searches are not supported/],
      ['/Observation?_sort=date', /"_sort" cannot be used on Observation/],
      ['/Observation?_include=Observation:patient', /"_include"/],
      ['/Patient?patient=Secretname', /"patient" cannot be used on Patient/],
      ['/Observation?_count=-1', /"_count" must be a whole number/],
      ['/Observation?_offset=Secretname', /"_offset" must be a whole number/],
      ['/Observation?_total=Secretname', /"_total" must be none, estimate or accurate/],
      ['', /search across all types is not supported/],
      ['/Patient/lg-100001/_history', /only read .* and search/],
      ['/Patient/lg-100001/$everything', /only read .* and search/],
    ];
    for (const [target, reason] of cases) {
      const { status, json } = await get(source, target);
      assert.equal(status, 400, target);
      assert.equal((json as unknown as OperationOutcome).issue[0]?.code, 'invalid');
      assert.match(outcomeText(json), reason, target);
      assert.doesNotMatch(outcomeText(json), /Secret/);
    }
  });

  it('answers 404 for resource types it does not hold', async () => {
    for (const target of ['/Condition', '/Condition/1', '/Patient/lg-100001/Condition', '/patient/lg-100001']) {
      const { status, json } = await get(source, target);
      assert.equal(status, 404, target);
      assert.equal((json as unknown as OperationOutcome).issue[0]?.code, 'not-supported');
      assert.match(outcomeText(json), /only (Patient and )?Observation/);
    }
  });

  it('keeps the body contract: one read, by collect or stream', async () => {
    const response = await source.send({ method: 'GET', path: '/Patient/lg-100001', query: '', headers: {} });
    const chunks: Buffer[] = [];
    for await (const chunk of response.body.stream()) chunks.push(chunk as Buffer);
    assert.equal((JSON.parse(Buffer.concat(chunks).toString()) as Json)['id'], 'lg-100001');
    await assert.rejects(response.body.collect(), /already taken by stream/);
    response.body.discard(); // harmless after a read, as on the undici source
    const discarded = await source.send({ method: 'GET', path: '/metadata', query: '', headers: {} });
    discarded.body.discard();
    assert.throws(() => discarded.body.stream(), /already taken by discard/);
  });

  it('runs interceptors around send, in order, like any source', async () => {
    const seen: string[] = [];
    const wrapped = await createLegacyCsvSource({
      id: 'legacy', baseUrl: BASE, patientsFile: PATIENTS_FILE, observationsFile: OBSERVATIONS_FILE, identifierSystem: MRN_SYSTEM,
      interceptors: [(next) => (r) => (seen.push(`a ${r.path}`), next(r)), (next) => (r) => (seen.push(`b ${r.path}`), next(r))],
    });
    assert.equal((await get(wrapped, '/Patient/lg-100001')).status, 200);
    assert.deepEqual(seen, ['a /Patient/lg-100001', 'b /Patient/lg-100001']);
  });

  it('serves structurally sound resources whose patients the gateway can find', async () => {
    const compartment = loadPatientCompartment();
    const patients = bundleOf((await get(source, '/Patient?_count=500')).json).entry ?? [];
    const observations = bundleOf((await get(source, '/Observation?_count=500')).json).entry ?? [];
    assert.equal(patients.length, 5);
    assert.equal(observations.length, 20);
    const patientIds = new Set(patients.map((e) => e.resource?.id));
    for (const entry of [...patients, ...observations]) {
      const resource = entry.resource as unknown as Json & { meta: Json };
      assert.ok(resource['resourceType'] === 'Patient' || resource['resourceType'] === 'Observation');
      assert.match(String(resource['id']), FHIR_ID);
      assert.equal(entry.fullUrl, `${BASE}/${String(resource['resourceType'])}/${String(resource['id'])}`);
      assert.equal(resource.meta['versionId'], '1');
      assert.ok(!Number.isNaN(Date.parse(String(resource.meta['lastUpdated']))));
      const owners = compartment.patientsOf(resource);
      assert.equal(owners.length, 1, `${String(resource['id'])} is in exactly one patient compartment`);
      assert.ok(patientIds.has(owners[0]), `${String(resource['id'])}'s patient exists in this source`);
      if (resource['resourceType'] === 'Patient') {
        assert.ok((resource['identifier'] as Array<{ system: string }>).some((i) => i.system === MRN_SYSTEM), 'carries the shared patient identity');
      } else {
        const read = await get(source, `/${String((resource['subject'] as { reference: string }).reference)}`);
        assert.equal(read.status, 200, 'the subject reference resolves');
      }
    }
  });
});
