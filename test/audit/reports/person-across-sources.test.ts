/**
 * A patient report for a person known under several references (one per source): rows from every
 * reference, each event once and in log order, and the completeness check counts them all.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toAuditRecord } from '../../../src/audit/audit-record.js';
import { auditInput } from '../../support/audit-input.js';
import { MemoryAuditStore } from '../../../src/audit/memory-audit-store.js';
import { eventsInScope } from '../../../src/audit/reports/build-report.js';
import { eventFacts } from '../../../src/audit/reports/event-facts.js';
import { deriveReport } from '../../../src/audit/reports/report-rows.js';
import type { ReportScope } from '../../../src/audit/reports/report-model.js';

const event = (n: number, baseUrl: string, patients: string[]) => toAuditRecord(auditInput({
  eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, recorded: Date.UTC(2026, 10, 1, 9, n), requestId: `r-${n}`,
  decision: { permitted: 1, denied: 0, rules: ['grant'], grantIds: ['1'], patients, withheldPatients: [], breakGlass: false },
  resources: [], gateway: { id: 'gw', baseUrl },
}));

describe('a person across sources in patient reports', () => {
  it('collects every reference\'s events in log order, each once', async () => {
    const store = new MemoryAuditStore();
    await store.append([
      event(0, 'https://gw/fhir', ['pat-1']),
      event(1, 'https://gw/sources/clinic/fhir', ['b-1']),
      event(2, 'https://gw/sources/clinic/fhir', ['b-2']), // someone else
      event(3, 'https://gw/fhir', ['pat-1', 'pat-9']),
      event(4, 'https://gw/sources/clinic/fhir', ['pat-1']), // the clinic's own pat-1: another person
    ]);
    await store.sequence(10);
    const scope: ReportScope = { kind: 'access', patient: 'Patient/pat-1', alsoKnownAs: ['sources/clinic/Patient/b-1'], from: '2026-01-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' };
    const read = [];
    for await (const e of eventsInScope(store, scope)) read.push(e);
    assert.deepEqual(read.map((e) => e.index), [0, 1, 3]);
    const report = deriveReport(scope, read.map((e) => eventFacts(e.index, JSON.parse(e.canonical.toString('utf8')) as Record<string, unknown>)));
    assert.deepEqual(report.rows.map((r) => r.events[0]), [0, 1, 3]);
    const alone = deriveReport({ ...scope, alsoKnownAs: [] }, read.map((e) => eventFacts(e.index, JSON.parse(e.canonical.toString('utf8')) as Record<string, unknown>)));
    assert.deepEqual(alone.rows.map((r) => r.events[0]), [0, 3], 'without the other reference, only the default source\'s events');
  });
});
