/**
 * Routing by type: which source a path reaches, and that the composite sends it there.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bufferBody } from '../../../src/adapters/upstream/buffer-body.js';
import { routeByType, targetType } from '../../../src/adapters/upstream/type-routed-source.js';
import type { FhirSource, UpstreamRequest } from '../../../src/fhir/upstream.js';

function recordingSource(id: string, seen: string[]): FhirSource {
  return {
    id,
    baseUrl: `http://${id}.example/fhir`,
    send: async (request: UpstreamRequest) => {
      seen.push(`${id} ${request.path}`);
      return { status: 200, headers: {}, body: bufferBody(Buffer.alloc(0)) };
    },
    ping: async () => true,
    close: async () => undefined,
  };
}

describe('routing by type', () => {
  it('the target type of a path', () => {
    assert.equal(targetType('/DocumentReference/1'), 'DocumentReference');
    assert.equal(targetType('/DocumentReference'), 'DocumentReference');
    assert.equal(targetType('/Patient/1/DocumentReference'), 'DocumentReference', 'a compartment search goes where its target lives');
    assert.equal(targetType('/Patient/1/_history/2'), 'Patient');
    assert.equal(targetType('/Patient/1/$everything'), 'Patient');
    assert.equal(targetType(''), undefined);
    assert.equal(targetType('/$export'), undefined);
    assert.equal(targetType('/_history'), undefined);
  });

  it('sends routed types to their source and everything else to the default one', async () => {
    const seen: string[] = [];
    const routed = routeByType(recordingSource('main', seen), new Map([['DocumentReference', recordingSource('docs', seen)]]));
    for (const path of ['/DocumentReference/7', '/Patient/7', '/Patient/7/DocumentReference', '', '/Observation']) {
      await routed.source.send({ method: 'GET', path, query: '', headers: {} });
    }
    assert.deepEqual(seen, ['docs /DocumentReference/7', 'main /Patient/7', 'docs /Patient/7/DocumentReference', 'main ', 'main /Observation']);
    assert.equal(routed.sourceIdOf('/DocumentReference'), 'docs');
    assert.equal(routed.sourceIdOf(''), 'main');
  });

  it('refuses a system search naming a routed type (the default source does not hold it) instead of answering none', async () => {
    const seen: string[] = [];
    const routed = routeByType(recordingSource('main', seen), new Map([['DocumentReference', recordingSource('docs', seen)]]));
    await assert.rejects(routed.source.send({ method: 'GET', path: '', query: '?_type=Patient,DocumentReference&_count=5', headers: {} }), /DocumentReference is served by another source/);
    await routed.source.send({ method: 'GET', path: '', query: '?_type=Patient,Observation', headers: {} });
    assert.deepEqual(seen, ['main ']);
  });
});
