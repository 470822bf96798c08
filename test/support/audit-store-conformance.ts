/**
 * What every AuditStore must do (src/audit/store.ts), as node:test tests: the memory store runs it
 * (test/audit/memory-audit-store.test.ts), and so do the embedded file store and the PostgreSQL
 * store (test/adapters/store/). `open` must return a new, empty store each time; `reopen`, where
 * the store persists, closes it and opens it again on the same data (the fixture's `close` then
 * closes the reopened one).
 *
 * Leaf hashes are computed here with node:crypto (RFC 9162 §2.1.1: SHA-256(0x00 ‖ event)), not with
 * the code under test.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import type { AuditFacts, AuditRecord, AuditSearch, AuditStore, CheckpointRecord, StoredAuditEvent } from '../../src/audit/store.js';
import { custosRejection, rejectsWithCode } from './custos-rejection.js';

export interface AuditStoreFixture {
  readonly store: AuditStore;
  reopen?: () => Promise<AuditStore>;
  close(): Promise<void>;
}

export const ZERO_HASH = Buffer.alloc(32);
export const T0 = 1_700_000_000_000;

/** RFC 9162 §2.1.1 leaf hash. */
export function leafHashOf(canonical: Buffer): Buffer {
  return createHash('sha256').update(Buffer.of(0)).update(canonical).digest();
}

let counter = 0;

/** A record with a unique canonical body and plausible facts; `facts` overrides them. */
export function auditRecord(facts: Partial<AuditFacts> = {}, canonical?: Buffer): AuditRecord {
  const n = ++counter;
  const eventId = facts.eventId ?? randomUUID();
  const body = canonical ?? Buffer.from(JSON.stringify({ id: eventId, n, resourceType: 'AuditEvent', what: 'Observation/é✓' }), 'utf8');
  return {
    canonical: body,
    leafHash: leafHashOf(body),
    facts: { eventId, requestId: `req-${n}`, recorded: T0 + n, patients: ['Patient/1'], actor: 'Practitioner/1', clientId: 'client-1', outcome: 0, breakGlass: false, ...facts },
  };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Re-exported for the store tests (test/support/custos-rejection.ts). */
export { rejectsWithCode };

/** Asserts `stored` is `record` at `index`, linked to `previous`, byte for byte. */
export function assertStored(stored: StoredAuditEvent | null | undefined, record: AuditRecord, index: number, previous: Buffer): void {
  assert.ok(stored, `event ${index} is missing`);
  assert.equal(stored.index, index);
  assert.ok(stored.canonical.equals(record.canonical), `event ${index}: canonical bytes differ`);
  assert.ok(stored.leafHash.equals(record.leafHash), `event ${index}: leaf hash differs`);
  assert.ok(stored.previousLeafHash.equals(previous), `event ${index}: previousLeafHash is not the leaf hash of event ${index - 1}`);
  assert.deepEqual({ ...stored.facts, patients: [...stored.facts.patients] }, { ...record.facts, patients: [...record.facts.patients] });
}

/** Asserts the store holds exactly `records` as indices 0.., densely, linked. */
export async function assertLog(store: AuditStore, records: readonly AuditRecord[]): Promise<void> {
  assert.equal(await store.size(), records.length);
  const events = await collect(store.scan(0, records.length));
  assert.equal(events.length, records.length);
  events.forEach((e, i) => assertStored(e, records[i]!, i, i === 0 ? ZERO_HASH : records[i - 1]!.leafHash));
}

/** What `search` must return, written as plainly as the port's documentation. */
export function matchesSearch(e: StoredAuditEvent, f: AuditSearch): boolean {
  return (
    (f.patient === undefined || e.facts.patients.includes(f.patient)) &&
    (f.actor === undefined || e.facts.actor === f.actor || e.facts.clientId === f.actor) &&
    (f.from === undefined || e.facts.recorded >= f.from) &&
    (f.to === undefined || e.facts.recorded < f.to) &&
    (f.outcome === undefined || e.facts.outcome === f.outcome) &&
    (f.breakGlass === undefined || e.facts.breakGlass === f.breakGlass) &&
    (f.afterIndex === undefined || e.index > f.afterIndex)
  );
}

export function checkpoint(treeSize: number, overrides: Partial<CheckpointRecord> = {}): CheckpointRecord {
  return {
    treeSize,
    root: '0x' + createHash('sha256').update(String(treeSize)).digest('hex'),
    chainId: 31337,
    contract: '0x' + '5f'.repeat(20),
    chainIndex: treeSize,
    transactionHash: '0x' + randomBytes(32).toString('hex'),
    blockNumber: 100 + treeSize,
    blockHash: '0x' + randomBytes(32).toString('hex'),
    anchoredAt: T0 + treeSize,
    gasUsed: 24_000,
    ...overrides,
  };
}

/** Appends `records` in batches of `size` (one after the other) and sequences them all. */
export async function appendAll(store: AuditStore, records: readonly AuditRecord[], size = 100): Promise<void> {
  for (let i = 0; i < records.length; i += size) await store.append(records.slice(i, i + size));
  while ((await store.sequence(10_000)).length > 0);
}

/** `persistent`: the store keeps its events across a reopen (the fixture then has `reopen`). */
export function auditStoreConformance(name: string, open: () => Promise<AuditStoreFixture>, persistent = true): void {
  describe(`AuditStore conformance: ${name}`, () => {
    const opened: AuditStoreFixture[] = [];
    const fresh = async (): Promise<AuditStoreFixture> => {
      const fixture = await open();
      opened.push(fixture);
      return fixture;
    };
    afterEach(async () => {
      for (const fixture of opened.splice(0)) await fixture.close();
    });

    it('starts empty', async () => {
      const { store } = await fresh();
      assert.equal(await store.size(), 0);
      assert.deepEqual(await store.leaves(0, 10), []);
      assert.equal(await store.event(0), null);
      assert.deepEqual(await collect(store.scan(0, 10)), []);
      assert.deepEqual(await store.search({ limit: 10 }), []);
      assert.deepEqual(await store.sequence(10), []);
      assert.deepEqual(await store.checkpoints(), []);
      assert.equal(await store.acquireSequencer(), true, 'a lone store is the sequencer');
    });

    it('keeps appended events invisible until sequence gives them indices', async () => {
      const { store } = await fresh();
      const records = [auditRecord(), auditRecord(), auditRecord()];
      await store.append(records);
      assert.equal(await store.size(), 0);
      assert.equal(await store.event(0), null);
      assert.deepEqual(await store.leaves(0, 10), []);
      assert.deepEqual(await collect(store.scan(0, 10)), []);
      assert.deepEqual(await store.search({ patient: 'Patient/1', limit: 10 }), []);
      const sequenced = await store.sequence(10);
      assert.deepEqual(sequenced.map((l) => l.index), [0, 1, 2]);
      sequenced.forEach((l, i) => assert.ok(l.leafHash.equals(records[i]!.leafHash)));
      await assertLog(store, records);
    });

    it('sequences in arrival order with dense indices, at most `limit` at a time, and previousLeafHash links', async () => {
      const { store } = await fresh();
      const records = Array.from({ length: 6 }, () => auditRecord());
      await store.append(records.slice(0, 2));
      await store.append(records.slice(2, 3));
      await store.append([]);
      await store.append(records.slice(3));
      assert.deepEqual((await store.sequence(2)).map((l) => l.index), [0, 1]);
      assert.equal(await store.size(), 2);
      assert.deepEqual((await store.sequence(1000)).map((l) => l.index), [2, 3, 4, 5]);
      assert.deepEqual(await store.sequence(1000), [], 'nothing left to sequence');
      await assertLog(store, records);
      for (let i = 0; i < records.length; i++) {
        assertStored(await store.event(i), records[i]!, i, i === 0 ? ZERO_HASH : records[i - 1]!.leafHash);
      }
    });

    it('round-trips every fact: no patients or several, no actor, each outcome, break-glass, non-ASCII', async () => {
      const { store } = await fresh();
      const records = [
        auditRecord({ patients: [], actor: null, clientId: null, outcome: 4 }),
        auditRecord({ patients: ['Patient/1', 'Patient/zoë', 'Patient/3'], outcome: 8, breakGlass: true }),
        auditRecord({ actor: 'Patient/ünïcødé', clientId: 'app ☃', requestId: 'req-✓-日本', outcome: 12 }),
        auditRecord({ actor: 'same-subject', clientId: 'same-subject', recorded: 0 }),
      ];
      await appendAll(store, records);
      await assertLog(store, records);
    });

    it('stores canonical bytes byte-exact: non-ASCII, NFC and NFD kept apart, arbitrary bytes, ~64 KB', async () => {
      const { store } = await fresh();
      const bodies = [
        Buffer.from('{"text":"café ☕ 𝄞 Ωmega"}', 'utf8'),
        Buffer.from('{"text":"cafe\u0301"}', 'utf8'),
        Buffer.from('{"text":"caf\u00e9"}', 'utf8'),
        randomBytes(333),
        Buffer.from([0]),
        Buffer.from(JSON.stringify({ big: 'x€'.repeat(21_800) }), 'utf8'),
      ];
      assert.ok(bodies[5]!.length > 64_000);
      const records = bodies.map((b) => auditRecord({}, b));
      await appendAll(store, records, 3);
      await assertLog(store, records);
    });

    it('answers leaves() for ranges, clamped to the size', async () => {
      const { store } = await fresh();
      const records = Array.from({ length: 7 }, () => auditRecord());
      await appendAll(store, records);
      const hashes = records.map((r) => r.leafHash.toString('hex'));
      const hex = (list: Buffer[]): string[] => list.map((b) => b.toString('hex'));
      assert.deepEqual(hex(await store.leaves(0, 7)), hashes);
      assert.deepEqual(hex(await store.leaves(2, 3)), hashes.slice(2, 5));
      assert.deepEqual(hex(await store.leaves(5, 100)), hashes.slice(5));
      assert.deepEqual(await store.leaves(7, 5), []);
      assert.deepEqual(await store.leaves(100, 1), []);
      assert.deepEqual(await store.leaves(3, 0), []);
    });

    it('answers event() with null outside the log', async () => {
      const { store } = await fresh();
      await appendAll(store, [auditRecord(), auditRecord()]);
      assert.equal(await store.event(-1), null);
      assert.equal(await store.event(2), null);
      assert.equal(await store.event(1_000_000), null);
      assert.equal((await store.event(1))?.index, 1);
    });

    it('scans [from, to) in order, clamped, empty when the range is, across many events', async () => {
      const { store } = await fresh();
      const records = Array.from({ length: 2_500 }, (_, i) => auditRecord({ patients: [`Patient/${i % 7}`] }));
      await appendAll(store, records, 250);
      await assertLog(store, records);
      const indices = async (from: number, to: number): Promise<number[]> => (await collect(store.scan(from, to))).map((e) => e.index);
      assert.deepEqual(await indices(10, 15), [10, 11, 12, 13, 14]);
      assert.deepEqual(await indices(2_497, 10_000), [2_497, 2_498, 2_499]);
      assert.deepEqual(await indices(5, 5), []);
      assert.deepEqual(await indices(9, 3), []);
      assert.deepEqual(await indices(2_500, 2_600), []);
      assert.deepEqual(await indices(-5, 2), [0, 1]);
      for await (const e of store.scan(0, 2_500)) if (e.index === 3) break; // stopping early frees it
      assert.equal((await store.event(2_499))?.index, 2_499);
    });

    describe('search', () => {
      const P1 = 'Patient/1';
      const P2 = 'Patient/2';
      const P3 = 'Patient/zoë';
      const rows: Array<Partial<AuditFacts>> = [
        { patients: [P1], actor: 'Practitioner/a', clientId: 'app-x', outcome: 0, recorded: T0 },
        { patients: [P1, P2], actor: 'Practitioner/b', clientId: 'app-x', outcome: 4, recorded: T0 + 1_000 },
        { patients: [], actor: null, clientId: null, outcome: 4, recorded: T0 + 2_000 },
        { patients: [P2], actor: 'Practitioner/a', clientId: 'app-y', breakGlass: true, recorded: T0 + 3_000 },
        { patients: [P1], actor: 'Patient/1', clientId: 'app-y', outcome: 8, recorded: T0 + 4_000 },
        { patients: [P3], actor: 'subject-9', clientId: 'Practitioner/a', outcome: 12, breakGlass: true, recorded: T0 + 5_000 },
        { patients: [P1, P3], actor: 'Practitioner/a', clientId: 'app-x', recorded: T0 + 5_000 },
        { patients: [P2], actor: 'Practitioner/b', clientId: 'app-x', outcome: 4, breakGlass: true, recorded: T0 + 9_000 },
      ];
      const filters: AuditSearch[] = [
        { limit: 100 },
        { patient: P1, limit: 100 },
        { patient: P3, limit: 100 },
        { patient: 'Patient/none', limit: 100 },
        { actor: 'Practitioner/a', limit: 100 },
        { actor: 'app-y', limit: 100 },
        { actor: 'nobody', limit: 100 },
        { from: T0 + 1_000, limit: 100 },
        { to: T0 + 3_000, limit: 100 },
        { from: T0 + 2_000, to: T0 + 5_001, limit: 100 },
        { outcome: 0, limit: 100 },
        { outcome: 4, limit: 100 },
        { outcome: 12, limit: 100 },
        { breakGlass: true, limit: 100 },
        { breakGlass: false, limit: 100 },
        { patient: P1, actor: 'Practitioner/a', limit: 100 },
        { patient: P2, breakGlass: true, outcome: 4, limit: 100 },
        { actor: 'app-x', from: T0 + 1_000, to: T0 + 6_000, limit: 100 },
        { patient: P1, afterIndex: 1, limit: 100 },
        { patient: P1, limit: 2 },
        { afterIndex: 6, limit: 100 },
        { afterIndex: 7, limit: 100 },
      ];

      it('matches each criterion and their combinations, by increasing index, sequenced events only', async () => {
        const { store } = await fresh();
        const records = rows.map((facts) => auditRecord(facts));
        await appendAll(store, records);
        await store.append([auditRecord({ patients: [P1], actor: 'Practitioner/a', breakGlass: true })]); // not sequenced
        const all = await collect(store.scan(0, records.length));
        for (const filter of filters) {
          const expected = all.filter((e) => matchesSearch(e, filter)).slice(0, filter.limit).map((e) => e.index);
          const found = await store.search(filter);
          assert.deepEqual(found.map((e) => e.index), expected, JSON.stringify(filter));
          for (const e of found) assertStored(e, records[e.index]!, e.index, e.index === 0 ? ZERO_HASH : records[e.index - 1]!.leafHash);
        }
      });

      it('pages with afterIndex and limit to exactly the full result', async () => {
        const { store } = await fresh();
        const records = Array.from({ length: 40 }, (_, i) => auditRecord({ patients: i % 3 === 0 ? [P1] : [P2], breakGlass: i % 2 === 0 }));
        await appendAll(store, records, 7);
        const all = await collect(store.scan(0, records.length));
        for (const filter of [{ patient: P1 }, { breakGlass: true }, {}] as const) {
          const paged: number[] = [];
          for (let afterIndex: number | undefined; ; ) {
            const page = await store.search({ ...filter, limit: 4, ...(afterIndex === undefined ? {} : { afterIndex }) });
            assert.ok(page.length <= 4);
            paged.push(...page.map((e) => e.index));
            if (page.length < 4) break;
            afterIndex = page[page.length - 1]!.index;
          }
          const expected = all.filter((e) => matchesSearch(e, { ...filter, limit: 1 })).map((e) => e.index);
          assert.deepEqual(paged, expected, JSON.stringify(filter));
        }
      });

      it('caps a page at 1000 and refuses a limit below 1 (INVALID_REQUEST)', async () => {
        const { store } = await fresh();
        await appendAll(store, Array.from({ length: 1_100 }, () => auditRecord()), 550);
        assert.equal((await store.search({ limit: 5_000 })).length, 1_000);
        assert.equal((await store.search({ limit: 1_000, afterIndex: 999 })).length, 100);
        await rejectsWithCode(store.search({ limit: 0 }), 'INVALID_REQUEST');
      });
    });

    it('loses nothing and mixes no bytes under many concurrent appends', async () => {
      const { store } = await fresh();
      const batches = Array.from({ length: 64 }, (_, b) =>
        Array.from({ length: 1 + (b % 8) }, (_, i) => auditRecord({ patients: [`Patient/${b}`] }, b % 9 === 0 && i === 0 ? randomBytes(20_000) : undefined)),
      );
      await Promise.all(batches.map((batch) => store.append(batch)));
      while ((await store.sequence(37)).length > 0);
      const records = batches.flat();
      const events = await collect(store.scan(0, records.length + 10));
      assert.equal(events.length, records.length);
      const byEventId = new Map(records.map((r) => [r.facts.eventId, r]));
      events.forEach((e, i) => {
        assert.equal(e.index, i);
        const record = byEventId.get(e.facts.eventId);
        assert.ok(record, `event ${i} was never appended`);
        byEventId.delete(e.facts.eventId);
        assertStored(e, record, i, i === 0 ? ZERO_HASH : events[i - 1]!.leafHash);
      });
      assert.equal(byEventId.size, 0, 'every appended event is in the log once');
      const position = new Map(events.map((e) => [e.facts.eventId, e.index]));
      for (const batch of batches) {
        const at = batch.map((r) => position.get(r.facts.eventId)!);
        assert.deepEqual(at, [...at].sort((a, b) => a - b), 'a batch keeps its order');
      }
    });

    // A memory store keeps nothing across a restart by design: the test is not registered for it.
    if (persistent) it('keeps everything across a reopen, and sequence continues the numbering', async () => {
      const fixture = await fresh();
      assert.ok(fixture.reopen, 'a persistent store fixture must be able to reopen');
      const records = Array.from({ length: 5 }, () => auditRecord());
      await appendAll(fixture.store, records);
      await fixture.store.recordCheckpoint(checkpoint(5));
      const unsequenced = [auditRecord(), auditRecord()];
      await fixture.store.append(unsequenced);
      let store = await fixture.reopen();
      while ((await store.sequence(1000)).length > 0);
      await assertLog(store, [...records, ...unsequenced]);
      const more = [auditRecord(), auditRecord(), auditRecord()];
      await store.append(more);
      assert.deepEqual((await store.sequence(1000)).map((l) => l.index), [7, 8, 9]);
      store = await fixture.reopen();
      await assertLog(store, [...records, ...unsequenced, ...more]);
      assert.deepEqual((await store.checkpoints()).map((c) => c.treeSize), [5]);
    });

    it('records, replaces, drops and orders checkpoints', async () => {
      const fixture = await fresh();
      const { store } = fixture;
      const [c10, c5, c20] = [checkpoint(10), checkpoint(5), checkpoint(20)];
      await store.recordCheckpoint(c10);
      await store.recordCheckpoint(c5);
      await store.recordCheckpoint(c20);
      assert.deepEqual(await store.checkpoints(), [c5, c10, c20]);
      const resent = checkpoint(10, { transactionHash: '0x' + 'ab'.repeat(32), blockNumber: 999, chainIndex: 7 });
      await store.recordCheckpoint(resent);
      assert.deepEqual(await store.checkpoints(), [c5, resent, c20]);
      await store.dropCheckpoint(5);
      await store.dropCheckpoint(12_345); // unknown: nothing happens
      assert.deepEqual(await store.checkpoints(), [resent, c20]);
      if (fixture.reopen) assert.deepEqual(await (await fixture.reopen()).checkpoints(), [resent, c20]);
    });

    it('answers checkpoint range queries (the covering one, the newest, the newest at most a size) without the rest', async () => {
      const { store } = await fresh();
      const recorded = [20, 5, 40, 10].map((size) => checkpoint(size));
      for (const c of recorded) await store.recordCheckpoint(c);
      const sizes = async (query: Parameters<AuditStore['checkpointsWhere']>[0]) => (await store.checkpointsWhere(query)).map((c) => c.treeSize);
      assert.deepEqual(await sizes({ limit: 1, newest: true }), [40], 'the newest');
      assert.deepEqual(await sizes({ limit: 3, newest: true }), [10, 20, 40], 'the newest three, by increasing size');
      assert.deepEqual(await sizes({ minTreeSize: 11, limit: 1 }), [20], 'the first covering index 10');
      assert.deepEqual(await sizes({ minTreeSize: 10, limit: 1 }), [10], 'bounds are inclusive');
      assert.deepEqual(await sizes({ maxTreeSize: 39, limit: 1, newest: true }), [20], 'the newest of a tree no larger than 39');
      assert.deepEqual(await sizes({ minTreeSize: 41, limit: 1 }), [], 'none covers index 40 yet');
      assert.deepEqual(await sizes({ maxTreeSize: 4, limit: 5, newest: true }), []);
      assert.deepEqual(await sizes({ minTreeSize: 5, maxTreeSize: 20, limit: 10 }), [5, 10, 20]);
      assert.deepEqual(await store.checkpointsWhere({ limit: 1, newest: true }), [recorded[2]], 'whole records');
    });

    it('refuses a batch with a record no store can keep as given (INVALID_REQUEST, the same for every store) and stores nothing of it', async () => {
      const { store } = await fresh();
      const good = auditRecord();
      const base = auditRecord();
      const bad: Array<[string, AuditRecord]> = [
        ['leafHash', { ...base, leafHash: Buffer.alloc(31) }],
        ['canonical', { ...base, canonical: 'text' as unknown as Buffer }],
        ['eventId', { ...base, facts: { ...base.facts, eventId: 'not-a-uuid' } }],
        ['eventId', { ...base, facts: { ...base.facts, eventId: base.facts.eventId.toUpperCase() } }],
        ['recorded', { ...base, facts: { ...base.facts, recorded: -1 } }],
        ['recorded', { ...base, facts: { ...base.facts, recorded: 9e15 } }],
        ['outcome', { ...base, facts: { ...base.facts, outcome: 3 as 0 } }],
        ['recorded', { ...base, facts: { ...base.facts, recorded: Number.NaN } }],
        ['patients', { ...base, facts: { ...base.facts, patients: 'Patient/1' as unknown as string[] } }],
      ];
      for (const [field, record] of bad) {
        const refused = await custosRejection(store.append([good, record]));
        assert.equal(refused.code, 'INVALID_REQUEST', field);
        assert.match(refused.message, new RegExp(`^audit record 1 of the batch: ${field}`), field);
      }
      await store.sequence(10);
      assert.equal(await store.size(), 0);
    });

    it('refuses calls once closed (UNAVAILABLE), and closing twice is harmless', async () => {
      const fixture = await fresh();
      await fixture.store.append([auditRecord()]);
      await fixture.store.close();
      await fixture.store.close();
      await rejectsWithCode(fixture.store.append([auditRecord()]), 'UNAVAILABLE');
      await rejectsWithCode(fixture.store.size(), 'UNAVAILABLE');
    });
  });
}
