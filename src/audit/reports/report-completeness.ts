/**
 * Is anything missing from a report? The report file alone cannot say (it proves its rows, not
 * the absence of others); the log can. Given the events of a verified export (`custos audit verify
 * --report R --file EXPORT`), the report's rows are derived again from EVERY event of the log up
 * to the report's checkpoint that falls in its scope, and compared with the rows it holds: a row
 * left out (or added) is named.
 */
import type { VerifiableEvent } from '../verify.js';
import { eventFacts, type EventFacts } from './event-facts.js';
import { personReferences, type Report, type ReportRow } from './report-model.js';
import { deriveReport } from './report-rows.js';

export interface CompletenessProblem {
  readonly kind: 'row-missing' | 'row-added';
  readonly message: string;
}

/** Whether an event can belong to the report's scope (the kind's own rule is applied by deriveReport). */
function inScope(report: Report, f: EventFacts): boolean {
  const t = Date.parse(f.recorded);
  if (!(t >= Date.parse(report.scope.from) && t < Date.parse(report.scope.to))) return false;
  switch (report.scope.kind) {
    case 'actor-activity': return f.actor === report.scope.actor || f.clientId === report.scope.actor;
    case 'break-glass': return f.breakGlass;
    case 'denied': return f.outcome === 4;
    default: {
      const person = personReferences(report.scope);
      return f.patients.some((p) => person.has(p));
    }
  }
}

export async function checkCompleteness(report: Report, events: AsyncIterable<VerifiableEvent>): Promise<CompletenessProblem[]> {
  const size = report.checkpoint?.treeSize ?? 0;
  const facts: EventFacts[] = [];
  for await (const e of events) {
    if (e.index >= size) continue;
    let f: EventFacts;
    try {
      f = eventFacts(e.index, JSON.parse(e.canonical.toString('utf8')) as Record<string, unknown>);
    } catch {
      continue; // the log's own verification reports an unreadable event
    }
    if (inScope(report, f)) facts.push(f);
  }
  const pseudonymised = report.header.columns.some((c) => c.key === 'patient' && c.annotation === true);
  const derived = deriveReport(report.scope, facts, pseudonymised ? { pseudonym: (p: string) => p } : {});
  const annotations = new Set(derived.header.columns.filter((c) => c.annotation).map((c) => c.key));
  const key = (row: ReportRow) => JSON.stringify([row.events, Object.entries(row.cells).filter(([k]) => !annotations.has(k)).sort(([a], [b]) => (a < b ? -1 : 1))]);
  const held = new Set(report.rows.map(key));
  const expected = new Set(derived.rows.map(key));
  const problems: CompletenessProblem[] = [];
  for (const row of derived.rows) if (!held.has(key(row))) problems.push({ kind: 'row-missing', message: `the log holds a row this report left out (events ${row.events.join(', ')})` });
  for (const [i, row] of report.rows.entries()) if (!expected.has(key(row))) problems.push({ kind: 'row-added', message: `row ${i + 1} is not one the log's events give` });
  return problems;
}
