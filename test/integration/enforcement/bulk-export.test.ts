/**
 * Bulk export through the gateway: only backend services named in configuration may start one,
 * the poll and file URLs are the gateway's and work only for the client that started the export,
 * and every NDJSON line is decided for that client like a search entry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNothingOf, startWorld, type World } from './world.js';

describe('consent enforcement: bulk $export', () => {
  let w: World;
  let service: string;
  let otherService: string;
  before(async () => {
    w = await startWorld({ CUSTOS_ENFORCEMENT_BULK_EXPORT_CLIENTS: 'nightly-export,other-export' });
    service = await w.gateway.mint({ clientId: 'nightly-export', scope: 'system/*.rs' });
    otherService = await w.gateway.mint({ clientId: 'other-export', scope: 'system/*.rs' });
    // a backend service is named in consents as Device/{client_id}
    await w.grant({ patient: 'Patient/pat-001', grantee: 'Device/nightly-export', actions: ['read'] });
  });
  after(async () => w.close());

  const async = { prefer: 'respond-async' };

  it('refuses users and services that configuration does not name', async () => {
    assert.equal((await w.call('GET', '/Patient/$export', w.prac01, { headers: async })).status, 403);
    const unnamed = await w.gateway.mint({ clientId: 'someone-else', scope: 'system/*.rs' });
    const refused = await w.call('GET', '/Patient/$export', unnamed, { headers: async });
    assert.equal(refused.status, 403);
    assert.match(refused.text, /enforcement\.bulkExport\.clients/);
  });

  it('kick-off, poll and files go through the gateway; every line is decided; nothing of pat-002', async () => {
    const kickoff = await w.call('GET', '/Patient/$export?_type=Patient,Observation', service, { headers: async });
    assert.equal(kickoff.status, 202, kickoff.text);
    const poll = /content-location: (\S+)/.exec(kickoff.headers)![1]!;
    assert.ok(poll.startsWith(`${w.base}/$export-poll/`), poll);
    assert.equal((await w.call('GET', poll, otherService)).status, 404, 'another client cannot use the poll URL');
    const status = await w.call('GET', poll, service);
    assert.equal(status.status, 200, status.text);
    const outputs = status.json()['output'] as Array<{ type: string; url: string }>;
    assert.deepEqual(outputs.map((o) => o.type).sort(), ['Observation', 'Patient']);
    const seen = new Set<string>();
    for (const output of outputs) {
      assert.ok(output.url.startsWith(`${w.base}/$export-file/`));
      const file = await w.call('GET', output.url, service);
      assert.equal(file.status, 200);
      assertNothingOf(file, w.deniedMarkers);
      for (const line of file.text.trim().split('\n')) {
        const resource = JSON.parse(line) as { resourceType: string; id: string; subject?: { reference: string } };
        seen.add(resource.resourceType === 'Patient' ? resource.id : resource.subject!.reference);
      }
      assert.equal((await w.call('GET', output.url, otherService)).status, 404);
    }
    assert.deepEqual([...seen].sort(), ['Patient/pat-001', 'pat-001'], 'only the permitted patient, in both files');
    assert.ok((await w.direct('/Patient?_count=100'))['entry'].length > 1, 'the upstream exported more than that');
  });
});
