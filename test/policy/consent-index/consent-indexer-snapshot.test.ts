import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryIndexSnapshotStore, type IndexSnapshot } from '../../../src/policy/index-snapshot.js';
import { until } from '../../support/index-snapshot-conformance.js';
import { broadGrant, freshState, indexerFor, memoryLedger, pseudonym, query, spyLedger, stateOf } from './helpers.js';

const alice = pseudonym('subject alice');
const bob = pseudonym('subject bob');
const carol = pseudonym('subject carol');
const drHouse = pseudonym('actor dr house');

const warnings = (changes: ReturnType<typeof indexerFor>['changes']): string[] =>
  changes.flatMap((c) => (c.kind === 'warning' ? [c.message] : []));

describe('ConsentIndexer: snapshots', () => {
  it('resumes after a restart from the snapshot, reading only the blocks after it', async () => {
    const ledger = memoryLedger();
    const store = new MemoryIndexSnapshotStore();
    for (let i = 0; i < 20; i++) await ledger.grant(broadGrant(pseudonym(`subject ${i}`), drHouse));
    const { grantId } = await ledger.grant(broadGrant(alice, drHouse));
    const first = indexerFor(ledger, { snapshotStore: store });
    await first.indexer.pollOnce();
    await first.indexer.stop();
    const snapshotAt = (JSON.parse(store.raw()!) as IndexSnapshot).cursor.number;
    assert.equal(snapshotAt, (await ledger.head()).number);

    await ledger.grant(broadGrant(bob, drHouse));
    await ledger.revoke(grantId!);
    const spy = spyLedger(ledger);
    const second = indexerFor(spy.ledger, { snapshotStore: store });
    const status = await second.indexer.pollOnce();
    assert.equal(status.stale, false);
    assert.deepEqual(spy.ranges, [[snapshotAt + 1, snapshotAt + 2]], 'no history replayed');
    assert.equal(second.indexer.decide(query(pseudonym('subject 7'), [drHouse])).permitted, true, 'from the snapshot');
    assert.equal(second.indexer.decide(query(bob, [drHouse])).permitted, true, 'after the snapshot');
    assert.equal(second.indexer.decide(query(alice, [drHouse])).permitted, false, 'revoked after the snapshot');
    assert.equal(stateOf(second.indexer), await freshState(ledger));
  });

  it('never lets a revoked grant permit again when an older snapshot is put back', async () => {
    const ledger = memoryLedger();
    const store = new MemoryIndexSnapshotStore();
    const { grantId } = await ledger.grant(broadGrant(alice, drHouse));
    const a = indexerFor(ledger, { snapshotStore: store });
    await a.indexer.pollOnce();
    const beforeRevoke = store.raw();
    await ledger.revoke(grantId!);
    await a.indexer.pollOnce();
    assert.notEqual(store.raw(), beforeRevoke);

    store.setRaw(beforeRevoke); // a stale replica, a Redis restore, or an attacker
    const b = indexerFor(ledger, { snapshotStore: store });
    assert.deepEqual(b.indexer.decide(query(alice, [drHouse])), { permitted: false, grantId: null, rule: 'index-stale' });
    await b.indexer.pollOnce();
    assert.deepEqual(b.indexer.decide(query(alice, [drHouse])), { permitted: false, grantId: null, rule: 'no-grant' });
    assert.equal(b.indexer.grant(grantId!)?.status, 'revoked');
  });

  it('rebuilds from the start block when the snapshot\'s block was reorged away across the restart', async () => {
    const ledger = memoryLedger();
    const store = new MemoryIndexSnapshotStore();
    await ledger.grant(broadGrant(alice, drHouse));
    await ledger.grant(broadGrant(bob, drHouse));
    const a = indexerFor(ledger, { snapshotStore: store });
    await a.indexer.pollOnce();
    await a.indexer.stop();

    ledger.dropBlocks(1); // bob's grant only existed on the old fork
    await ledger.grant(broadGrant(carol, drHouse));
    const spy = spyLedger(ledger);
    const b = indexerFor(spy.ledger, { snapshotStore: store });
    await b.indexer.pollOnce();
    assert.equal(spy.ranges[0]![0], 0, 'replayed from the start block');
    assert.match(warnings(b.changes).join('\n'), /no longer canonical/);
    assert.equal(b.indexer.decide(query(bob, [drHouse])).permitted, false);
    assert.equal(b.indexer.decide(query(carol, [drHouse])).permitted, true);
    assert.equal(stateOf(b.indexer), await freshState(ledger));
  });

  it('rebuilds a deep reorg from a snapshot that is still on the canonical chain', async () => {
    const ledger = memoryLedger();
    const store = new MemoryIndexSnapshotStore();
    await ledger.grant(broadGrant(alice, drHouse)); // block 1
    const spy = spyLedger(ledger);
    const { indexer, clock } = indexerFor(spy.ledger, { snapshotStore: store, snapshotIntervalMs: 60_000, reorgWindow: 2 });
    await indexer.pollOnce(); // saves at block 1
    for (const s of [bob, carol]) await ledger.grant(broadGrant(s, drHouse));
    ledger.mine(4); // head 7
    clock.advance(1_000);
    await indexer.pollOnce(); // not saved: within snapshotIntervalMs
    assert.equal((JSON.parse(store.raw()!) as IndexSnapshot).cursor.number, 1);

    ledger.dropBlocks(6); // back to block 1
    ledger.mine(7);
    spy.ranges.length = 0;
    await indexer.pollOnce();
    assert.equal(spy.ranges[0]![0], 2, 'resumed after the snapshot\'s block 1, not from 0');
    assert.equal(indexer.decide(query(carol, [drHouse])).permitted, false);
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, true);
    assert.equal(stateOf(indexer), await freshState(ledger));
  });

  it('ignores a tampered snapshot or one from another deployment, and replays the chain', async () => {
    const ledger = memoryLedger();
    const { grantId } = await ledger.grant(broadGrant(alice, drHouse));
    const store = new MemoryIndexSnapshotStore();
    const a = indexerFor(ledger, { snapshotStore: store });
    await a.indexer.pollOnce();
    const good = JSON.parse(store.raw()!) as IndexSnapshot;

    const variants: Array<[string, unknown, RegExp]> = [
      ['malformed grant', { ...good, index: { ...good.index, grants: [['1', 'Patient/123', ...good.index.grants[0]!.slice(2)]] } }, /unusable/],
      ['another model', { ...good, model: 'opt-out' }, /another deployment/],
      ['another start block', { ...good, startBlock: 1, cursor: { ...good.cursor } }, /another deployment/],
      ['not JSON-shaped', 'hello', /unusable/],
    ];
    for (const [why, raw, warning] of variants) {
      store.setRaw(JSON.stringify(raw));
      const spy = spyLedger(ledger);
      const b = indexerFor(spy.ledger, { snapshotStore: store });
      const status = await b.indexer.pollOnce();
      assert.equal(status.stale, false, why);
      assert.match(warnings(b.changes).join('\n'), warning, why);
      assert.equal(spy.ranges[0]![0], 0, why);
      assert.equal(b.indexer.decide(query(alice, [drHouse])).grantId, grantId, why);
    }
  });

  it('throttles saves to one per snapshotIntervalMs, skips saves without news, and saves on stop()', async () => {
    const ledger = memoryLedger();
    const store = new MemoryIndexSnapshotStore();
    const { indexer, clock } = indexerFor(ledger, { snapshotStore: store, snapshotIntervalMs: 10_000 });
    await indexer.pollOnce();
    assert.equal(store.saves, 1, 'the first cursor, even without grants: a restart skips the empty blocks');
    await ledger.grant(broadGrant(alice, drHouse));
    clock.advance(5_000);
    await indexer.pollOnce();
    assert.equal(store.saves, 1, 'within snapshotIntervalMs');
    clock.advance(5_000);
    await indexer.pollOnce();
    assert.equal(store.saves, 2);
    clock.advance(60_000);
    await indexer.pollOnce();
    assert.equal(store.saves, 2, 'same cursor: no save');
    await ledger.grant(broadGrant(carol, drHouse));
    await indexer.pollOnce();
    await indexer.stop();
    assert.equal(store.saves, 3);
    assert.equal((JSON.parse(store.raw()!) as IndexSnapshot).cursor.number, (await ledger.head()).number);
  });

  it('keeps working when the store fails, and says so', async () => {
    const ledger = memoryLedger();
    await ledger.grant(broadGrant(alice, drHouse));
    const broken = {
      load: async () => Promise.reject(new Error('connection refused')),
      save: async () => Promise.reject(new Error('connection refused')),
    };
    const { indexer, changes } = indexerFor(ledger, { snapshotStore: broken });
    const status = await indexer.pollOnce();
    assert.equal(status.stale, false);
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, true);
    assert.match(warnings(changes).join('\n'), /cannot load the index snapshot.*\n.*cannot save the index snapshot/);
  });

  it('does not trust a snapshot it cannot check: ledger down at restart means index-stale', async () => {
    const ledger = memoryLedger();
    const store = new MemoryIndexSnapshotStore();
    await ledger.grant(broadGrant(alice, drHouse));
    const a = indexerFor(ledger, { snapshotStore: store });
    await a.indexer.pollOnce();
    ledger.setReachable(false);
    const b = indexerFor(ledger, { snapshotStore: store });
    const status = await b.indexer.pollOnce();
    assert.equal(status.stale, true);
    assert.match(status.reason ?? '', /LEDGER_UNAVAILABLE/);
    assert.equal(b.indexer.decide(query(alice, [drHouse])).rule, 'index-stale');
  });
});

describe('ConsentIndexer: replicas sharing a store', () => {
  it('a change one replica applies makes the other poll at once (before its own interval)', async () => {
    const ledger = memoryLedger();
    const shared = new MemoryIndexSnapshotStore();
    const options = { snapshotStore: shared, changeFeed: shared, pollIntervalMs: 3_600_000, maxStalenessMs: 7_200_000 };
    const a = indexerFor(ledger, { ...options, instanceId: 'a' });
    const b = indexerFor(ledger, { ...options, instanceId: 'b' });
    await Promise.all([a.indexer.start(), b.indexer.start()]);
    try {
      await ledger.grant(broadGrant(alice, drHouse));
      await a.indexer.pollOnce(); // e.g. replica a recorded the grant and polled right away
      await until(() => b.indexer.decide(query(alice, [drHouse])).permitted, 'replica b to see the grant');
      assert.ok(b.changes.some((c) => c.kind === 'applied'));
    } finally {
      await Promise.all([a.indexer.stop(), b.indexer.stop()]);
    }
  });
});
