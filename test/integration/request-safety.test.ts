/**
 * Path safety, format negotiation, limits and header hygiene on the way in, against the real
 * sample FHIR server behind a recording spy, so every test can also assert what reached the
 * upstream (for rejected requests: nothing at all).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSampleServer, type RunningSampleServer } from '../../src/sample-server/server.js';
import { startTestGateway, TRANSPORT_ONLY, type TestGateway } from '../support/gateway.js';
import { rawRequest } from '../support/raw-http.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';

describe('requests on their way in', () => {
  let sample: RunningSampleServer;
  let spy: RecordingUpstream;
  let gateway: TestGateway;
  let origin: string;

  before(async () => {
    sample = await startSampleServer({ patients: 5 });
    spy = await startRecordingUpstream(sample.url);
    gateway = await startTestGateway(spy.url, { ...TRANSPORT_ONLY, CUSTOS_SERVER_BODY_LIMIT_BYTES: '4096' });
    origin = gateway.origin;
  });
  after(async () => {
    await gateway.close();
    await spy.close();
    await sample.close();
  });
  beforeEach(() => {
    spy.requests.length = 0;
  });

  /** A request from an authenticated caller (the gateway's default practitioner token). */
  const send = (path: string, options: Parameters<typeof rawRequest>[2] = {}) =>
    rawRequest(origin, path, { ...options, headers: { ...gateway.auth, ...options.headers } });

  const expectRejected = async (path: string, status: number, text: RegExp, options: Parameters<typeof rawRequest>[2] = {}) => {
    const response = await send(path, options);
    assert.equal(response.status, status, `${path}: ${response.body}`);
    const outcome = response.json<{ resourceType: string; issue: Array<{ details: { text: string } }> }>();
    assert.equal(outcome.resourceType, 'OperationOutcome');
    assert.match(outcome.issue[0]!.details.text, text);
    assert.ok(response.headers['x-request-id'], 'every answer carries a request id');
    assert.deepEqual(spy.requests.map((r) => r.url), [], `${path} must not reach the upstream`);
  };

  describe('path safety', () => {
    it('rejects dot segments, plain and encoded, before anything reaches the upstream', async () => {
      await expectRejected('/fhir/Patient/../Observation', 400, /dot segments/);
      await expectRejected('/fhir/Patient/./pat-001', 400, /dot segments/);
      await expectRejected('/fhir/Patient/%2e%2e/Observation', 400, /percent-encoded/);
      await expectRejected('/fhir/Patient/%2E%2E%2FObservation', 400, /percent-encoded/);
      await expectRejected('/fhir/Patient/%252e%252e/Observation', 400, /percent-encoded/);
      await expectRejected('/fhir/..%2fadmin', 400, /percent-encoded/);
    });

    it('rejects backslashes, empty segments and matrix parameters', async () => {
      await expectRejected('/fhir/Patient\\..\\Observation', 400, /backslash/);
      await expectRejected('/fhir/Patient/%5c..%5cObservation', 400, /percent-encoded/);
      await expectRejected('/fhir/Patient//pat-001', 400, /empty path segments/);
      await expectRejected('/fhir//Patient', 400, /empty path segments/);
      await expectRejected('/fhir/Patient;type=Observation/pat-001', 400, /matrix/);
      await expectRejected('/fhir/Patient/pat-001;x', 400, /matrix/);
    });

    it('matches resource types case-sensitively: unknown types get 404', async () => {
      await expectRejected('/fhir/patient/pat-001', 404, /unknown FHIR R4 resource type "patient" \(resource types are case-sensitive/);
      await expectRejected('/fhir/PATIENT', 404, /unknown FHIR R4 resource type "PATIENT"/);
      await expectRejected('/fhir/Patients', 404, /unknown FHIR R4 resource type/);
      await expectRejected('/fhir/Patient/pat-001/observation', 404, /unknown FHIR R4 resource type "observation"/);
    });

    it('forwards exactly the canonical path it decided on', async () => {
      const response = await send('/fhir/Patient/pat-001/');
      assert.equal(response.status, 200);
      const response2 = await send('/fhir/Patient/pat-001/%24everything?_count=1');
      assert.ok(response2.status < 500);
      assert.deepEqual(spy.requests.map((r) => r.url), ['/fhir/Patient/pat-001', '/fhir/Patient/pat-001/$everything?_count=1']);
    });
  });

  describe('formats', () => {
    it('refuses Turtle and HTML with 406 before asking the upstream (JSON and XML are served)', async () => {
      await expectRejected('/fhir/Patient/pat-001?_format=ttl', 406, /not supported/);
      await expectRejected('/fhir/Patient/pat-001?_format=html', 406, /not supported/);
      await expectRejected('/fhir/Patient/pat-001', 406, /Accept header/, { headers: { accept: 'text/turtle' } });
      await expectRejected('/fhir/Patient/pat-001', 406, /Accept header/, { headers: { accept: 'text/html' } });
    });

    it('accepts every JSON spelling and asks the upstream for JSON', async () => {
      for (const [query, accept] of [['?_format=json', 'application/fhir+xml'], ['', 'application/json'], ['', 'application/fhir+json'], ['?_format=application/fhir%2Bjson', '*/*']] as const) {
        const response = await send(`/fhir/Patient/pat-001${query}`, { headers: { accept } });
        assert.equal(response.status, 200, `${query} ${accept}`);
        assert.equal(response.json()['resourceType'], 'Patient');
      }
      assert.ok(spy.requests.every((r) => r.headers.accept === 'application/fhir+json' && !r.url.includes('_format')));
    });

    it('refuses request bodies that are neither FHIR JSON nor FHIR XML with 415', async () => {
      await expectRejected('/fhir/Patient', 415, /text\/plain is not supported/, {
        method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'Patient',
      });
      await expectRejected('/fhir/Patient/_search', 415, /x-www-form-urlencoded/, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    });
  });

  describe('bodies and limits', () => {
    it('refuses a body over the configured limit with 413, declared or streamed', async () => {
      const big = JSON.stringify({ resourceType: 'Patient', name: [{ text: 'x'.repeat(5000) }] });
      await expectRejected('/fhir/Patient', 413, /larger than the limit of 4096 bytes/, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: big });
      await expectRejected('/fhir/Patient', 413, /larger than the limit/, { method: 'POST', headers: { 'content-type': 'application/fhir+json', 'transfer-encoding': 'chunked' }, body: big });
    });

    it('refuses malformed JSON with 400 and the parse position, quoting nothing of the body', async () => {
      const body = '{"resourceType": "Patient", "name": [{"family": Shaw}]}';
      const response = await send('/fhir/Patient', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body });
      assert.equal(response.status, 400);
      const offset = body.indexOf('Shaw');
      assert.match(response.body, new RegExp(`not valid JSON: unexpected character at line 1, column ${offset + 1} \\(offset ${offset}\\)`));
      assert.ok(!response.body.includes('Shaw'));
      assert.equal(spy.requests.length, 0);
    });

    it('passes a valid body to the upstream byte for byte', async () => {
      const body = '{ "resourceType": "Patient",\n  "name": [ { "family": "Byte" } ] }';
      const response = await send('/fhir/Patient', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body });
      assert.equal(response.status, 201);
      assert.equal(spy.requests[0]!.body, body);
    });
  });

  describe('identity at the door', () => {
    it('refuses a request without a token: 401, WWW-Authenticate, nothing upstream', async () => {
      const response = await rawRequest(origin, '/fhir/Patient/pat-001');
      assert.equal(response.status, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="custos"');
      assert.equal(response.json<{ resourceType: string }>().resourceType, 'OperationOutcome');
      assert.equal(spy.requests.length, 0);
    });

    it('refuses a forged or tampered token with 401 invalid_token', async () => {
      const [h, p] = gateway.token.split('.');
      const forgedClaims = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), scope: 'system/*.*' })).toString('base64url');
      for (const token of [`${h}.${forgedClaims}.${gateway.token.split('.')[2]}`, 'not-a-jwt', `${h}.${p}.`]) {
        const response = await rawRequest(origin, '/fhir/Patient/pat-001', { headers: { authorization: `Bearer ${token}` } });
        assert.equal(response.status, 401, token.slice(0, 20));
        assert.match(String(response.headers['www-authenticate']), /error="invalid_token"/);
      }
      assert.equal(spy.requests.length, 0);
    });

    it('refuses an interaction the token scopes do not allow with 403, before reading the body', async () => {
      const readOnly = await gateway.mint({ fhirUser: 'Practitioner/prac-02', scope: 'user/Patient.rs' });
      const auth = { authorization: `Bearer ${readOnly}` };
      assert.equal((await rawRequest(origin, '/fhir/Patient/pat-001', { headers: auth })).status, 200);
      const write = await rawRequest(origin, '/fhir/Patient', { method: 'POST', headers: { ...auth, 'content-type': 'application/fhir+json' }, body: '{"resourceType":"Patient"}' });
      assert.equal(write.status, 403);
      assert.match(write.body, /needs a scope such as user\/Patient\.c/);
      const otherType = await rawRequest(origin, '/fhir/Observation?subject=Patient/pat-001', { headers: auth });
      assert.equal(otherType.status, 403);
      assert.deepEqual(spy.requests.map((r) => r.method + ' ' + r.url), ['GET /fhir/Patient/pat-001']);
    });

    it('serves the CapabilityStatement without a token (SMART discovery)', async () => {
      const response = await rawRequest(origin, '/fhir/metadata');
      assert.equal(response.status, 200);
      assert.equal(response.json<{ resourceType: string }>().resourceType, 'CapabilityStatement');
    });
  });

  describe('header hygiene towards the upstream', () => {
    it('never forwards the client Authorization, cookies, or headers named in Connection', async () => {
      await send('/fhir/Patient/pat-001', {
        headers: { cookie: 'sid=1', connection: 'x-hop', 'x-hop': 'private', 'x-custom': 'kept', 'proxy-authorization': 'Basic x' },
      });
      const seen = spy.requests[0]!.headers;
      assert.equal(seen.authorization, undefined, 'the client token stays at the gateway');
      assert.ok(!JSON.stringify(spy.requests[0]).includes(gateway.token));
      assert.equal(seen.cookie, undefined);
      assert.equal(seen['x-hop'], undefined);
      assert.equal(seen['proxy-authorization'], undefined);
      assert.equal(seen['x-custom'], 'kept');
    });

    it('sets X-Forwarded-*, and ignores forged ones from an untrusted client', async () => {
      await send('/fhir/Patient/pat-001', { headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } });
      const seen = spy.requests[0]!.headers;
      assert.equal(seen['x-forwarded-for'], '127.0.0.1');
      assert.equal(seen['x-forwarded-proto'], 'http');
      assert.equal(seen['x-forwarded-host'], new URL(origin).host);
    });

    it('generates an X-Request-Id when absent, keeps a sane one, and echoes it', async () => {
      const generated = await send('/fhir/Patient/pat-001');
      assert.match(String(generated.headers['x-request-id']), /^[0-9a-f-]{36}$/);
      assert.equal(spy.requests[0]!.headers['x-request-id'], generated.headers['x-request-id']);
      const given = await send('/fhir/Patient/pat-001', { headers: { 'x-request-id': 'client-req-42' } });
      assert.equal(given.headers['x-request-id'], 'client-req-42');
      assert.equal(spy.requests[1]!.headers['x-request-id'], 'client-req-42');
      const hostile = await send('/fhir/Patient/pat-001', { headers: { 'x-request-id': 'a b\u00e9<script>' } });
      assert.notEqual(hostile.headers['x-request-id'], 'a b\u00e9<script>');
    });

    it('propagates the W3C trace: same trace id, a new parent span', async () => {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      await send('/fhir/Patient/pat-001', { headers: { traceparent, tracestate: 'vendor=1' } });
      const seen = String(spy.requests[0]!.headers.traceparent);
      assert.match(seen, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
      assert.notEqual(seen, traceparent);
      assert.equal(spy.requests[0]!.headers.tracestate, 'vendor=1');
      await send('/fhir/Patient/pat-001', { headers: { traceparent: 'garbage' } });
      assert.match(String(spy.requests[1]!.headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    });
  });
});
