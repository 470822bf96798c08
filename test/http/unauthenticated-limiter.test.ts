/**
 * The per-address limit on requests without a valid token: a bucket per address, refusals beyond
 * it counted for the summary event, bounded memory.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnauthenticatedLimiter } from '../../src/http/unauthenticated-limiter.js';

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
});
