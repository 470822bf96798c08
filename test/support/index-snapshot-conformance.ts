/**
 * What every IndexSnapshotStore + IndexChangeFeed must do: the in-memory one runs it
 * (test/policy/consent-index/index-snapshot-memory.test.ts) and so does the Redis adapter
 * (test/adapters/store/redis-index-snapshot.test.ts). `make` must return an empty store each time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConsentIndex } from '../../src/policy/consent-index.js';
import type { IndexChange, IndexChangeFeed, IndexSnapshot, IndexSnapshotStore } from '../../src/policy/index-snapshot.js';

export interface IndexSnapshotFixture {
  readonly store: IndexSnapshotStore & IndexChangeFeed;
  close(): Promise<void>;
}

const hash = (digit: string): string => '0x' + digit.repeat(64);

export function sampleSnapshot(cursorNumber = 7): IndexSnapshot {
  const index = new ConsentIndex();
  const position = { blockNumber: 3, blockHash: hash('3'), transactionHash: hash('4'), logIndex: 0 };
  index.apply({
    kind: 'granted',
    position,
    grant: {
      id: '1', subject: hash('a'), grantee: hash('b'), effect: 'permit', resourceTypes: (1n << 66n) | 1n, actions: 1n,
      purposes: 5n, notBefore: 0, notAfter: 0, policyHash: hash('0'), recordedBy: '0x' + '12'.repeat(20), via: 'registrar',
      granted: position,
    },
  });
  return { version: 1, model: 'opt-in', startBlock: 0, cursor: { number: cursorNumber, hash: hash('7') }, savedAt: 1_700_000_000_000, index: index.serialize() };
}

/** Waits until `condition` holds, failing after two seconds. */
export async function until(condition: () => boolean, what = 'condition'): Promise<void> {
  for (const started = Date.now(); !condition(); await sleep(5)) {
    if (Date.now() - started > 2_000) assert.fail(`timed out waiting for ${what}`);
  }
}

export function indexSnapshotStoreConformance(name: string, make: () => Promise<IndexSnapshotFixture>): void {
  describe(`IndexSnapshotStore conformance: ${name}`, () => {
    const withStore = (test: (store: IndexSnapshotFixture['store']) => Promise<void>) => async () => {
      const fixture = await make();
      try {
        await test(fixture.store);
      } finally {
        await fixture.close();
      }
    };

    it('loads null when nothing was saved', withStore(async (store) => {
      assert.equal(await store.load(), null);
    }));

    it('loads what was saved, as plain JSON data, and the last save wins', withStore(async (store) => {
      await store.save(sampleSnapshot(7));
      assert.deepEqual(await store.load(), JSON.parse(JSON.stringify(sampleSnapshot(7))));
      await store.save(sampleSnapshot(9));
      assert.equal((await store.load())?.cursor.number, 9);
      const restored = ConsentIndex.restore((await store.load())!.index);
      assert.equal(restored.grant('1')?.resourceTypes, (1n << 66n) | 1n);
    }));

    it('delivers a published change to every subscriber, until it unsubscribes', withStore(async (store) => {
      const heardByA: IndexChange[] = [];
      const heardByB: IndexChange[] = [];
      const stopA = await store.subscribeChanges((c) => heardByA.push(c));
      const stopB = await store.subscribeChanges((c) => heardByB.push(c));
      const change: IndexChange = { origin: 'replica-a', cursor: { number: 12, hash: hash('c') } };
      await store.publishChange(change);
      await until(() => heardByA.length === 1 && heardByB.length === 1);
      assert.deepEqual(heardByA, [change]);
      await stopA();
      await store.publishChange({ ...change, origin: 'replica-b' });
      await until(() => heardByB.length === 2);
      await sleep(30); // room for a late delivery to A, which must not come
      assert.equal(heardByA.length, 1);
      assert.equal(heardByB[1]!.origin, 'replica-b');
      await stopB();
    }));
  });
}
