import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bundle, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { ids, useSampleServer } from './helpers.js';

const sample = useSampleServer();

interface GraphqlResult<T> {
  data?: T;
  errors?: { message: string }[];
}

async function post<T>(query: string): Promise<{ status: number; contentType: string; body: GraphqlResult<T> }> {
  const response = await fetch(`${sample.client.base}/$graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: (await response.json()) as GraphqlResult<T> };
}

const PATIENT = '{ Patient(id: "pat-001") { id name { family } } }';
const OBSERVATIONS = '{ ObservationList(subject: "Patient/pat-001") { id subject { reference } } }';

type PatientData = { Patient: { id: string; name: { family?: string }[] } | null };
type ObservationData = { ObservationList: { id: string; subject: { reference: string } }[] };

describe('FHIR GraphQL ($graphql)', () => {
  it('reads a resource by id (POST)', async () => {
    const { status, contentType, body } = await post<PatientData>(PATIENT);
    assert.equal(status, 200);
    assert.match(contentType, /^application\/json/);
    const { body: patient } = await sample.client.get<Patient>('Patient/pat-001');
    assert.deepEqual(body.data?.Patient, { id: 'pat-001', name: patient.name?.map((n) => ({ family: n.family })) });
  });

  it('searches with a List query: the same observations as the REST search', async () => {
    const { status, body } = await post<ObservationData>(OBSERVATIONS);
    assert.equal(status, 200);
    const list = body.data?.ObservationList ?? [];
    for (const observation of list) assert.equal(observation.subject.reference, 'Patient/pat-001');
    const { body: bundle } = await sample.client.get<Bundle>('Observation?subject=Patient/pat-001&_count=1000');
    assert.ok(list.length > 0);
    assert.deepEqual(list.map((o) => `Observation/${o.id}`).sort(), ids(bundle).sort());
  });

  it('answers GET [base]/$graphql?query= like POST', async () => {
    const response = await fetch(`${sample.client.base}/$graphql?query=${encodeURIComponent(PATIENT)}`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), (await post(PATIENT)).body);
  });

  it('reports a missing resource in GraphQL errors, and refuses bad requests with an OperationOutcome', async () => {
    const missing = await post<PatientData>('{ Patient(id: "nobody") { id } }');
    assert.equal(missing.status, 200);
    assert.equal(missing.body.data?.Patient, null);
    assert.ok((missing.body.errors?.length ?? 0) > 0);

    assert.equal((await post('{ Patient(id: "pat-001") { id ')).status, 400, 'syntax error');
    assert.equal((await post('{ Patient(id: "pat-001") { noSuchField } }')).status, 400, 'validation error');
    assert.equal((await sample.client.request<OperationOutcome>('POST', '$graphql', '[]')).status, 400);
    assert.equal((await sample.client.get<OperationOutcome>('$graphql')).status, 400, 'GET without query');
    const mutation = encodeURIComponent('mutation { PatientCreate(res: { resourceType: "Patient" }) { id } }');
    assert.equal((await sample.client.get<OperationOutcome>(`$graphql?query=${mutation}`)).status, 405, 'no mutation by GET');
  });
});
