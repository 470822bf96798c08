/**
 * Group commit: requests wait for their own event to be durable; events that arrive while a write
 * is syncing go out together in the next write; a failed write fails exactly its requests with
 * AUDIT_UNAVAILABLE, and the recorder pushes back (refuses at once) instead of queueing onto a
 * store that is down or behind.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { AuditRecorder } from '../../src/audit/audit-recorder.js';
import { leafHash } from '../../src/audit/merkle.js';
import { MemoryAuditStore } from '../../src/audit/memory-audit-store.js';
import type { AuditRecord } from '../../src/audit/store.js';
import { isCustosError } from '../../src/errors.js';

let n = 0;
function record(): AuditRecord {
  const canonical = Buffer.from(`{"id":"e${n++}"}`);
  return { canonical, leafHash: leafHash(canonical), facts: { eventId: randomUUID(), requestId: `r${n}`, recorded: Date.now(), patients: [], actor: null, clientId: null, outcome: 0, breakGlass: false } };
}

/** Counts the batches the store receives. */
class CountingStore extends MemoryAuditStore {
  batches: number[] = [];
  override async append(batch: readonly AuditRecord[]): Promise<void> {
    this.batches.push(batch.length);
    await new Promise((r) => setTimeout(r, 5)); // a sync takes time
    return super.append(batch);
  }
}

const options = { maxBatch: 1000, maxPending: 10_000, retryAfterSeconds: 2 };

describe('AuditRecorder (group commit)', () => {
  it('writes a lone event at once, and batches what arrives during a write into the next one', async () => {
    const store = new CountingStore();
    const recorder = new AuditRecorder(store, options);
    await recorder.record(record());
    assert.deepEqual(store.batches, [1]);
    await Promise.all(Array.from({ length: 200 }, () => recorder.record(record())));
    assert.equal(store.batches.reduce((a, b) => a + b, 0), 201);
    assert.ok(store.batches.length <= 3, `200 concurrent events took ${store.batches.length} writes`);
    await store.sequence(1000);
    assert.equal(await store.size(), 201);
  });

  it('resolves only after the store has the event', async () => {
    const store = new CountingStore();
    const recorder = new AuditRecorder(store, options);
    const r = record();
    await recorder.record(r);
    await store.sequence(10);
    assert.deepEqual((await store.event(0))!.canonical, r.canonical);
  });

  it('caps batches at maxBatch', async () => {
    const store = new CountingStore();
    const recorder = new AuditRecorder(store, { ...options, maxBatch: 50 });
    await Promise.all(Array.from({ length: 180 }, () => recorder.record(record())));
    assert.ok(store.batches.every((b) => b <= 50), store.batches.join());
  });

  it('fails the requests of a failed write with AUDIT_UNAVAILABLE, refuses new ones for retryAfter, then recovers', async () => {
    let now = 1_000_000;
    const store = new MemoryAuditStore();
    const failures: number[] = [];
    const recorder = new AuditRecorder(store, { ...options, now: () => now, onFailure: (_e, events) => failures.push(events) });
    store.setAvailable(false);
    const results = await Promise.allSettled([recorder.record(record()), recorder.record(record())]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const reason = (r as PromiseRejectedResult).reason;
      assert.ok(isCustosError(reason) && reason.code === 'AUDIT_UNAVAILABLE');
      assert.match(reason.message, /retry in 2 s/);
    }
    assert.ok(failures.length >= 1);
    store.setAvailable(true);
    await assert.rejects(recorder.record(record()), /failed moments ago/); // pushed back without trying
    now += 2001;
    await recorder.record(record());
    await store.sequence(10);
    assert.equal(await store.size(), 1, 'only the event written after recovery is in the log');
    assert.ok(recorder.stats().refused >= 1);
  });

  it('pushes back when too many events are waiting', async () => {
    const store = new CountingStore();
    const recorder = new AuditRecorder(store, { ...options, maxPending: 10 });
    const first = recorder.record(record()); // in flight
    const queued = Array.from({ length: 10 }, () => recorder.record(record()));
    await assert.rejects(recorder.record(record()), /too many audit events are waiting/);
    await Promise.all([first, ...queued]);
  });
});

describe('AuditRecorder commit delay (busy gateway)', () => {
  it('waits for more events after a multi-event write, so later writes carry fuller batches', async () => {
    const plain = new CountingStore();
    const delayed = new CountingStore();
    const drive = async (recorder: AuditRecorder) => {
      // 40 requests arriving 0.2 ms apart, each waiting for its own event, as under load
      const pending: Array<Promise<void>> = [];
      for (let i = 0; i < 40; i++) {
        pending.push(recorder.record(record()));
        await new Promise((r) => setTimeout(r, 0.2));
      }
      await Promise.all(pending);
    };
    await drive(new AuditRecorder(plain, options));
    await drive(new AuditRecorder(delayed, { ...options, commitDelayMs: 10, fullBatch: 1000 }));
    assert.equal(delayed.batches.reduce((a, b) => a + b, 0), 40);
    assert.ok(delayed.batches.length < plain.batches.length, `with delay ${delayed.batches.join()} vs without ${plain.batches.join()}`);
  });

  it('never delays a lone event on an idle gateway, and writes at once when a full batch is waiting', async () => {
    const store = new CountingStore();
    // A 5 s delay that must be cut short: room for a slow CI machine, none for a delay that was waited out.
    const recorder = new AuditRecorder(store, { ...options, commitDelayMs: 5000, fullBatch: 5 });
    const started = Date.now();
    await recorder.record(record());
    await Promise.all(Array.from({ length: 3 }, () => recorder.record(record()))); // batch after a lone one: no delay
    await Promise.all(Array.from({ length: 12 }, () => recorder.record(record()))); // last batch > 1: delay, cut short at 5 waiting
    assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms: the 5 s delay was not cut short`);
  });
});
