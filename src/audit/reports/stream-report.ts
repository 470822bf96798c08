/**
 * Reports with one row per event (disclosures, access, actor activity, break-glass) written as CSV
 * while the log is read, so a report over millions of events never sits in memory: each event in
 * scope is parsed, its row derived by the same rules as `deriveReport`, and its line written with
 * back-pressure. Only events covered by the newest anchored checkpoint are listed (as in the JSON
 * form); the verifiable form with proofs stays the JSON report.
 */
import type { Writable } from 'node:stream';
import { once } from 'node:events';
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

export async function streamCsvReport(scope: ReportScope, store: AuditStore, out: Writable, annotate: Annotations = {}): Promise<StreamedReport> {
  const anchoredSize = (await store.checkpoints()).at(-1)?.treeSize ?? 0;
  const empty = deriveReport(scope, [], annotate);
  const shell = (rows: Report['rows'], evidence: Report['evidence']): Report => ({
    format: 'custos-report/1', scope, header: empty.header, generatedAt: '', rows, checkpoint: null, evidence, unanchored: 0,
  });
  await write(out, csvHeaderLine(shell([], [])));
  let rows = 0;
  let unanchored = 0;
  for await (const event of eventsInScope(store, scope)) {
    if (event.index >= anchoredSize) {
      unanchored++;
      continue;
    }
    const canonical = event.canonical.toString('utf8');
    const derived = deriveReport(scope, [eventFacts(event.index, JSON.parse(canonical) as Record<string, unknown>)], annotate);
    for (const row of derived.rows) {
      await write(out, csvRowLine(shell([row], [{ index: event.index, canonical, proof: [] }]), row));
      rows++;
    }
  }
  return { rows, unanchored };
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}
