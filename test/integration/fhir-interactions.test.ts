/**
 * Every FHIR R4 REST interaction, through the gateway, with a real FHIR client (fhir-kit-client)
 * against the real sample FHIR server. "Faithful" is checked by comparing with the same request
 * made directly to the upstream: equal status, equal headers that matter, and a body that differs
 * only by the base URL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'fhir-kit-client';
import type { Bundle, CapabilityStatement, OperationOutcome, Patient } from 'fhir/r4.js';
import { startSampleServer, type RunningSampleServer } from '../../src/sample-server/server.js';
import { startTestGateway, TRANSPORT_ONLY, type TestGateway } from '../support/gateway.js';

type AnyResource = Record<string, unknown> & { resourceType: string; id?: string };

describe('every FHIR interaction passes through faithfully', () => {
  let sample: RunningSampleServer;
  let gateway: TestGateway;
  let client: Client;
  let direct: Client;
  let base: string;

  before(async () => {
    sample = await startSampleServer({ patients: 12 });
    gateway = await startTestGateway(sample.url, TRANSPORT_ONLY);
    base = gateway.fhirBaseUrl;
    client = new Client({ baseUrl: base, bearerToken: gateway.token });
    direct = new Client({ baseUrl: sample.url });
  });
  after(async () => {
    await gateway.close();
    await sample.close();
  });

  const http = (resource: unknown) => Client.httpFor(resource as AnyResource).response!;
  const rewritten = (value: unknown) => JSON.parse(JSON.stringify(value).split(sample.url).join(base)) as unknown;
  const statusOf = async (promise: Promise<unknown>): Promise<number> => {
    try {
      return http(await promise).status;
    } catch (error) {
      return (error as { response: { status: number } }).response.status;
    }
  };
  const noUpstreamUrl = (value: unknown) => assert.ok(!JSON.stringify(value).includes(sample.url), 'no upstream URL reaches the client');

  it('capabilities: the CapabilityStatement names the gateway as its implementation', async () => {
    const cs = (await client.capabilityStatement()) as unknown as CapabilityStatement;
    assert.equal(cs.resourceType, 'CapabilityStatement');
    assert.equal(cs.fhirVersion, '4.0.1');
    assert.equal(cs.implementation?.url, base);
    // The upstream's statement, narrowed to what the gateway lets through (capability-narrowing.ts).
    const upstream = rewritten(await direct.capabilityStatement()) as CapabilityStatement;
    assert.deepEqual(cs.rest?.[0]?.resource?.map((r) => r.type), upstream.rest?.[0]?.resource?.map((r) => r.type), 'every type is still described');
    assert.deepEqual(cs.rest?.[0]?.resource?.find((r) => r.type === 'Observation')?.interaction, upstream.rest?.[0]?.resource?.find((r) => r.type === 'Observation')?.interaction);
    assert.equal(cs.rest?.[0]?.security?.service?.[0]?.coding?.[0]?.code, 'SMART-on-FHIR');
    assert.ok(!(cs.rest?.[0]?.operation ?? []).some((o) => o.name === 'graphql'), 'GraphQL is off by default, so it is not offered');
    assert.match(cs.software?.name ?? '', /^Custos/);
  });

  it('read: same body (base rewritten), same ETag and Last-Modified', async () => {
    const viaGateway = await client.read({ resourceType: 'Patient', id: 'pat-001' });
    const viaDirect = await direct.read({ resourceType: 'Patient', id: 'pat-001' });
    assert.deepEqual(viaGateway, rewritten(viaDirect));
    assert.equal(http(viaGateway).headers.get('etag'), http(viaDirect).headers.get('etag'));
    assert.equal(http(viaGateway).headers.get('last-modified'), http(viaDirect).headers.get('last-modified'));
    assert.equal(await statusOf(client.read({ resourceType: 'Patient', id: 'does-not-exist' })), 404);
  });

  it('search: links and fullUrls point at the gateway, and paging through them reaches every patient', async () => {
    let page = (await client.search({ resourceType: 'Patient', searchParams: { _count: 5 } })) as unknown as Bundle;
    assert.equal(page.entry?.length, 5);
    const ids: string[] = [];
    for (let guard = 0; guard < 10; guard++) {
      noUpstreamUrl(page);
      assert.ok(page.link?.every((l) => l.url.startsWith(base)), JSON.stringify(page.link));
      assert.ok(page.entry?.every((e) => e.fullUrl === `${base}/Patient/${e.resource?.id}`));
      ids.push(...(page.entry ?? []).map((e) => e.resource!.id!));
      const next = client.nextPage({ bundle: page as never });
      if (!next) break;
      page = (await next) as unknown as Bundle;
    }
    assert.equal(new Set(ids).size, 12);
  });

  it('search by POST _search with a form body gives the same result as GET', async () => {
    const byGet = await client.search({ resourceType: 'Observation', searchParams: { subject: 'Patient/pat-002', _count: 50 } });
    const byPost = await client.search({ resourceType: 'Observation', searchParams: { subject: 'Patient/pat-002', _count: 50 }, options: { postSearch: true } });
    const idsOf = (b: unknown) => ((b as Bundle).entry ?? []).map((e) => e.resource!.id).sort();
    assert.ok(idsOf(byGet).length > 0);
    assert.deepEqual(idsOf(byPost), idsOf(byGet));
  });

  it('compartment search and _include / _revinclude', async () => {
    const compartment = (await client.compartmentSearch({ resourceType: 'Observation', compartment: { resourceType: 'Patient', id: 'pat-003' } })) as unknown as Bundle;
    assert.ok((compartment.entry?.length ?? 0) > 0);
    noUpstreamUrl(compartment);
    const included = (await client.search({ resourceType: 'Observation', searchParams: { subject: 'Patient/pat-003', _include: 'Observation:subject' } })) as unknown as Bundle;
    assert.ok(included.entry?.some((e) => e.search?.mode === 'include' && e.resource?.resourceType === 'Patient'));
    const revincluded = (await client.search({ resourceType: 'Patient', searchParams: { _id: 'pat-003', _revinclude: 'Observation:subject' } })) as unknown as Bundle;
    assert.ok(revincluded.entry?.some((e) => e.resource?.resourceType === 'Observation'));
    noUpstreamUrl(revincluded);
  });

  it('create: 201, Location and ETag point at the gateway; vread the version it names', async () => {
    const created = (await client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', name: [{ family: 'Created' }] } })) as unknown as Patient;
    const response = http(created);
    assert.equal(response.status, 201);
    const location = response.headers.get('location')!;
    assert.match(location, new RegExp(`^${base}/Patient/${created.id}/_history/[^/]+$`));
    assert.match(response.headers.get('etag') ?? '', /^W\/"/);
    const version = location.split('/').pop()!;
    const vread = await client.vread({ resourceType: 'Patient', id: created.id!, version });
    assert.equal((vread as Patient).name?.[0]?.family, 'Created');
  });

  it('conditional create with If-None-Exist returns the existing resource', async () => {
    const body = { resourceType: 'Patient', identifier: [{ system: 'urn:test:cc', value: 'one' }] };
    const first = (await client.create({ resourceType: 'Patient', body })) as unknown as Patient;
    const options = { headers: { 'If-None-Exist': 'identifier=urn:test:cc|one' } };
    const second = (await client.create({ resourceType: 'Patient', body, options })) as unknown as Patient;
    assert.equal(http(second).status, 200);
    assert.equal(second.id, first.id);
  });

  it('update honours If-Match: the current ETag wins, a stale one gets 412', async () => {
    const patient = (await client.read({ resourceType: 'Patient', id: 'pat-004' })) as unknown as Patient;
    const etag = http(patient).headers.get('etag')!;
    const updated = await client.update({ resourceType: 'Patient', id: 'pat-004', body: { ...patient, active: false }, options: { headers: { 'If-Match': etag } } });
    assert.equal(http(updated).status, 200);
    assert.equal((updated as Patient).active, false);
    assert.equal(await statusOf(client.update({ resourceType: 'Patient', id: 'pat-004', body: { ...patient, active: true }, options: { headers: { 'If-Match': etag } } })), 412);
  });

  it('Prefer: return=minimal and return=OperationOutcome pass through', async () => {
    const minimal = await fetch(`${base}/Patient`, { method: 'POST', headers: { ...gateway.auth, 'content-type': 'application/fhir+json', prefer: 'return=minimal' }, body: '{"resourceType":"Patient"}' });
    assert.equal(minimal.status, 201);
    assert.equal(await minimal.text(), '');
    assert.ok(minimal.headers.get('location')?.startsWith(base));
    const outcome = await fetch(`${base}/Patient`, { method: 'POST', headers: { ...gateway.auth, 'content-type': 'application/fhir+json', prefer: 'return=OperationOutcome' }, body: '{"resourceType":"Patient"}' });
    assert.equal(((await outcome.json()) as AnyResource).resourceType, 'OperationOutcome');
  });

  it('conditional update by search criteria', async () => {
    const body = { resourceType: 'Patient', identifier: [{ system: 'urn:test:cu', value: 'x' }], gender: 'female' };
    await client.create({ resourceType: 'Patient', body });
    const updated = (await client.update({ resourceType: 'Patient', searchParams: { identifier: 'urn:test:cu|x' }, body: { ...body, gender: 'male' } })) as unknown as Patient;
    assert.equal(updated.gender, 'male');
  });

  it('patch with JSON Patch; FHIRPath Patch is refused (the gateway cannot decide on its result)', async () => {
    const jsonPatched = (await client.patch({ resourceType: 'Patient', id: 'pat-005', jsonPatch: [{ op: 'replace', path: '/gender', value: 'unknown' }] })) as unknown as Patient;
    assert.equal(jsonPatched.gender, 'unknown');
    const fhirPathPatch = {
      resourceType: 'Parameters',
      parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.birthDate' }, { name: 'value', valueDate: '2001-01-01' }] }],
    };
    const response = await fetch(`${base}/Patient/pat-005`, { method: 'PATCH', headers: { ...gateway.auth, 'content-type': 'application/fhir+json' }, body: JSON.stringify(fhirPathPatch) });
    assert.equal(response.status, 415);
    assert.match(JSON.stringify(await response.json()), /JSON Patch/);
  });

  it('delete, then read gets 410; conditional delete by criteria', async () => {
    const created = (await client.create({ resourceType: 'Patient', body: { resourceType: 'Patient' } })) as unknown as Patient;
    assert.ok([200, 204].includes(await statusOf(client.delete({ resourceType: 'Patient', id: created.id! }))));
    assert.equal(await statusOf(client.read({ resourceType: 'Patient', id: created.id! })), 410);
    await client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', identifier: [{ system: 'urn:test:cd', value: 'gone' }] } });
    const response = await fetch(`${base}/Patient?identifier=urn:test:cd|gone`, { method: 'DELETE', headers: gateway.auth });
    assert.ok([200, 204].includes(response.status));
    const after = (await client.search({ resourceType: 'Patient', searchParams: { identifier: 'urn:test:cd|gone' } })) as unknown as Bundle;
    assert.equal(after.entry?.length ?? 0, 0);
  });

  it('history at instance, type and system level (type and system for backend services only), with links on the gateway', async () => {
    const instance = (await client.history({ resourceType: 'Patient', id: 'pat-004' })) as unknown as Bundle;
    assert.equal(instance.type, 'history');
    assert.ok((instance.entry?.length ?? 0) >= 2, 'pat-004 was updated above');
    noUpstreamUrl(instance);
    assert.equal(await statusOf(client.typeHistory({ resourceType: 'Patient' })), 403, 'a user may not list every patient\'s changes');
    const service = new Client({ baseUrl: base, customHeaders: { authorization: `Bearer ${await gateway.mint({ clientId: 'nightly-sync', scope: 'system/*.rs' })}` } });
    const type = (await service.typeHistory({ resourceType: 'Patient' })) as unknown as Bundle;
    assert.equal(type.type, 'history');
    noUpstreamUrl(type);
    const system = (await service.systemHistory()) as unknown as Bundle;
    assert.equal(system.type, 'history');
    noUpstreamUrl(system);
  });

  it('batch: each entry answered on its own', async () => {
    const result = (await client.batch({
      body: {
        resourceType: 'Bundle', type: 'batch',
        entry: [
          { request: { method: 'GET', url: 'Patient/pat-001' } },
          { request: { method: 'GET', url: 'Patient/nope' } },
          { resource: { resourceType: 'Patient', name: [{ family: 'Batched' }] }, request: { method: 'POST', url: 'Patient' } },
        ],
      },
    })) as unknown as Bundle;
    assert.equal(result.type, 'batch-response');
    assert.deepEqual(result.entry?.map((e) => e.response?.status.slice(0, 3)), ['200', '404', '201']);
    noUpstreamUrl(result);
  });

  it('transaction: all entries together, references between them resolved', async () => {
    const result = (await client.transaction({
      body: {
        resourceType: 'Bundle', type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a', resource: { resourceType: 'Patient', name: [{ family: 'Tx' }] }, request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Observation', status: 'final', code: { text: 'tx' }, subject: { reference: 'urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a' } }, request: { method: 'POST', url: 'Observation' } },
        ],
      },
    })) as unknown as Bundle;
    assert.equal(result.type, 'transaction-response');
    assert.ok(result.entry?.every((e) => e.response?.status.startsWith('201')));
    noUpstreamUrl(result);
  });

  it('operations: $everything, $validate; an operation outside enforcement.operations is refused for users, and answered as the upstream answers it for services', async () => {
    const everything = (await client.operation({ resourceType: 'Patient', id: 'pat-006', name: '$everything', method: 'GET' })) as unknown as Bundle;
    const types = new Set(everything.entry?.map((e) => e.resource?.resourceType));
    for (const t of ['Patient', 'Observation', 'Encounter', 'Condition', 'MedicationRequest']) assert.ok(types.has(t as never), `$everything includes ${t}`);
    noUpstreamUrl(everything);

    const valid = (await client.operation({ resourceType: 'Patient', name: '$validate', input: { resourceType: 'Patient', gender: 'female' } })) as unknown as OperationOutcome;
    assert.equal(valid.resourceType, 'OperationOutcome');
    const invalidStatus = await statusOf(client.operation({ resourceType: 'Patient', name: '$validate', input: { resourceType: 'Patient', gender: 42 } }));
    const invalidDirect = await statusOf(direct.operation({ resourceType: 'Patient', name: '$validate', input: { resourceType: 'Patient', gender: 42 } }));
    assert.equal(invalidStatus, invalidDirect);

    assert.equal(await statusOf(client.operation({ resourceType: 'Patient', id: 'pat-001', name: '$frobnicate', method: 'GET' })), 403);
    const service = new Client({ baseUrl: base, customHeaders: { authorization: `Bearer ${await gateway.mint({ clientId: 'nightly-sync', scope: 'system/*.rs' })}` } });
    const unknownVia = await statusOf(service.operation({ resourceType: 'Patient', id: 'pat-001', name: '$frobnicate', method: 'GET' }));
    const unknownDirect = await statusOf(direct.operation({ resourceType: 'Patient', id: 'pat-001', name: '$frobnicate', method: 'GET' }));
    assert.ok(unknownVia >= 400);
    assert.equal(unknownVia, unknownDirect);
  });
});
