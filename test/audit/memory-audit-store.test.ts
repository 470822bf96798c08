/**
 * The in-memory AuditStore passes the same conformance suite as the real stores, and its outage
 * hooks behave as the unit tests that use them expect.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryAuditStore } from '../../src/audit/memory-audit-store.js';
import { auditRecord, auditStoreConformance, rejectsWithCode } from '../support/audit-store-conformance.js';

auditStoreConformance('memory', async () => {
  const store = new MemoryAuditStore();
  return { store, close: () => store.close() };
}, false);

describe('MemoryAuditStore outage hooks', () => {
  it('fails the next n appends with UNAVAILABLE and stores nothing of them', async () => {
    const store = new MemoryAuditStore();
    store.failNextAppends(2);
    await rejectsWithCode(store.append([auditRecord()]), 'UNAVAILABLE');
    await rejectsWithCode(store.append([auditRecord()]), 'UNAVAILABLE');
    await store.append([auditRecord()]);
    assert.equal((await store.sequence(10)).length, 1);
    assert.equal(store.appends, 1);
  });

  it('refuses every call while unavailable, and is no sequencer then', async () => {
    const store = new MemoryAuditStore();
    await store.append([auditRecord()]);
    store.setAvailable(false);
    await rejectsWithCode(store.append([auditRecord()]), 'UNAVAILABLE');
    await rejectsWithCode(store.sequence(10), 'UNAVAILABLE');
    await rejectsWithCode(store.size(), 'UNAVAILABLE');
    assert.equal(await store.acquireSequencer(), false);
    store.setAvailable(true);
    assert.deepEqual((await store.sequence(10)).map((l) => l.index), [0]);
  });

  it('keeps its own copies: a caller mutating its buffers changes nothing stored', async () => {
    const store = new MemoryAuditStore();
    const record = auditRecord();
    const original = Buffer.from(record.canonical);
    await store.append([record]);
    record.canonical.fill(0);
    await store.sequence(1);
    const stored = await store.event(0);
    assert.ok(stored && stored.canonical.equals(original));
    stored.canonical.fill(1);
    assert.ok((await store.event(0))?.canonical.equals(original));
  });
});
