/**
 * The console's activity counts: a change is counted once (its final event), not twice with its
 * write-ahead attempt.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toAuditRecord } from '../../src/audit/audit-record.js';
import { MemoryAuditStore } from '../../src/audit/memory-audit-store.js';
import { countActivity } from '../../src/console/activity.js';
import { auditInput } from '../support/audit-input.js';

describe('console activity counts', () => {
  it('counts a change once, whatever its write-ahead attempt', async () => {
    const store = new MemoryAuditStore();
    const write = { method: 'POST', interaction: { kind: 'create' as const, resourceType: 'Observation' }, path: '/Observation' };
    await store.append([
      toAuditRecord(auditInput({ ...write, eventId: '00000000-0000-4000-8000-000000000001', requestId: 'w', status: 0, phase: 'attempt', resources: [] })),
      toAuditRecord(auditInput({ ...write, eventId: '00000000-0000-4000-8000-000000000002', requestId: 'w', status: 201 })),
      toAuditRecord(auditInput({ eventId: '00000000-0000-4000-8000-000000000003', requestId: 'r' })),
    ]);
    await store.sequence(10);
    const recorded = Date.UTC(2026, 10, 22, 10, 0, 0);
    const activity = await countActivity(store, { from: recorded - 60_000, to: recorded + 60_000, buckets: 1 });
    assert.equal(activity.buckets[0]!.total, 2);
  });
});
