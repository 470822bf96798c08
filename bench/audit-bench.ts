/**
 * The audit log's own figures (issue 5), each measured here rather than assumed:
 *
 *   node dist/bench/audit-bench.js store  [--events 200000] [--concurrency 256]  events/s each store sustains
 *   node dist/bench/audit-bench.js verify [--events 1000000]                      time to verify a log
 *   node dist/bench/audit-bench.js gas    [--checkpoints 20]                      gas per checkpoint on anvil
 *
 * Events are real AuditEvents (buildAuditEvent + RFC 8785 + leaf hash) of a consented read, ~1.6 KB
 * each, with varying patients and actors. `store` drives the group-commit recorder with many
 * requests in flight, as the gateway does under load; every append is synced. `verify` fills an
 * embedded store, anchors checkpoints on a real local anvil, and times `verifyAuditLog` over a full
 * scan (the work `custos audit verify` does). Results print as one JSON object per line.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import pgClient from 'pg';
import { join } from 'node:path';
import { FileAuditStore } from '../src/adapters/store/file-audit-store.js';
import { PgAuditStore } from '../src/adapters/store/pg-audit-store.js';
import { connectChain } from '../src/adapters/ledger/chain-connection.js';
import { deployContracts } from '../src/adapters/ledger/deploy.js';
import { EthersAuditAnchor } from '../src/adapters/ledger/ethers-audit-anchor.js';
import { readAnchoredCheckpoints } from '../src/adapters/ledger/checkpoint-reader.js';
import { startLocalChain } from '../src/adapters/ledger/local-chain.js';
import type { AuditInput } from '../src/audit/audit-event.js';
import { AuditRecorder } from '../src/audit/audit-recorder.js';
import { toAuditRecord } from '../src/audit/audit-record.js';
import { MerkleTree } from '../src/audit/merkle-tree.js';
import { toHex } from '../src/audit/audit-log.js';
import type { AuditRecord, AuditStore } from '../src/audit/store.js';
import { verifyAuditLog } from '../src/audit/verify.js';
import { buildReport, withDefaults } from '../src/audit/reports/build-report.js';
import { streamCsvReport } from '../src/audit/reports/stream-report.js';

const PG_URL = process.env['CUSTOS_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Treatment and payment (exempt from the accounting) mixed with research and public health. */
const PURPOSES = ['TREAT', 'PUBHLTH', 'HPAYMT', 'HRESCH'];

function sampleEvent(i: number): AuditRecord {
  const patient = `pat-${String(i % 5000).padStart(4, '0')}`;
  const input: AuditInput = {
    eventId: randomUUID(), recorded: Date.now(), requestId: randomUUID(), traceId: randomBytes(16).toString('hex'), method: 'GET',
    interaction: { kind: 'read', resourceType: 'Observation' }, path: `/Observation/obs-${i}`, query: '', status: 200, clientGone: false, clientAddress: '10.1.2.3',
    who: { subject: `user-${i % 300}`, issuer: 'https://idp.example.org', fhirUser: `Practitioner/prac-${i % 300}`, clientId: 'ehr-app', tokenId: randomBytes(32).toString('base64url'), purposeOfUse: PURPOSES[Math.floor(i / 5000) % PURPOSES.length]!, organization: 'Organization/org-1' },
    decision: { permitted: 1, denied: 0, rules: ['grant'], grantIds: ['0x' + randomBytes(32).toString('hex')], patients: [patient], breakGlass: false },
    resources: [`Observation/obs-${i}/_history/1`], gateway: { id: 'bench-gw', baseUrl: 'http://127.0.0.1:8080/fhir' },
  };
  return toAuditRecord(input);
}

async function storeThroughput(name: string, store: AuditStore, events: number, concurrency: number): Promise<void> {
  const recorder = new AuditRecorder(store, { maxBatch: 2000, maxPending: 1_000_000, retryAfterSeconds: 1 });
  const records = Array.from({ length: events }, (_, i) => sampleEvent(i));
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < records.length) await recorder.record(records[next++]!);
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = recorder.stats();
  console.log(JSON.stringify({ bench: 'audit-store', store: name, events, concurrency, seconds: +seconds.toFixed(2), eventsPerSecond: Math.round(events / seconds), batches: stats.batches, meanBatch: Math.round(events / stats.batches), bytesPerEvent: Math.round(records.reduce((a, r) => a + r.canonical.length, 0) / events) }));
}

async function benchStores(): Promise<void> {
  const events = flag('events', 200_000);
  const concurrency = flag('concurrency', 256);
  const dir = mkdtempSync(join(tmpdir(), 'custos-audit-bench-'));
  const file = await FileAuditStore.open({ dir });
  await storeThroughput('file (embedded)', file, events, concurrency);
  await file.close();
  rmSync(dir, { recursive: true, force: true });
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const pg = await PgAuditStore.open({ connectionString: PG_URL, schema });
  try {
    await storeThroughput('postgresql', pg, events, concurrency);
  } finally {
    await pg.close();
    const client = new pgClient.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
}

async function benchVerify(): Promise<void> {
  const events = flag('events', 1_000_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'custos-verify-bench-'));
  const store = await FileAuditStore.open({ dir: join(dataDir, 'audit') });
  const tree = new MerkleTree();
  const fillStarted = Date.now();
  for (let i = 0; i < events; i += 2000) {
    const batch = Array.from({ length: Math.min(2000, events - i) }, (_, k) => sampleEvent(i + k));
    await store.append(batch);
    for (const r of batch) tree.append(r.leafHash);
  }
  await store.sequence(events);
  const fillSeconds = (Date.now() - fillStarted) / 1000;
  // Ten checkpoints on a real chain, as the gateway would have anchored them over time.
  const chain = await startLocalChain({ dataDir });
  const connection = await connectChain({ rpcUrl: chain.rpcUrl, privateKey: chain.devKey(0) });
  const deployment = await deployContracts({ connection, model: 'opt-in' });
  const anchor = new EthersAuditAnchor({ connection, anchorAddress: deployment.auditAnchor });
  for (let k = 1; k <= 10; k++) {
    const size = Math.floor((events * k) / 10);
    await anchor.anchor(size, toHex(tree.root(size)));
  }
  const rss0 = process.memoryUsage().rss;
  const started = process.hrtime.bigint();
  const { checkpoints } = await readAnchoredCheckpoints(chain.rpcUrl, deployment.auditAnchor);
  const report = await verifyAuditLog(store.scan(0, await store.size()), checkpoints);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ bench: 'audit-verify', events, ok: report.ok, checkpoints: checkpoints.length, seconds: +seconds.toFixed(2), eventsPerSecond: Math.round(events / seconds), rssGrowthMB: Math.round((process.memoryUsage().rss - rss0) / 1e6), fillSeconds: +fillSeconds.toFixed(1) }));
  connection.close();
  await chain.close();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}

async function benchGas(): Promise<void> {
  const count = flag('checkpoints', 20);
  const dataDir = mkdtempSync(join(tmpdir(), 'custos-gas-bench-'));
  const chain = await startLocalChain({ dataDir });
  const connection = await connectChain({ rpcUrl: chain.rpcUrl, privateKey: chain.devKey(0) });
  const deployment = await deployContracts({ connection, model: 'opt-in' });
  const anchor = new EthersAuditAnchor({ connection, anchorAddress: deployment.auditAnchor });
  const gas: number[] = [];
  for (let k = 1; k <= count; k++) gas.push(Number((await anchor.anchor(k * 1000, '0x' + randomBytes(32).toString('hex'))).gasUsed));
  const sorted = [...gas].sort((a, b) => a - b);
  console.log(JSON.stringify({ bench: 'audit-gas', checkpoints: count, first: gas[0], median: sorted[Math.floor(count / 2)], max: sorted.at(-1) }));
  connection.close();
  await chain.close();
  rmSync(dataDir, { recursive: true, force: true });
}

/** A 1M-event embedded log: one patient's 6-year accounting, and a full CSV export's memory. */
async function benchReports(): Promise<void> {
  const events = flag('events', 1_000_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'custos-report-bench-'));
  const dir = join(dataDir, 'audit');
  let store = await FileAuditStore.open({ dir });
  const tree = new MerkleTree();
  for (let i = 0; i < events; i += 2000) {
    const batch = Array.from({ length: Math.min(2000, events - i) }, (_, k) => sampleEvent(i + k));
    await store.append(batch);
    for (const r of batch) tree.append(r.leafHash);
  }
  await store.sequence(events);
  await store.recordCheckpoint({ treeSize: events, root: toHex(tree.root()), chainId: 31337, contract: '0x0', chainIndex: 0, transactionHash: '0x0', blockNumber: 1, blockHash: '0x0', anchoredAt: Date.now(), gasUsed: 0 });
  await store.close();
  store = await FileAuditStore.open({ dir }); // a cold start of the store, as after a restart
  const rssOpen = process.memoryUsage().rss;
  const scope = withDefaults({ kind: 'disclosures', patient: 'Patient/pat-0042' });
  const timings: number[] = [];
  let rows = 0;
  for (let run = 0; run < 3; run++) {
    const started = process.hrtime.bigint();
    const report = await buildReport(scope, { store, tree, chain: { chainId: 31337, contract: '0x0' } });
    timings.push(Number(process.hrtime.bigint() - started) / 1e9);
    rows = report.rows.length;
  }
  console.log(JSON.stringify({ bench: 'report-accounting', events, patientEvents: Math.ceil(events / 5000), rows, secondsFirst: +timings[0]!.toFixed(3), secondsMedian: +[...timings].sort()[1]!.toFixed(3) }));

  await store.close();
  // The export in a fresh process, as `custos report` against a gateway just started would be:
  // its memory is the store's indexes plus what the export itself holds.
  const child = spawnSync(process.execPath, [new URL(import.meta.url).pathname, 'export-csv', dir], { encoding: 'utf8' });
  process.stdout.write(child.stdout);
  if (child.status !== 0) process.stderr.write(child.stderr);
  rmSync(dataDir, { recursive: true, force: true });
}

/** Opens an existing embedded log and streams a one-row-per-event CSV over all of it. */
async function exportCsv(dir: string): Promise<void> {
  const rssStart = process.memoryUsage().rss;
  const store = await FileAuditStore.open({ dir, readOnly: true });
  const rssOpen = process.memoryUsage().rss;
  let peak = rssOpen;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = process.hrtime.bigint();
  const file = join(dir, 'full.csv');
  const out = createWriteStream(file);
  const tree = new MerkleTree();
  const size = await store.size();
  for (let from = 0; from < size; from += 50_000) tree.appendMany(await store.leaves(from, Math.min(50_000, size - from)));
  const streamed = await streamCsvReport(withDefaults({ kind: 'actor-activity', actor: 'ehr-app' }), store, tree, out);
  await new Promise<void>((ok) => out.end(() => ok()));
  clearInterval(sampler);
  console.log(JSON.stringify({ bench: 'report-full-csv', rows: streamed.rows, seconds: +(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1), csvMB: Math.round(statSync(file).size / 1e6), rssStartMB: Math.round(rssStart / 1e6), rssAfterOpenMB: Math.round(rssOpen / 1e6), rssPeakMB: Math.round(peak / 1e6) }));
  await store.close();
}

const command = process.argv[2];
if (command === 'store') await benchStores();
else if (command === 'verify') await benchVerify();
else if (command === 'gas') await benchGas();
else if (command === 'reports') await benchReports();
else if (command === 'export-csv') await exportCsv(process.argv[3]!);
else {
  console.error('usage: node dist/bench/audit-bench.js store|verify|gas|reports [--events N] [--concurrency N] [--checkpoints N]');
  process.exit(2);
}
