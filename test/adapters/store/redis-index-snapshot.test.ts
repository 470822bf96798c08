/**
 * The Redis snapshot store and change feed against a real Redis (REDIS_URL, default
 * redis://127.0.0.1:6379). Every store gets a key prefix unique to this run; the keys are deleted
 * at the end.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisIndexSnapshotStore } from '../../../src/adapters/store/redis-index-snapshot.js';
import { isCustosError } from '../../../src/errors.js';
import type { IndexChange } from '../../../src/policy/index-snapshot.js';
import { indexSnapshotStoreConformance, sampleSnapshot, until } from '../../support/index-snapshot-conformance.js';
import { broadGrant, indexerFor, memoryLedger, pseudonym, query, spyLedger } from '../../policy/consent-index/helpers.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runPrefix = `custos-test:${randomUUID()}:`;
let redis: Redis;
let stores = 0;

/** A prefix of its own per store, under this run's prefix. */
const nextPrefix = (): string => `${runPrefix}${++stores}:`;

before(async () => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  await redis.ping();
});

after(async () => {
  const keys = await redis.keys(`${runPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

indexSnapshotStoreConformance('redis', async () => ({
  store: new RedisIndexSnapshotStore({ redis, keyPrefix: nextPrefix() }),
  close: async () => undefined,
}));

const alice = pseudonym('subject alice');
const drHouse = pseudonym('actor dr house');

describe('RedisIndexSnapshotStore', () => {
  it('keeps its key and channel under the configured prefix', () => {
    const store = new RedisIndexSnapshotStore({ redis, keyPrefix: 'tenant-a:' });
    assert.equal(store.key, 'tenant-a:consent-index:snapshot');
    assert.equal(store.channel, 'tenant-a:consent-index:changed');
  });

  it('with an integrity key, refuses a snapshot that was altered or written without the key', async () => {
    const keyPrefix = nextPrefix();
    const sealed = new RedisIndexSnapshotStore({ redis, keyPrefix, integrityKey: 'k'.repeat(32) });
    await sealed.save(sampleSnapshot());
    assert.equal((await sealed.load())?.cursor.number, 7);

    const stored = (await redis.get(sealed.key))!;
    const isRefused = (e: unknown): boolean => isCustosError(e) && /integrity check/.test(e.message);
    await redis.set(sealed.key, stored.replace('"opt-in"', '"opt-out"'));
    await assert.rejects(sealed.load(), isRefused);
    await new RedisIndexSnapshotStore({ redis, keyPrefix }).save(sampleSnapshot());
    await assert.rejects(sealed.load(), isRefused);
    await new RedisIndexSnapshotStore({ redis, keyPrefix, integrityKey: 'x'.repeat(32) }).save(sampleSnapshot());
    await assert.rejects(sealed.load(), isRefused);
  });

  it('drops malformed change messages instead of passing them on', async () => {
    const store = new RedisIndexSnapshotStore({ redis, keyPrefix: nextPrefix() });
    const heard: IndexChange[] = [];
    const stop = await store.subscribeChanges((c) => heard.push(c));
    for (const junk of ['not json', '{"origin":1}', '{"origin":"x","cursor":{"number":"1","hash":"h"}}', 'x'.repeat(2000)]) {
      await redis.publish(store.channel, junk);
    }
    await store.publishChange({ origin: 'good', cursor: { number: 1, hash: '0x' + '1'.repeat(64) } });
    await until(() => heard.length > 0);
    await sleep(20);
    assert.deepEqual(heard.map((c) => c.origin), ['good']);
    await stop();
  });
});

describe('ConsentIndexer over Redis', () => {
  it('two replicas sharing Redis: a change one applies is picked up by the other on the notification', async () => {
    const ledger = memoryLedger();
    const keyPrefix = nextPrefix();
    // Each replica has its own connection, as separate processes would.
    const connections = [new Redis(REDIS_URL), new Redis(REDIS_URL)];
    const [storeA, storeB] = connections.map((c) => new RedisIndexSnapshotStore({ redis: c, keyPrefix }));
    const slow = { pollIntervalMs: 3_600_000, maxStalenessMs: 7_200_000 };
    const a = indexerFor(ledger, { ...slow, snapshotStore: storeA, changeFeed: storeA, instanceId: 'replica-a' });
    const b = indexerFor(ledger, { ...slow, snapshotStore: storeB, changeFeed: storeB, instanceId: 'replica-b' });
    try {
      await Promise.all([a.indexer.start(), b.indexer.start()]);
      const { grantId } = await ledger.grant(broadGrant(alice, drHouse));
      assert.equal(b.indexer.decide(query(alice, [drHouse])).permitted, false);
      await a.indexer.pollOnce();
      await until(() => b.indexer.decide(query(alice, [drHouse])).permitted, 'replica b to pick up the grant');
      assert.equal(b.indexer.decide(query(alice, [drHouse])).grantId, grantId);

      await ledger.revoke(grantId!);
      await b.indexer.pollOnce(); // and the other way round
      await until(() => !a.indexer.decide(query(alice, [drHouse])).permitted, 'replica a to pick up the revocation');
    } finally {
      await Promise.all([a.indexer.stop(), b.indexer.stop()]);
      await Promise.all(connections.map((c) => c.quit()));
    }
  });

  it('a replica restarting resumes from the snapshot in Redis', async () => {
    const ledger = memoryLedger();
    const store = new RedisIndexSnapshotStore({ redis, keyPrefix: nextPrefix(), integrityKey: 'k'.repeat(32) });
    for (let i = 0; i < 5; i++) await ledger.grant(broadGrant(pseudonym(`subject ${i}`), drHouse));
    const first = indexerFor(ledger, { snapshotStore: store });
    await first.indexer.pollOnce();
    await first.indexer.stop();
    const head = (await ledger.head()).number;
    await ledger.grant(broadGrant(alice, drHouse));

    const spy = spyLedger(ledger);
    const second = indexerFor(spy.ledger, { snapshotStore: store });
    await second.indexer.pollOnce();
    assert.deepEqual(spy.ranges, [[head + 1, head + 1]]);
    assert.equal(second.indexer.decide(query(pseudonym('subject 3'), [drHouse])).permitted, true);
    assert.equal(second.indexer.decide(query(alice, [drHouse])).permitted, true);
  });
});
