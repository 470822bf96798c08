import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VerifiedTokenCache } from '../../../src/adapters/identity/verified-token-cache.js';

describe('the verified-token cache', () => {
  it('never holds more than its capacity, however many tokens arrive', () => {
    for (const capacity of [1, 2, 3, 10, 101]) {
      const cache = new VerifiedTokenCache<number>(capacity);
      for (let i = 0; i < capacity * 7 + 3; i++) {
        cache.set(`t${i}`, i);
        assert.ok(cache.size <= capacity, `capacity ${capacity}: ${cache.size} entries`);
      }
    }
  });

  it('keeps a token used in every generation, while a flood of new tokens passes through', () => {
    const cache = new VerifiedTokenCache<string>(100);
    cache.set('hot', 'session');
    for (let i = 0; i < 10_000; i++) {
      cache.set(`flood-${i}`, 'x');
      if (i % 25 === 0) assert.equal(cache.get('hot'), 'session', `lost after ${i} new tokens`);
    }
    assert.equal(cache.get('flood-0'), undefined, 'old, unused tokens are gone');
  });

  it('forgets on request (an expired token), and caches nothing at capacity 0', () => {
    const cache = new VerifiedTokenCache<number>(10);
    cache.set('a', 1);
    cache.delete('a');
    assert.equal(cache.get('a'), undefined);
    const none = new VerifiedTokenCache<number>(0);
    none.set('a', 1);
    assert.equal(none.size, 0);
    assert.throws(() => new VerifiedTokenCache(-1), RangeError);
  });
});
