/**
 * Streamed reports say exactly what built ones say: the same rows and evidence in JSON (and the
 * streamed JSON verifies), the same rows in CSV, for logs larger than any one page of the store.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { toAuditRecord } from '../../../src/audit/audit-record.js';
import { MemoryAuditStore } from '../../../src/audit/memory-audit-store.js';
import { MerkleTree } from '../../../src/audit/merkle-tree.js';
import { toHex } from '../../../src/audit/audit-log.js';
import { buildReport, withDefaults } from '../../../src/audit/reports/build-report.js';
import type { Report } from '../../../src/audit/reports/report-model.js';
import { streamCsvReport, streamJsonReport } from '../../../src/audit/reports/stream-report.js';
import { verifyReport } from '../../../src/audit/reports/verify-report.js';
import { csvRows } from '../../support/csv-rows.js';

async function seededLog(events: number) {
  const store = new MemoryAuditStore();
  const tree = new MerkleTree();
  for (let i = 0; i < events; i++) {
    const record = toAuditRecord({
      eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, recorded: Date.UTC(2026, 0, 1) + i * 1000, requestId: `r-${i}`, traceId: 't', method: 'GET',
      interaction: { kind: 'read', resourceType: 'Observation' }, path: `/Observation/o${i}`, query: '', status: i % 7 === 0 ? 403 : 200, clientGone: false, clientAddress: '10.0.0.1',
      who: { subject: 's', issuer: 'https://idp', fhirUser: `Practitioner/p${i % 3}`, clientId: 'app', tokenId: 'tok', purposeOfUse: i % 2 ? 'PUBHLTH' : 'TREAT' },
      decision: { permitted: i % 7 === 0 ? 0 : 1, denied: i % 7 === 0 ? 1 : 0, rules: [i % 7 === 0 ? 'no-grant' : 'grant'], grantIds: [], patients: [`pat-${i % 2}`], breakGlass: false },
      resources: i % 7 === 0 ? [] : [`Observation/o${i}`], gateway: { id: 'gw', baseUrl: 'http://gw/fhir' },
    });
    await store.append([record]);
    tree.append(record.leafHash);
  }
  await store.sequence(events);
  await store.recordCheckpoint({ treeSize: events - 3, root: toHex(tree.root(events - 3)), chainId: 1, contract: '0xc', chainIndex: 0, transactionHash: '0xt', blockNumber: 9, blockHash: '0xb', anchoredAt: 0, gasUsed: 0 });
  return { store, tree };
}

async function collect(run: (out: PassThrough) => Promise<unknown>): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await run(out);
  out.end();
  return Buffer.concat(chunks).toString('utf8');
}

describe('streamed reports', () => {
  it('JSON: the same rows and evidence as the built report, and it verifies; CSV: the same rows', async () => {
    const { store, tree } = await seededLog(2300); // more than two pages of the store's search
    const scope = withDefaults({ kind: 'access', patient: 'Patient/pat-1', to: '2027-01-01T00:00:00.000Z' });
    const built = await buildReport(scope, { store, tree, chain: { chainId: 1, contract: '0xc' } });
    const streamed = JSON.parse(await collect((out) => streamJsonReport(scope, store, tree, out))) as Report;
    assert.ok(built.rows.length > 1000);
    assert.deepEqual(streamed.rows, built.rows);
    assert.deepEqual(streamed.evidence, built.evidence);
    assert.equal(streamed.unanchored, built.unanchored);
    assert.deepEqual(streamed.checkpoint, built.checkpoint);
    const checked = await verifyReport(streamed, async (size) => (size === BigInt(built.checkpoint!.treeSize) ? { index: 0, treeSize: size, root: built.checkpoint!.root, blockNumber: 9, timestamp: 0 } : null));
    assert.equal(checked.ok, true, JSON.stringify(checked.problems.slice(0, 2)));

    // a forger cannot exempt the columns they edit by calling them annotations, nor duplicate events
    const onChain = async (size: bigint) => (size === BigInt(built.checkpoint!.treeSize) ? { index: 0, treeSize: size, root: built.checkpoint!.root, blockNumber: 9, timestamp: 0 } : null);
    const forged = JSON.parse(JSON.stringify(streamed)) as { header: { columns: Array<{ key: string; annotation?: boolean }> }; rows: Array<{ cells: Record<string, unknown> }>; evidence: unknown[] };
    forged.header.columns.find((c) => c.key === 'outcome')!.annotation = true;
    forged.rows[0]!.cells['outcome'] = 'permitted';
    const refused = await verifyReport(forged, onChain);
    assert.equal(refused.ok, false);
    assert.ok(refused.problems.some((p) => /header was altered/.test(p.message)));
    const doubled = JSON.parse(JSON.stringify(streamed)) as { evidence: unknown[] };
    doubled.evidence.push(doubled.evidence[0]);
    assert.ok((await verifyReport(doubled, onChain)).problems.some((p) => /appears twice/.test(p.message)));

    const csv = csvRows(await collect((out) => streamCsvReport(scope, store, tree, out)));
    assert.equal(csv.length - 1, built.rows.length);
    const outcome = csv[0]!.indexOf('outcome');
    assert.deepEqual(csv.slice(1).map((r) => r[outcome]), built.rows.map((r) => r.cells['outcome']));
  });
});
