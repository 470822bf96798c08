/**
 * XML clients through the gateway, against the real sample server (which speaks JSON only): reads,
 * searches and errors come back as FHIR XML, XML writes reach the upstream as JSON, and hostile
 * XML is refused before anything is forwarded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fhirXmlToJson } from '../../src/fhir/xml/fhir-xml.js';
import { startSampleServer, type RunningSampleServer } from '../../src/sample-server/server.js';
import { startTestGateway, TRANSPORT_ONLY, type TestGateway } from '../support/gateway.js';

describe('XML clients', () => {
  let sample: RunningSampleServer;
  let gateway: TestGateway;
  before(async () => {
    sample = await startSampleServer({ patients: 3 });
    gateway = await startTestGateway(sample.url, TRANSPORT_ONLY);
  });
  after(async () => {
    await gateway?.close();
    await sample?.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gateway.fhirBaseUrl}${path}`, { headers: { ...gateway.auth, ...headers } });
  const rewritten = (value: unknown) => JSON.parse(JSON.stringify(value).split(sample.url).join(gateway.fhirBaseUrl)) as unknown;

  it('a read in XML is the same resource as the JSON read (Accept and _format)', async () => {
    const json = await (await get('/Patient/pat-001')).json();
    for (const [path, headers] of [['/Patient/pat-001', { accept: 'application/fhir+xml' }], ['/Patient/pat-001?_format=xml', {}]] as const) {
      const response = await get(path, headers);
      const text = await response.text();
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/fhir\+xml/);
      assert.match(response.headers.get('vary') ?? '', /Accept/, 'caches key on the negotiated format');
      assert.match(text, /^<\?xml[^>]*\?>\s*<Patient xmlns="http:\/\/hl7.org\/fhir">/);
      assert.deepEqual(fhirXmlToJson(text), json);
    }
    assert.deepEqual(json, rewritten(await (await fetch(`${sample.url}/Patient/pat-001`)).json()));
  });

  it('a search Bundle in XML: links point at the gateway, entries as in JSON', async () => {
    const json = await (await get('/Observation?subject=Patient/pat-001&_count=3')).json();
    const text = await (await get('/Observation?subject=Patient/pat-001&_count=3&_format=application/fhir%2Bxml')).text();
    assert.ok(!text.includes(sample.url), 'no upstream URL');
    assert.ok(text.includes(`<url value="${gateway.fhirBaseUrl}/Observation?`), 'links point at the gateway');
    assert.deepEqual(fhirXmlToJson(text), json);
  });

  it('a search posted as a form with _format=xml is answered in XML', async () => {
    const response = await fetch(`${gateway.fhirBaseUrl}/Observation/_search`, {
      method: 'POST', headers: { ...gateway.auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'subject=Patient/pat-001&_count=2&_format=xml',
    });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.match(response.headers.get('content-type') ?? '', /^application\/fhir\+xml/);
    assert.equal((fhirXmlToJson(text) as { resourceType: string }).resourceType, 'Bundle');
  });

  it('an XML create reaches the JSON-only upstream as JSON and is stored faithfully', async () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?><Patient xmlns="http://hl7.org/fhir"><active value="true"/><name><family value="Ørsted &amp; Co"/><given value="Zoë"/></name><birthDate value="1980-02-29"/></Patient>';
    const response = await fetch(`${gateway.fhirBaseUrl}/Patient`, { method: 'POST', headers: { ...gateway.auth, 'content-type': 'application/fhir+xml', accept: 'application/fhir+xml' }, body: xml });
    const text = await response.text();
    assert.equal(response.status, 201, text);
    const id = /\/Patient\/([^/]+)\/_history/.exec(response.headers.get('location') ?? '')?.[1];
    assert.ok(id);
    const stored = (await (await fetch(`${sample.url}/Patient/${id}`)).json()) as { name: Array<{ family: string; given: string[] }>; birthDate: string; active: boolean };
    assert.deepEqual([stored.name[0]!.family, stored.name[0]!.given, stored.birthDate, stored.active], ['Ørsted & Co', ['Zoë'], '1980-02-29', true]);
  });

  it('errors for XML clients are OperationOutcomes in XML; hostile or broken XML is refused before forwarding', async () => {
    const missing = await get('/Patient/does-not-exist', { accept: 'application/fhir+xml' });
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /<OperationOutcome xmlns="http:\/\/hl7.org\/fhir">/);
    const post = (body: string) => fetch(`${gateway.fhirBaseUrl}/Patient`, { method: 'POST', headers: { ...gateway.auth, 'content-type': 'application/fhir+xml' }, body });
    const before = ((await (await fetch(`${sample.url}/Patient?_summary=count`)).json()) as { total: number }).total;
    const xxe = await post('<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><Patient xmlns="http://hl7.org/fhir"><name><family value="&x;"/></name></Patient>');
    const xxeText = await xxe.text();
    assert.equal(xxe.status, 400);
    assert.ok(!xxeText.includes('root:'), 'no file content');
    const broken = await post('<Patient xmlns="http://hl7.org/fhir"><name><family value="x"></name></Patient>');
    assert.equal(broken.status, 400);
    assert.match(((await broken.json()) as { issue: Array<{ details: { text: string } }> }).issue[0]!.details.text, /XML/i);
    const notFhir = await post('<Patient><name/></Patient>');
    assert.equal(notFhir.status, 400);
    assert.equal(((await (await fetch(`${sample.url}/Patient?_summary=count`)).json()) as { total: number }).total, before, 'nothing was created');
    assert.equal((await get('/Patient/pat-001?_format=ttl')).status, 406);
  });
});
