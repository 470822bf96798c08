/**
 * Opening the gateway's Redis connection: a clear refusal when Redis cannot be reached or does not
 * answer (no ioredis internals, no password), commands that fail instead of hanging on a Redis that
 * stops answering, and one warning (not one per retry) when it goes away later. Real Redis
 * (REDIS_URL, default redis://127.0.0.1:6379) behind a relay the test can stall.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { connectRedis, safeRedisUrl } from '../../../src/adapters/store/redis-connection.js';
import { custosRejection } from '../../support/custos-rejection.js';
import { Relay } from '../../support/tcp-relay.js';

const REDIS = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const warnings: Array<Record<string, unknown>> = [];
const logger = { warn: (fields: Record<string, unknown>) => void warnings.push(fields) } as never;
const closers: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const close of closers) await close().catch(() => undefined);
});

describe('connectRedis', () => {
  it('refuses to start with what to fix when nothing listens, naming the host but never the password', async () => {
    const refused = await custosRejection(connectRedis({ url: 'redis://user:sekret-pw@127.0.0.1:1', commandTimeoutMs: 500, logger }));
    assert.equal(refused.code, 'UNAVAILABLE');
    assert.match(refused.message, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\): check redis\.url/);
    assert.ok(!refused.message.includes('sekret-pw'));
  });

  it('refuses to start, within seconds, when Redis accepts the connection but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    closers.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const started = Date.now();
    const refused = await custosRejection(connectRedis({ url: `redis://127.0.0.1:${(silent.address() as AddressInfo).port}`, commandTimeoutMs: 300, logger }));
    assert.match(refused.message, /\(no answer\)/);
    assert.ok(Date.now() - started < 15_000, `gave up after ${Date.now() - started} ms`);
  });

  it('once connected: a Redis that stops answering fails commands at the timeout, and says so once, not per retry', async () => {
    const relay = await Relay.start({ host: REDIS.hostname, port: Number(REDIS.port || 6379) });
    closers.push(() => relay.close());
    const redis = await connectRedis({ url: `redis://127.0.0.1:${relay.port}`, commandTimeoutMs: 300, logger });
    closers.push(async () => redis.disconnect());
    assert.equal(await redis.ping(), 'PONG');
    relay.mode = 'stall';
    const started = Date.now();
    await assert.rejects(redis.get('custos-test:anything'), /timed out/);
    assert.ok(Date.now() - started < 2000, `failed after ${Date.now() - started} ms, not hung`);
    relay.mode = 'forward';
    warnings.length = 0;
    relay.cut(); // the connection is reset: ioredis reconnects (and errors) by itself
    await new Promise((resolve) => setTimeout(resolve, 300));
    relay.cut();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(warnings.length, 1, 'two connection losses, one warning');
    for (const w of warnings) assert.equal(w['redis'], `redis://127.0.0.1:${relay.port}`);
  });

  it('names a URL without its credentials', () => {
    assert.equal(safeRedisUrl('rediss://default:pw@cache.example.org:6380/2'), 'rediss://cache.example.org:6380');
    assert.equal(safeRedisUrl('not a url'), 'the configured Redis URL');
  });
});
