/**
 * The unauthenticated-request budget shared by gateway replicas, against a real Redis (REDIS_URL,
 * default redis://127.0.0.1:6379): two connections stand for two replicas. Keys live under a prefix
 * unique to this run and are deleted at the end.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { redisRateBudget } from '../../../src/adapters/store/redis-rate-budget.js';
import { Pseudonymizer } from '../../../src/policy/pseudonym.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keyPrefix = `custos-test:${randomUUID()}:limit:`;
const pseudonyms = new Pseudonymizer('k'.repeat(32));
const keyOf = (address: string): string => pseudonyms.of('client-address', address);
// The functional tests wait as long as a slow CI machine may need; the timeout has its own test.
const timeoutMs = 5000;
let replicaA: Redis;
let replicaB: Redis;

before(async () => {
  replicaA = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  replicaB = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  await Promise.all([replicaA.ping(), replicaB.ping()]);
});

after(async () => {
  const keys = await replicaA.keys(`${keyPrefix}*`);
  if (keys.length > 0) await replicaA.del(...keys);
  await Promise.all([replicaA.quit(), replicaB.quit()]);
});

describe('redis rate budget (shared by replicas)', () => {
  it('one bucket per address across replicas: a flood spread over two replicas gets one burst, not two', async () => {
    const a = redisRateBudget(replicaA, { perSecond: 1, burst: 4, keyOf, keyPrefix, timeoutMs });
    const b = redisRateBudget(replicaB, { perSecond: 1, burst: 4, keyOf, keyPrefix, timeoutMs });
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push((await (i % 2 === 0 ? a : b).take('203.0.113.7')).admitted);
    assert.deepEqual(answers, [true, true, true, true, false, false, false, false, false, false]);
    assert.equal((await b.take('203.0.113.8')).admitted, true, 'another address has its own bucket');
  });

  it('says how long until a token is back, refills on Redis clock, and the key expires once the bucket is full again', async () => {
    // One token every 2 s: slow enough that a slow machine's round trips refill nothing in between.
    const budget = redisRateBudget(replicaA, { perSecond: 0.5, burst: 2, keyOf, keyPrefix, timeoutMs });
    await budget.take('198.51.100.1');
    await budget.take('198.51.100.1');
    const refused = await budget.take('198.51.100.1');
    assert.equal(refused.admitted, false);
    assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 2000, `retry after ${refused.retryAfterMs} ms (one token at 0.5/s)`);
    await sleep(refused.retryAfterMs + 20);
    assert.equal((await budget.take('198.51.100.1')).admitted, true, 'a token is back after the time it named');
    const key = `${keyPrefix}${keyOf('198.51.100.1')}`;
    const ttl = await replicaA.pttl(key);
    assert.ok(ttl > 0 && ttl <= 5000, `expires when full again (two tokens: 4 s) plus a second (${ttl} ms)`);
  });

  it('runs by the script\'s hash, and loads the script again when Redis forgot it (restart, SCRIPT FLUSH)', async () => {
    const budget = redisRateBudget(replicaA, { perSecond: 1, burst: 2, keyOf, keyPrefix, timeoutMs });
    await replicaA.script('FLUSH');
    assert.equal((await budget.take('192.0.2.77')).admitted, true, 'answered although Redis had no script');
    assert.equal((await budget.take('192.0.2.77')).admitted, true);
    assert.equal((await budget.take('192.0.2.77')).admitted, false, 'one bucket across the reload');
  });

  it('no client address in Redis: keys are keyed pseudonyms', async () => {
    const budget = redisRateBudget(replicaA, { perSecond: 1, burst: 1, keyOf, keyPrefix, timeoutMs });
    await budget.take('192.0.2.55');
    const keys = await replicaA.keys(`${keyPrefix}*`);
    assert.ok(keys.length > 0);
    for (const key of keys) {
      assert.ok(!key.includes('192.0.2') && !key.includes('203.0.113') && !key.includes('198.51.100'), key);
      assert.match(key.slice(keyPrefix.length), /^0x[0-9a-f]{64}$/);
    }
  });

  it('a Redis that accepts the connection but never answers fails the call at the timeout (the limiter then decides alone)', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket)); // reads nothing, answers nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const hung = new Redis({ host: '127.0.0.1', port: (silent.address() as AddressInfo).port, maxRetriesPerRequest: 0 });
    hung.on('error', () => undefined);
    try {
      const budget = redisRateBudget(hung, { perSecond: 1, burst: 1, keyOf, keyPrefix, timeoutMs: 300 });
      const started = Date.now();
      await assert.rejects(budget.take('192.0.2.1'), /did not answer within 300 ms/);
      const waited = Date.now() - started;
      assert.ok(waited >= 290, `the timeout decided (${waited} ms), not a connection error`);
    } finally {
      hung.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
