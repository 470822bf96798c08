/**
 * The per-address limit on requests without a valid token: a bucket per address, refusals beyond
 * it counted for the summary event, bounded memory.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnauthenticatedLimiter, type SharedBudget } from '../../src/http/unauthenticated-limiter.js';

/**
 * A stand-in for the Redis budget (the real one is tested against Redis in
 * test/adapters/store/redis-rate-budget.test.ts): one bucket per address, every call recorded.
 */
function recordingBudget(tokens: number, retryAfterMs = 500): SharedBudget & { calls: string[]; fail: boolean } {
  const left = new Map<string, number>();
  const budget = {
    calls: [] as string[],
    fail: false,
    async take(address: string) {
      budget.calls.push(address);
      if (budget.fail) throw new Error('connection refused');
      const n = left.get(address) ?? tokens;
      left.set(address, n - 1);
      return n > 0 ? { admitted: true, retryAfterMs: 0 } : { admitted: false, retryAfterMs };
    },
  };
  return budget;
}

describe('unauthenticated request limit', () => {
  it('admits the burst, then the rate; refusals are counted per address and reported once', () => {
    let now = 0;
    const limiter = new UnauthenticatedLimiter({ perSecond: 2, burst: 3, now: () => now });
    const admitted = Array.from({ length: 10 }, () => limiter.admit('10.0.0.1'));
    assert.deepEqual(admitted, [true, true, true, false, false, false, false, false, false, false]);
    assert.ok(limiter.admit('10.0.0.2'), 'another address has its own bucket');
    now = 1000; // two more tokens
    assert.deepEqual([limiter.admit('10.0.0.1'), limiter.admit('10.0.0.1'), limiter.admit('10.0.0.1')], [true, true, false]);
    assert.deepEqual(limiter.takeRefused(), [['10.0.0.1', 8]]);
    assert.deepEqual(limiter.takeRefused(), [], 'reported once');
  });

  it('says how long a refused address must wait: until its bucket has a token again (the 429\'s Retry-After)', () => {
    let now = 0;
    const limiter = new UnauthenticatedLimiter({ perSecond: 0.25, burst: 1, now: () => now });
    assert.equal(limiter.admit('10.0.0.9'), true);
    assert.equal(limiter.admit('10.0.0.9'), false);
    assert.equal(limiter.retryAfterMs('10.0.0.9'), 4000, 'one token at 0.25/s');
    now = 3000;
    assert.equal(limiter.retryAfterMs('10.0.0.9'), 1000);
    now = 4000;
    assert.equal(limiter.retryAfterMs('10.0.0.9'), 0);
    assert.equal(limiter.admit('10.0.0.9'), true, 'heard again when it said');
  });

  it('tracks a bounded number of addresses, keeping those with refusals to report', () => {
    const limiter = new UnauthenticatedLimiter({ perSecond: 1, burst: 1, maxAddresses: 100, now: () => 0 });
    limiter.admit('flooder');
    limiter.admit('flooder');
    for (let i = 0; i < 1000; i++) limiter.admit(`10.1.${i >> 8}.${i & 255}`);
    assert.deepEqual(limiter.takeRefused().filter(([a]) => a === 'flooder'), [['flooder', 1]]);
  });

  it('addresses cycled to escape the limit share one bucket once the table is full; refusals are put back when a summary fails', () => {
    const limiter = new UnauthenticatedLimiter({ perSecond: 1, burst: 1, maxAddresses: 10, now: () => 0 });
    for (let i = 0; i < 10; i++) {
      limiter.admit(`10.2.0.${i}`);
      limiter.admit(`10.2.0.${i}`); // each full bucket has a refusal to report
    }
    const fresh = Array.from({ length: 5 }, (_, i) => limiter.admit(`10.3.0.${i}`));
    assert.deepEqual(fresh, [true, false, false, false, false], 'one shared bucket, not five fresh ones');
    const reported = limiter.takeRefused();
    assert.equal(reported.reduce((n, [, r]) => n + r, 0), 14);
    limiter.restore('10.2.0.0', 1);
    assert.deepEqual(limiter.takeRefused(), [['10.2.0.0', 1]], 'reported again next time');
  });

  describe('shared by replicas (a budget in Redis)', () => {
    it('the shared bucket decides; an address it refused is refused here without asking again until its bucket refills', async () => {
      let now = 0;
      const budget = recordingBudget(2, 500);
      const limiter = new UnauthenticatedLimiter({ perSecond: 100, burst: 100, shared: budget, now: () => now });
      const first = [await limiter.admit('a'), await limiter.admit('a'), await limiter.admit('a')];
      assert.deepEqual(first, [true, true, false], 'the shared budget (2), not the generous local one (100)');
      const whileBlocked = [limiter.admit('a'), limiter.admit('a'), limiter.admit('a')];
      assert.equal(limiter.retryAfterMs('a'), 500, 'the wait the shared bucket named');
      assert.deepEqual(whileBlocked, [false, false, false], 'answered at once, without Redis');
      assert.equal(budget.calls.length, 3, 'a flood costs Redis one call per refill, not one per request');
      now = 500;
      assert.equal(await limiter.admit('a'), false, 'asks again once the shared bucket could have a token');
      assert.equal(budget.calls.length, 4);
      assert.deepEqual(limiter.takeRefused(), [['a', 5]], 'every refusal this replica answered is reported');
    });

    it('Redis failing: this replica limits on its own (never open, never an error) and says so', async () => {
      const budget = recordingBudget(100);
      budget.fail = true;
      const failures: unknown[] = [];
      let now = 0;
      const limiter = new UnauthenticatedLimiter({ perSecond: 1, burst: 2, shared: budget, now: () => now, onSharedFailure: (e) => failures.push(e) });
      const answers = [await limiter.admit('b'), await limiter.admit('b'), await limiter.admit('b')];
      assert.deepEqual(answers, [true, true, false], 'the local bucket (burst 2) decided');
      assert.equal(failures.length, 1);
      assert.equal(budget.calls.length, 1, 'a Redis that hangs is not asked again (and waited for) on every request');
      assert.deepEqual(limiter.takeRefused(), [['b', 1]]);
      now = 999;
      await limiter.admit('b');
      assert.equal(budget.calls.length, 1, 'not within the second after a failure');
      now = 1000;
      budget.fail = false;
      assert.equal(await limiter.admit('b'), true, 'asked again after a second, and Redis decides once more');
      assert.equal(budget.calls.length, 2);
    });

    it('the overflow bucket of a full table stays local: cycling addresses cannot make each request a Redis call', async () => {
      const budget = recordingBudget(0);
      const limiter = new UnauthenticatedLimiter({ perSecond: 1, burst: 1, maxAddresses: 3, shared: budget, now: () => 0 });
      for (let i = 0; i < 3; i++) assert.equal(await limiter.admit(`10.4.0.${i}`), false);
      const cycled = [];
      for (let i = 0; i < 20; i++) cycled.push(await limiter.admit(`10.5.0.${i}`));
      assert.equal(cycled.filter(Boolean).length, 1, 'one shared local bucket for newcomers');
      assert.equal(budget.calls.length, 3, 'only the tracked addresses asked Redis');
    });
  });
});
