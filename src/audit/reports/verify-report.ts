/**
 * Verifies an exported report (its JSON form) against the chain, without the gateway's database:
 *
 * 1. the checkpoint the report names must be on chain with the same tree size and root (the root is
 *    taken from the chain, never from the file);
 * 2. every event in the evidence must hash to a leaf whose inclusion proof leads to that root;
 * 3. the rows must be exactly those the report's rules derive from those events (`report-rows.ts`),
 *    except columns marked as annotations (resolved names, keyed pseudonyms), which are reported as
 *    unverified;
 * 4. every event a row cites must be in the evidence.
 *
 * What it cannot show from the file alone: that no event was left out of the report. The events'
 * indices are proven, so a gap is visible to anyone holding the log or its export.
 */
import type { ChainCheckpoint } from '../anchor.js';
import { leafHash, verifyInclusion } from '../merkle.js';
import { eventFacts } from './event-facts.js';
import type { Report, ReportRow } from './report-model.js';
import { deriveReport } from './report-rows.js';

export interface ReportProblem {
  readonly kind: 'not-a-report' | 'checkpoint-not-on-chain' | 'event-not-proven' | 'row-altered' | 'row-missing' | 'row-added' | 'evidence-missing';
  readonly message: string;
}

export interface ReportVerification {
  readonly ok: boolean;
  readonly rows: number;
  readonly events: number;
  readonly unverifiedColumns: readonly string[];
  readonly problems: readonly ReportProblem[];
}

/** `findBySize` reads the chain (the adapter's AuditAnchor reader). */
export async function verifyReport(raw: unknown, findBySize: (treeSize: bigint) => Promise<ChainCheckpoint | null>): Promise<ReportVerification> {
  const problems: ReportProblem[] = [];
  const report = raw as Partial<Report>;
  if (report?.format !== 'custos-report/1' || !report.scope || !Array.isArray(report.rows) || !Array.isArray(report.evidence) || !report.header) {
    return { ok: false, rows: 0, events: 0, unverifiedColumns: [], problems: [{ kind: 'not-a-report', message: 'the file is not a Custos report in its JSON form (format "custos-report/1")' }] };
  }
  const rows = report.rows;
  const evidence = report.evidence;
  const checkpoint = report.checkpoint;
  if (!checkpoint) {
    if (evidence.length > 0 || rows.length > 0) problems.push({ kind: 'checkpoint-not-on-chain', message: 'the report names no checkpoint, so none of its rows can be proven' });
  } else {
    const onChain = await findBySize(BigInt(checkpoint.treeSize));
    if (!onChain || onChain.root.toLowerCase() !== String(checkpoint.root).toLowerCase()) {
      problems.push({ kind: 'checkpoint-not-on-chain', message: `no checkpoint of tree size ${checkpoint.treeSize} with root ${checkpoint.root} is anchored on the chain: the report's proofs lead nowhere` });
    } else {
      const root = Buffer.from(onChain.root.replace(/^0x/, ''), 'hex');
      for (const e of evidence) {
        const check = verifyInclusion({ index: e.index, treeSize: checkpoint.treeSize, leafHash: leafHash(Buffer.from(String(e.canonical), 'utf8')), proof: (e.proof ?? []).map((h: string) => Buffer.from(String(h), 'hex')), root });
        if (!check.ok) problems.push({ kind: 'event-not-proven', message: `event ${e.index} is not in the anchored log as given (${check.reason}): it was altered or never logged` });
      }
    }
  }

  const facts = [];
  for (const e of evidence) {
    try {
      facts.push(eventFacts(e.index, JSON.parse(String(e.canonical)) as Record<string, unknown>));
    } catch {
      problems.push({ kind: 'event-not-proven', message: `event ${e.index} is not valid JSON` });
    }
  }
  const included = new Set<number>();
  for (const e of evidence) {
    if (included.has(e.index)) problems.push({ kind: 'event-not-proven', message: `event ${e.index} appears twice in the evidence: counts built on it would be inflated` });
    included.add(e.index);
    const recorded = Date.parse(String(recordedOf(String(e.canonical))));
    if (!(recorded >= Date.parse(report.scope.from) && recorded < Date.parse(report.scope.to))) problems.push({ kind: 'event-not-proven', message: `event ${e.index} lies outside the report's period` });
  }
  for (const [i, row] of rows.entries()) {
    for (const index of row.events ?? []) if (!included.has(index)) problems.push({ kind: 'evidence-missing', message: `row ${i + 1} cites event ${index}, which the report does not include` });
  }
  // The header (and so which columns are annotations) is derived from the scope, never taken from
  // the file: a forger could otherwise mark the columns they edited as "unverifiable". The only
  // choice the file makes is whether break-glass patients were pseudonymised, and only where the
  // scope did not ask for names.
  const pseudonymised = report.scope.kind === 'break-glass' && !report.scope.showNames && report.header.columns.some((c) => c.key === 'patient' && c.annotation === true);
  const annotate = pseudonymised ? { pseudonym: (p: string) => p } : {};
  const derived = deriveReport(report.scope, facts, annotate);
  if (JSON.stringify(derived.header.columns) !== JSON.stringify(report.header.columns)) {
    problems.push({ kind: 'row-altered', message: 'the report\'s columns are not those its kind defines: the header was altered' });
  }
  const annotations = new Set(derived.header.columns.filter((c) => c.annotation).map((c) => c.key));
  const known = new Set(derived.header.columns.map((c) => c.key));
  for (const [i, row] of rows.entries()) {
    if (Object.keys(row.cells ?? {}).some((k) => !known.has(k))) problems.push({ kind: 'row-altered', message: `row ${i + 1} has cells no column of this report defines` });
  }
  const key = (row: ReportRow) => JSON.stringify([row.events, Object.entries(row.cells).filter(([k]) => !annotations.has(k)).sort(([a], [b]) => (a < b ? -1 : 1))]);
  const expected = new Map(derived.rows.map((r) => [JSON.stringify(r.events), key(r)]));
  const seen = new Set<string>();
  for (const [i, row] of rows.entries()) {
    const id = JSON.stringify(row.events ?? []);
    const want = expected.get(id);
    if (want === undefined) problems.push({ kind: 'row-added', message: `row ${i + 1} is not one the report's rules derive from its events` });
    else if (want !== key(row)) problems.push({ kind: 'row-altered', message: `row ${i + 1} was altered: it does not match the events it cites` });
    seen.add(id);
  }
  for (const [id] of expected) if (!seen.has(id)) problems.push({ kind: 'row-missing', message: `a row for event(s) ${id} is missing from the report` });
  return { ok: problems.length === 0, rows: rows.length, events: evidence.length, unverifiedColumns: [...annotations], problems };
}

function recordedOf(canonical: string): unknown {
  try {
    return (JSON.parse(canonical) as { recorded?: unknown }).recorded ?? '';
  } catch {
    return '';
  }
}
