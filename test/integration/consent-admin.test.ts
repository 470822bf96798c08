/**
 * Granting and revoking through the gateway's admin API, end to end: a real gateway on its
 * embedded chain (anvil + the deployed ConsentRegistry), the indexer following it, real tokens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Wallet } from 'ethers';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

describe('consent admin API', () => {
  let upstream: ScriptedUpstream;
  let gateway: TestGateway;
  let registrar: Record<string, string>;

  before(async () => {
    upstream = await startScriptedUpstream((req, res) => {
      req.resume();
      if (req.method === 'POST' && req.url === '/fhir/Consent') {
        res.writeHead(201, { 'content-type': 'application/fhir+json', location: `${upstream.url}/Consent/c1/_history/1` });
        res.end('{"resourceType":"Consent","id":"c1"}');
      } else res.end();
    });
    gateway = await startTestGateway(upstream.url, { CUSTOS_CHAIN_POLL_INTERVAL_MS: '100' });
    const token = await gateway.mint({ fhirUser: 'Practitioner/registrar-1', scope: 'custos/registrar', organization: 'Organization/org-reg' });
    registrar = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  const admin = async (method: string, path: string, body?: unknown, headers = registrar) => {
    const response = await fetch(`${gateway.origin}/admin/consents${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
    const json = (await response.json()) as Record<string, unknown>;
    return { status: response.status, json, type: response.headers.get('content-type') };
  };
  // How fast the index follows the chain is a speed figure (docs/notes/issue-3.md; "within one poll" is
  // asserted on the indexer itself in test/policy/consent-index/consent-indexer.test.ts);
  // here a grant or revocation must reach the index while the gateway runs, without a restart, and
  // well inside what an operator would call prompt, on CI machines that stall for seconds.
  const PROMPT_MS = 10_000;
  const waitFor = async <T>(probe: () => Promise<T | undefined>, timeoutMs = PROMPT_MS + 5000): Promise<{ value: T; ms: number }> => {
    const started = performance.now();
    for (;;) {
      const value = await probe();
      if (value !== undefined) return { value, ms: performance.now() - started };
      if (performance.now() - started > timeoutMs) assert.fail('not visible in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('records a grant on chain; the running gateway\'s index shows it promptly, with its transaction', async () => {
    const granted = await admin('POST', '', { patient: 'Patient/pat-001', grantee: 'Practitioner/prac-01', resourceTypes: ['Observation', 'Condition'], purposes: ['TREAT'] });
    assert.equal(granted.status, 201, JSON.stringify(granted.json));
    assert.match(String(granted.json['transactionHash']), /^0x[0-9a-f]{64}$/);
    const { value: shown, ms } = await waitFor(async () => {
      const r = await admin('GET', `/${String(granted.json['id'])}`);
      return r.status === 200 ? r.json : undefined;
    });
    console.log(`grant returned → index shows it: ${ms.toFixed(0)} ms (poll interval 100 ms)`);
    assert.ok(ms < PROMPT_MS, `visible after ${ms.toFixed(0)} ms`);
    assert.equal(shown['status'], 'active');
    assert.deepEqual(shown['resourceTypes'], ['Condition', 'Observation']);
    assert.deepEqual(shown['purposes'], ['TREAT']);
    assert.equal((shown['granted'] as { transactionHash: string }).transactionHash, granted.json['transactionHash']);
    const listed = await admin('POST', '/search', { patient: 'Patient/pat-001' });
    assert.ok((listed.json['grants'] as Array<{ id: string }>).some((g) => g.id === granted.json['id']));
    assert.ok(!JSON.stringify(listed.json['grants']).includes('prac-01'), 'grantees are pseudonyms');
  });

  it('revokes: the running gateway\'s index reflects it promptly; revoking twice is a conflict', async () => {
    const granted = await admin('POST', '', { patient: 'Patient/pat-002', grantee: 'Organization/org-01' });
    const id = String(granted.json['id']);
    await waitFor(async () => ((await admin('GET', `/${id}`)).status === 200 ? true : undefined));
    const revoked = await admin('POST', `/${id}/revoke`);
    assert.equal(revoked.status, 200);
    const { ms } = await waitFor(async () => ((await admin('GET', `/${id}`)).json['status'] === 'revoked' ? true : undefined));
    console.log(`revoke returned → index shows it revoked: ${ms.toFixed(0)} ms (poll interval 100 ms)`);
    assert.ok(ms < PROMPT_MS, `revoked in the index after ${ms.toFixed(0)} ms`);
    const again = await admin('POST', `/${id}/revoke`);
    assert.equal(again.status, 409);
    assert.equal(again.type, 'application/problem+json');
  });

  it('records a FHIR Consent as one grant per actor, with its canonical hash', async () => {
    const consent = {
      resourceType: 'Consent', status: 'active', patient: { reference: 'Patient/pat-003' },
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
      provision: { type: 'permit', actor: [{ reference: { reference: 'Practitioner/prac-02' } }, { reference: { reference: 'Organization/org-02' } }] },
    };
    const recorded = await admin('POST', '/fhir', consent);
    assert.equal(recorded.status, 201, JSON.stringify(recorded.json));
    const grants = recorded.json['grants'] as Array<{ id: string; actor: string }>;
    assert.deepEqual(grants.map((g) => g.actor), ['Practitioner/prac-02', 'Organization/org-02']);
    const { value } = await waitFor(async () => {
      const r = await admin('GET', `/${grants[1]!.id}`);
      return r.status === 200 ? r.json : undefined;
    });
    assert.equal(value['policyHash'], recorded.json['policyHash']);
  });

  it('records a registrar\'s Consent written through the FHIR API; anyone else\'s is only a document', async () => {
    const consent = {
      resourceType: 'Consent', status: 'active', patient: { reference: 'Patient/pat-006' },
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
      provision: { type: 'permit', actor: [{ reference: { reference: 'Practitioner/prac-04' } }] },
    };
    const registrarFhir = await gateway.mint({ fhirUser: 'Practitioner/registrar-1', scope: 'custos/registrar user/Consent.c' });
    const post = (token: string, body: unknown) => fetch(`${gateway.fhirBaseUrl}/Consent`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
    const hitsBefore = upstream.hits();

    const recorded = await post(registrarFhir, consent);
    assert.equal(recorded.status, 201);
    const ids = recorded.headers.get('x-custos-consent-grants') ?? '';
    assert.match(ids, /^\d+$/);
    await waitFor(async () => ((await admin('GET', `/${ids}`)).status === 200 ? true : undefined));

    // user/*.cruds but no registrar scope: a Consent is the patient's data like any other, and
    // pat-006 has not permitted prac-01 to write it; had it, the Consent would be a document only.
    const documentOnly = await post(gateway.token, consent);
    assert.equal(documentOnly.status, 403);
    assert.equal(documentOnly.headers.get('x-custos-consent-grants'), null);

    const invalid = await post(registrarFhir, { ...consent, provision: { type: 'permit' } });
    assert.equal(invalid.status, 400);
    assert.match(await invalid.text(), /Consent\.provision\.actor/);
    assert.equal(upstream.hits() - hitsBefore, 1, 'the refused and the invalid Consent never reached the upstream');
  });

  it('relays a patient-signed grant (EIP-712), and refuses a wrong signer and a replay', async () => {
    const patient = Wallet.createRandom();
    const grant = { patient: 'Patient/pat-004', grantee: 'Practitioner/prac-03', resourceTypes: ['Observation'] };
    const typed = await admin('POST', '/patient-signed/typed-data', { grant, signer: patient.address });
    assert.equal(typed.status, 200, JSON.stringify(typed.json));
    const { domain, types, message } = typed.json['typedData'] as { domain: Record<string, unknown>; types: Record<string, Array<{ name: string; type: string }>>; message: Record<string, unknown> };
    const { EIP712Domain: _ignored, ...signTypes } = types;
    const signature = await patient.signTypedData(domain, signTypes, message);
    const body = { grant, signer: patient.address, nonce: typed.json['nonce'], deadline: typed.json['deadline'], signature };
    const forged = await admin('POST', '/patient-signed', { ...body, signer: Wallet.createRandom().address });
    assert.equal(forged.status, 403, JSON.stringify(forged.json));
    const relayed = await admin('POST', '/patient-signed', body);
    assert.equal(relayed.status, 201, JSON.stringify(relayed.json));
    const replayed = await admin('POST', '/patient-signed', body);
    assert.equal(replayed.status, 409, JSON.stringify(replayed.json));
  });

  it('refuses callers without the registrar scope, without a token, and granting to themselves', async () => {
    const practitioner = { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' };
    const body = { patient: 'Patient/pat-005', grantee: 'Practitioner/prac-01' };
    assert.equal((await admin('POST', '', body, practitioner)).status, 403);
    assert.equal((await admin('POST', '', body, { 'content-type': 'application/json' })).status, 401);
    const self = await admin('POST', '', { patient: 'Patient/pat-005', grantee: 'Practitioner/registrar-1' });
    assert.equal(self.status, 403);
    const ownOrg = await admin('POST', '', { patient: 'Patient/pat-005', grantee: 'Organization/org-reg' });
    assert.equal(ownOrg.status, 403);
  });

  it('answers bad input with a problem document that lists what to fix', async () => {
    const bad = await admin('POST', '', { patient: 'pat-001', grantee: 'Practitioner/x', actions: ['delete'], color: 'red' });
    assert.equal(bad.status, 400);
    assert.equal(bad.type, 'application/problem+json');
    const detail = String(bad.json['detail']);
    for (const expected of ['patient is malformed', 'actions.0 must be one of read, write', 'color is not a known field']) assert.ok(detail.includes(expected), detail);
    const malformed = await admin('POST', '', '{"patient": ');
    assert.equal(malformed.status, 400);
    assert.match(String(malformed.json['detail']), /not valid JSON/);
    assert.equal((await admin('GET', '/999999')).status, 404);
    const past = await admin('POST', '', { patient: 'Patient/pat-001', grantee: 'Practitioner/x', notAfter: 1000 });
    assert.equal(past.status, 400);
  });
});
