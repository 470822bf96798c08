/**
 * A deliberately cheap FHIR "server" for the benchmark: it answers `GET <base>/Patient/:id` with a
 * fixed ~2 KB Patient, so the upstream's own cost (a few µs) does not swamp the proxy's cost. The
 * field notes explain why: medplum's search costs milliseconds and would hide the gateway entirely.
 *
 * Run as its own process: `node dist/bench/fixed-upstream.js --port 0`. When listening it prints
 * one JSON line `{"url":"http://127.0.0.1:<port>/fhir"}` on stdout (the same readiness contract as
 * the sample server), and it exits when its stdin closes so it never outlives the harness.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { listenAndAnnounce } from './child-lifetime.js';

const BASE_PATH = '/fhir';
const PATIENT_PREFIX = `${BASE_PATH}/Patient/`;
/** FHIR R4 `id` datatype: https://hl7.org/fhir/R4/datatypes.html#id */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const LAST_UPDATED = '2024-01-15T10:30:00.000Z';
const HEADERS_BASE = {
  'content-type': 'application/fhir+json; charset=utf-8',
  etag: 'W/"1"',
  'last-modified': new Date(LAST_UPDATED).toUTCString(),
};

/**
 * A realistic US-Core-shaped Patient (identifiers, names, telecom, address, extensions), about
 * 2 KB serialized. The id is spliced in per request so a gateway that checks the returned
 * resource against the requested id sees a consistent answer.
 */
function patientTemplate(id: string): object {
  return {
    resourceType: 'Patient',
    id,
    meta: {
      versionId: '1',
      lastUpdated: LAST_UPDATED,
      profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient'],
    },
    text: {
      status: 'generated',
      div: '<div xmlns="http://www.w3.org/1999/xhtml">Amy V. Shaw, female, born 1987-02-20</div>',
    },
    extension: [
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
        extension: [
          { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2106-3', display: 'White' } },
          { url: 'text', valueString: 'White' },
        ],
      },
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity',
        extension: [
          { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2186-5', display: 'Not Hispanic or Latino' } },
          { url: 'text', valueString: 'Not Hispanic or Latino' },
        ],
      },
      { url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex', valueCode: 'F' },
    ],
    identifier: [
      {
        use: 'usual',
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR', display: 'Medical Record Number' }] },
        system: 'http://hospital.example.org/mrn',
        value: '1032702',
      },
      { system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-47-1234' },
    ],
    active: true,
    name: [
      { use: 'official', family: 'Shaw', given: ['Amy', 'V.'], period: { start: '1987-02-20' } },
    ],
    telecom: [
      { system: 'phone', value: '555-555-5555', use: 'home' },
      { system: 'phone', value: '555-555-5556', use: 'mobile', rank: 1 },
      { system: 'email', value: 'amy.shaw@example.com' },
    ],
    gender: 'female',
    birthDate: '1987-02-20',
    address: [
      {
        use: 'home',
        line: ['49 Meadow St', 'Apt 2B'],
        city: 'Mounds',
        state: 'OK',
        postalCode: '74047',
        country: 'US',
        period: { start: '1987-02-20' },
      },
    ],
    maritalStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M', display: 'Married' }],
    },
    communication: [
      {
        language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en-US', display: 'English (United States)' }] },
        preferred: true,
      },
    ],
    generalPractitioner: [{ reference: 'Practitioner/prac-001', display: 'Dr. Adam Careful' }],
    managingOrganization: { reference: 'Organization/org-001', display: 'Example Hospital' },
  };
}

/** The body split around the id, serialized once; per request we only concatenate. */
const MARKER = '__ID__';
const [BODY_HEAD, BODY_TAIL] = JSON.stringify(patientTemplate(MARKER)).split(`"${MARKER}"`).map((s) => Buffer.from(s));

const CAPABILITY = Buffer.from(
  JSON.stringify({
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: LAST_UPDATED,
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    rest: [{ mode: 'server', resource: [{ type: 'Patient', interaction: [{ code: 'read' }] }] }],
  }),
);

function notFound(res: ServerResponse, status: number, diagnostics: string): void {
  const body = JSON.stringify({
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: status === 404 ? 'not-found' : 'not-supported', diagnostics }],
  });
  res.writeHead(status, { 'content-type': 'application/fhir+json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * `GET /fhir/Observation`: a fixed 50-entry searchset whose subjects cycle through pat-001 …
 * pat-005 (10 each), so a gateway that grants four of them filters 10 entries out of every page.
 */
export const SEARCH_PATIENTS = ['pat-001', 'pat-002', 'pat-003', 'pat-004', 'pat-005'];
const SEARCH_BODY = Buffer.from(JSON.stringify({
  resourceType: 'Bundle',
  type: 'searchset',
  total: 50,
  link: [{ relation: 'self', url: `http://127.0.0.1${BASE_PATH}/Observation` }],
  entry: Array.from({ length: 50 }, (_, i) => ({
    fullUrl: `http://127.0.0.1${BASE_PATH}/Observation/obs-${i}`,
    search: { mode: 'match' },
    resource: {
      resourceType: 'Observation',
      id: `obs-${i}`,
      meta: { versionId: '1', lastUpdated: LAST_UPDATED },
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
      subject: { reference: `Patient/${SEARCH_PATIENTS[i % 5]}` },
      effectiveDateTime: '2024-01-15T10:30:00Z',
      valueQuantity: { value: 60 + i, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
    },
  })),
}));

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const path = url.split('?', 1)[0] ?? url;
  if (req.method !== 'GET') return notFound(res, 405, 'Only GET is supported by the fixed benchmark upstream');
  if (path === `${BASE_PATH}/metadata`) {
    res.writeHead(200, { 'content-type': HEADERS_BASE['content-type'], 'content-length': CAPABILITY.length });
    res.end(CAPABILITY);
    return;
  }
  if (path === `${BASE_PATH}/Observation`) {
    res.writeHead(200, { 'content-type': HEADERS_BASE['content-type'], 'content-length': SEARCH_BODY.length });
    res.end(SEARCH_BODY);
    return;
  }
  const id = path.startsWith(PATIENT_PREFIX) ? path.slice(PATIENT_PREFIX.length) : '';
  if (!FHIR_ID.test(id)) return notFound(res, 404, 'Only GET /fhir/Patient/<id> is served here');
  const body = Buffer.concat([BODY_HEAD!, Buffer.from(JSON.stringify(id)), BODY_TAIL!]);
  res.writeHead(200, { ...HEADERS_BASE, 'content-length': body.length });
  res.end(body);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'watch-stdin': { type: 'boolean', default: false },
    },
  });
  const server = createServer({ keepAliveTimeout: 65_000 }, handle);
  listenAndAnnounce(server, values.host, Number(values.port), BASE_PATH, values['watch-stdin']);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
