/**
 * Reports with one row per event (disclosures, access, actor activity, break-glass) written as CSV
 * while the log is read, so a report over millions of events never sits in memory: each event in
 * scope is parsed, its row derived by the same rules as `deriveReport`, and its line written with
 * back-pressure. Only events covered by the newest anchored checkpoint are listed (as in the JSON
 * form). The JSON form of the same reports streams too (`streamJsonReport`).
 */
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { MerkleTree } from '../merkle-tree.js';
import type { AuditStore } from '../store.js';
import { eventsInScope } from './build-report.js';
import { eventFacts } from './event-facts.js';
import type { Report, ReportScope } from './report-model.js';
import { deriveReport, type Annotations } from './report-rows.js';
import { csvHeaderLine, csvRowLine } from './render-csv.js';

export const STREAMED_KINDS: readonly ReportScope['kind'][] = ['disclosures', 'access', 'actor-activity', 'break-glass'];

export interface StreamedReport {
  readonly rows: number;
  readonly unanchored: number;
}

export async function streamCsvReport(scope: ReportScope, store: AuditStore, tree: MerkleTree, out: Writable, annotate: Annotations = {}): Promise<StreamedReport> {
  const checkpoint = (await store.checkpointsWhere({ maxTreeSize: tree.size, limit: 1, newest: true }))[0] ?? null;
  const anchoredSize = checkpoint?.treeSize ?? 0;
  const empty = deriveReport(scope, [], annotate);
  const shown = checkpoint ? { chainId: checkpoint.chainId, contract: checkpoint.contract, treeSize: checkpoint.treeSize, root: checkpoint.root, transactionHash: checkpoint.transactionHash, blockNumber: checkpoint.blockNumber } : null;
  const shell = (rows: Report['rows'], evidence: Report['evidence']): Report => ({
    format: 'custos-report/1', scope, header: empty.header, generatedAt: '', rows, checkpoint: shown, evidence, unanchored: 0,
  });
  await write(out, csvHeaderLine(shell([], [])));
  let rows = 0;
  const counts = { unanchored: 0 };
  for await (const event of rowsInScope(scope, store, anchoredSize, annotate, counts)) {
    for (const row of event.rows) {
      const proof = tree.inclusionProof(event.index, anchoredSize).map((h) => h.toString('hex'));
      await write(out, csvRowLine(shell([row], [{ index: event.index, canonical: event.canonical, proof }]), row));
      rows++;
    }
  }
  return { rows, unanchored: counts.unanchored };
}

/**
 * The verifiable JSON form of a per-event report, streamed: the same document `buildReport` makes
 * (members in another order, which JSON does not care about), written in two passes over the
 * events in scope (rows, then evidence), so neither the rows nor the events sit in memory.
 */
export async function streamJsonReport(scope: ReportScope, store: AuditStore, tree: MerkleTree, out: Writable, annotate: Annotations = {}): Promise<StreamedReport> {
  const checkpoint = (await store.checkpointsWhere({ maxTreeSize: tree.size, limit: 1, newest: true }))[0] ?? null;
  const anchoredSize = checkpoint?.treeSize ?? 0;
  const header = deriveReport(scope, [], annotate).header;
  const shownCheckpoint = checkpoint
    ? { chainId: checkpoint.chainId, contract: checkpoint.contract, treeSize: checkpoint.treeSize, root: checkpoint.root, transactionHash: checkpoint.transactionHash, blockNumber: checkpoint.blockNumber }
    : null;
  await write(out, `{"format":"custos-report/1","scope":${JSON.stringify(scope)},"header":${JSON.stringify(header)},"generatedAt":"${new Date().toISOString()}","checkpoint":${JSON.stringify(shownCheckpoint)},"rows":[`);
  let rows = 0;
  const counts = { unanchored: 0 };
  for await (const event of rowsInScope(scope, store, anchoredSize, annotate, counts)) {
    for (const row of event.rows) await write(out, (rows++ > 0 ? ',' : '') + JSON.stringify(row));
  }
  await write(out, '],"evidence":[');
  let first = true;
  for await (const event of rowsInScope(scope, store, anchoredSize, annotate, { unanchored: 0 })) {
    const evidence = { index: event.index, canonical: event.canonical, proof: tree.inclusionProof(event.index, anchoredSize).map((h) => h.toString('hex')) };
    await write(out, (first ? '' : ',') + JSON.stringify(evidence));
    first = false;
  }
  await write(out, `],"unanchored":${counts.unanchored}}`);
  return { rows, unanchored: counts.unanchored };
}

/** The anchored events in scope with their rows (none when the report's rule leaves an event out). */
async function* rowsInScope(scope: ReportScope, store: AuditStore, anchoredSize: number, annotate: Annotations, counts: { unanchored: number }) {
  for await (const event of eventsInScope(store, scope)) {
    if (event.index >= anchoredSize) {
      counts.unanchored++;
      continue;
    }
    const canonical = event.canonical.toString('utf8');
    const { rows } = deriveReport(scope, [eventFacts(event.index, JSON.parse(canonical) as Record<string, unknown>)], annotate);
    if (rows.length > 0) yield { index: event.index, canonical, rows };
  }
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}
