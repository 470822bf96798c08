/**
 * Resource validation on writes through the gateway (validation.mode), against the real sample
 * server: `enforce` refuses an invalid resource with an OperationOutcome pointing at the element and
 * forwards nothing; `warn` forwards it and logs where it fails, never the values.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSampleServer, type RunningSampleServer } from '../../src/sample-server/server.js';
import { startTestGateway, TRANSPORT_ONLY, type TestGateway } from '../support/gateway.js';

const valid = { resourceType: 'Observation', status: 'final', code: { text: 'heart rate' }, subject: { reference: 'Patient/pat-001' }, valueQuantity: { value: 71, unit: '/min' } };
const invalid = { resourceType: 'Observation', code: { text: 'heart rate' }, subject: { reference: 'Patient/pat-001' }, effectiveDateTime: 'SECRET-VALUE-2024' };

describe('resource validation on writes', () => {
  let sample: RunningSampleServer;
  let enforce: TestGateway;
  let warn: TestGateway;
  before(async () => {
    sample = await startSampleServer({ patients: 3 });
    enforce = await startTestGateway(sample.url, { ...TRANSPORT_ONLY, CUSTOS_VALIDATION_MODE: 'enforce' });
    warn = await startTestGateway(sample.url, { ...TRANSPORT_ONLY, CUSTOS_VALIDATION_MODE: 'warn' });
  });
  after(async () => {
    await enforce?.close();
    await warn?.close();
    await sample?.close();
  });

  const post = (gateway: TestGateway, path: string, body: unknown) => fetch(`${gateway.fhirBaseUrl}${path}`, {
    method: 'POST', headers: { ...gateway.auth, 'content-type': 'application/fhir+json' }, body: JSON.stringify(body),
  });
  const countObservations = async () => ((await (await fetch(`${sample.url}/Observation?_summary=count`)).json()) as { total: number }).total;

  it('enforce: an invalid resource is refused with every failing element named, and nothing is written', async () => {
    const before = await countObservations();
    const response = await post(enforce, '/Observation', invalid);
    const text = await response.text();
    assert.equal(response.status, 400, text);
    const outcome = JSON.parse(text) as { resourceType: string; issue: Array<{ expression: string[] }> };
    assert.equal(outcome.resourceType, 'OperationOutcome');
    const expressions = outcome.issue.flatMap((i) => i.expression);
    assert.ok(expressions.includes('Observation.status'), expressions.join(', '));
    assert.ok(expressions.includes('Observation.effectiveDateTime'), expressions.join(', '));
    assert.ok(!text.includes('SECRET-VALUE'), 'the offending value is never echoed');
    assert.equal(await countObservations(), before);
    assert.equal((await post(enforce, '/Observation', valid)).status, 201);
  });

  it('enforce: one invalid entry refuses a whole transaction; in a batch only that entry fails', async () => {
    const before = await countObservations();
    const entries = [{ resource: valid, request: { method: 'POST', url: 'Observation' } }, { resource: invalid, request: { method: 'POST', url: 'Observation' } }];
    const transaction = await post(enforce, '', { resourceType: 'Bundle', type: 'transaction', entry: entries });
    const text = await transaction.text();
    assert.equal(transaction.status, 400, text);
    assert.match(text, /Bundle\.entry\[1\]\.resource/);
    assert.equal(await countObservations(), before, 'nothing of the transaction was written');
    const batch = await post(enforce, '', { resourceType: 'Bundle', type: 'batch', entry: entries });
    const answer = (await batch.json()) as { entry: Array<{ response: { status: string; outcome?: { issue: Array<{ expression: string[] }> } } }> };
    assert.equal(batch.status, 200);
    assert.match(answer.entry[0]!.response.status, /^201/);
    assert.match(answer.entry[1]!.response.status, /^400/);
    assert.ok(answer.entry[1]!.response.outcome!.issue.some((i) => i.expression.includes('Observation.status')));
  });

  it('enforce: a JSON Patch that would leave an invalid resource is refused, naming the element', async () => {
    const patch = [{ op: 'replace', path: '/gender', value: 'SECRET-GENDER' }];
    const response = await fetch(`${enforce.fhirBaseUrl}/Patient/pat-002`, {
      method: 'PATCH', headers: { ...enforce.auth, 'content-type': 'application/json-patch+json' }, body: JSON.stringify(patch),
    });
    const text = await response.text();
    assert.equal(response.status, 400, text);
    assert.match(text, /Patient\.gender/);
    assert.ok(!text.includes('SECRET-GENDER'));
    const stored = (await (await fetch(`${sample.url}/Patient/pat-002`)).json()) as { gender: string };
    assert.notEqual(stored.gender, 'SECRET-GENDER', 'nothing was written');
  });

  it('warn: the write is forwarded and the failing elements are logged without their values', async () => {
    await post(warn, '/Observation', invalid);
    const line = warn.logLines().find((l) => String(l['msg']).includes('not valid R4'));
    assert.ok(line, 'a warning was logged');
    assert.match(JSON.stringify(line), /Observation\.status/);
    assert.ok(!warn.rawLog().includes('SECRET-VALUE'), 'no value in the log');
  });
});
