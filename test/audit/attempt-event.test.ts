/**
 * The write-ahead attempt event: committed before a change is forwarded, it has no outcome, carries
 * the audit-phase subtype, re-derives to the same search fields (what verify checks), and is not an
 * access of its own in the reports. If the final event then cannot be committed, the attempt stays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuditRecorder } from '../../src/audit/audit-recorder.js';
import { toAuditRecord } from '../../src/audit/audit-record.js';
import { auditInput } from '../support/audit-input.js';
import { MemoryAuditStore } from '../../src/audit/memory-audit-store.js';
import { canonicalJson } from '../../src/fhir/canonical-json.js';
import { eventFacts } from '../../src/audit/reports/event-facts.js';
import { deriveReport } from '../../src/audit/reports/report-rows.js';
import { createAuditTrail } from '../../src/http/audit-trail.js';
import type { RequestContext } from '../../src/http/request-context.js';

const input = (phase?: 'attempt') => auditInput({
  method: 'POST', interaction: { kind: 'create', resourceType: 'Observation' }, path: '/Observation', status: phase ? 0 : 201,
  decision: { permitted: 1, denied: 0, rules: ['grant'], grantIds: ['7'], patients: ['pat-3'], withheldPatients: [], breakGlass: false },
  resources: phase ? [] : ['Observation/o-1/_history/1'],
  ...(phase ? { phase } : {}),
});

describe('write-ahead attempt events', () => {
  it('is canonical, has no outcome, is marked by its subtype, and re-derives to its search fields', () => {
    const record = toAuditRecord(input('attempt'));
    const event = JSON.parse(record.canonical.toString('utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(record.canonical.toString('utf8'), canonicalJson(event));
    assert.equal(event['outcome'], undefined);
    assert.match(event['outcomeDesc'], /^attempt:/);
    assert.deepEqual(event['subtype'].map((c: { code: string }) => c.code), ['create', 'attempt']);
    const facts = eventFacts(0, event);
    assert.equal(facts.attempt, true);
    assert.deepEqual([facts.outcome, facts.patients], [record.facts.outcome, record.facts.patients]);
    assert.equal(eventFacts(1, JSON.parse(toAuditRecord(input()).canonical.toString('utf8'))).attempt, false);
  });

  it('is not an access of its own in the reports: the final event is', () => {
    const attempt = eventFacts(0, JSON.parse(toAuditRecord(input('attempt')).canonical.toString('utf8')));
    const final = eventFacts(1, JSON.parse(toAuditRecord(input()).canonical.toString('utf8')));
    const report = deriveReport({ kind: 'access', patient: 'Patient/pat-3', from: '2026-01-01', to: '2027-01-01' } as never, [attempt, final]);
    assert.equal(report.rows.length, 1);
  });

  it('stays in the log when the final event cannot be committed after the change was forwarded', async () => {
    const store = new MemoryAuditStore();
    const trail = createAuditTrail(new AuditRecorder(store, { maxBatch: 10, maxPending: 10, retryAfterSeconds: 1 }), { id: 'gw', baseUrl: 'https://gw/fhir' });
    const context: RequestContext = { requestId: 'w-2', traceId: 'c'.repeat(32), traceparent: 'x', clientAddress: '10.0.0.1', proto: 'https', host: 'gw', startedAt: 0n, interaction: { kind: 'create', resourceType: 'Observation' }, path: '/Observation' };
    await trail.attempt(context, 'POST');
    store.setAvailable(false); // the store fails between the forward and the final event
    await assert.rejects(trail.commit(context, { method: 'POST', status: 201 }));
    store.setAvailable(true);
    await store.sequence(10);
    assert.equal(await store.size(), 1);
    const kept = JSON.parse((await store.event(0))!.canonical.toString('utf8')) as { outcomeDesc: string; entity: Array<{ what?: { identifier?: { value?: string } } }> };
    assert.match(kept.outcomeDesc, /^attempt:/);
    assert.ok(kept.entity.some((e) => e.what?.identifier?.value === 'w-2'), 'the attempt names the request');
  });
});
