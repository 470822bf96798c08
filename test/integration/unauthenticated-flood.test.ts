/**
 * A flood of requests without a valid token cannot fill the audit log: within the per-address
 * limit each refusal is audited one by one; beyond it the answer is 429 with Retry-After (an
 * OperationOutcome), and the refusals are recorded as one summary event per address per second.
 * Authenticated callers are not limited. With Redis the budget is the deployment's, not the replica's.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { redisRateBudget } from '../../src/adapters/store/redis-rate-budget.js';
import { Pseudonymizer } from '../../src/policy/pseudonym.js';
import { startSampleServer, type RunningSampleServer } from '../../src/sample-server/server.js';
import { startTestGateway, TRANSPORT_ONLY, type TestGateway } from '../support/gateway.js';

describe('unauthenticated flood', () => {
  let sample: RunningSampleServer;
  let gateway: TestGateway;
  before(async () => {
    sample = await startSampleServer({ patients: 2 });
    gateway = await startTestGateway(sample.url, { ...TRANSPORT_ONLY, CUSTOS_SERVER_UNAUTHENTICATED_PER_SECOND: '1', CUSTOS_SERVER_UNAUTHENTICATED_BURST: '3' });
  });
  after(async () => {
    await gateway?.close();
    await sample?.close();
  });

  it('beyond the limit: 429 + Retry-After, one summary event instead of one event each', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const response = await fetch(`${gateway.fhirBaseUrl}/Patient/pat-001`, { headers: { authorization: 'Bearer not-a-token' } });
      statuses.push(response.status);
      if (response.status === 429) {
        assert.equal(response.headers.get('retry-after'), '1', 'one token a second: back within a second');
        const outcome = (await response.json()) as { resourceType: string; issue: Array<{ code: string }> };
        assert.equal(outcome.resourceType, 'OperationOutcome');
        assert.equal(outcome.issue[0]!.code, 'throttled');
      } else {
        await response.body?.cancel();
      }
    }
    assert.deepEqual(statuses.slice(0, 3), [401, 401, 401]);
    assert.ok(statuses.slice(3).every((s) => s === 429 || s === 401), statuses.join(','));
    const limited = statuses.filter((s) => s === 429).length;
    assert.ok(limited >= 7, `most of the flood is limited (${statuses.join(',')})`);
    assert.equal((await fetch(`${gateway.fhirBaseUrl}/Patient/pat-001`, { headers: gateway.auth })).status, 200, 'authenticated callers are not limited');

    await new Promise((r) => setTimeout(r, 1500)); // the summary is written once a second
    const auditor = await gateway.mint({ fhirUser: 'Practitioner/auditor-1', scope: 'custos/auditor' });
    const search = await fetch(`${gateway.origin}/admin/audit/events/_search`, {
      method: 'POST', headers: { authorization: `Bearer ${auditor}`, 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 4, limit: 100 }),
    });
    const events = ((await search.json()) as { events: Array<{ event: { outcomeDesc: string } }> }).events.map((e) => e.event.outcomeDesc);
    assert.equal(events.filter((d) => d.startsWith('401')).length, statuses.filter((s) => s === 401).length, 'each admitted refusal has its own event');
    const summaries = events.filter((d) => d.startsWith('429 RATE_LIMITED'));
    assert.equal(summaries.length, 1, events.join(' | '));
    assert.match(summaries[0]!, new RegExp(`: ${limited} requests without a valid token`));
  });
});

describe('unauthenticated flood across replicas (Redis)', () => {
  const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const pseudonymKey = randomBytes(32).toString('hex');
  const pseudonyms = new Pseudonymizer(pseudonymKey);
  const addresses = ['127.0.0.1', '::ffff:127.0.0.1', '::1'];
  let sample: RunningSampleServer;
  let gateway: TestGateway;
  let otherReplica: Redis;
  before(async () => {
    sample = await startSampleServer({ patients: 2 });
    gateway = await startTestGateway(sample.url, {
      ...TRANSPORT_ONLY,
      CUSTOS_REDIS_URL: REDIS_URL,
      CUSTOS_CONSENT_PSEUDONYM_KEY: pseudonymKey,
      CUSTOS_SERVER_UNAUTHENTICATED_PER_SECOND: '1',
      CUSTOS_SERVER_UNAUTHENTICATED_BURST: '3',
      // A slow CI machine may take longer than the default 100 ms; this test is about sharing.
      CUSTOS_SERVER_SHARED_LIMIT_TIMEOUT_MS: '5000',
    });
    otherReplica = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    await gateway?.close();
    await sample?.close();
    if (otherReplica) {
      await otherReplica.del(...addresses.map((a) => `custos:limit:unauthenticated:${pseudonyms.of('client-address', a)}`));
      await otherReplica.quit();
    }
  });

  it('a budget another replica used up is used up here too: the first request without a token is already 429', async () => {
    const other = redisRateBudget(otherReplica, { perSecond: 1, burst: 3, timeoutMs: 5000, keyOf: (a) => pseudonyms.of('client-address', a) });
    for (const address of addresses) for (let i = 0; i < 3; i++) assert.equal((await other.take(address)).admitted, true);
    const response = await fetch(`${gateway.fhirBaseUrl}/Patient/pat-001`, { headers: { authorization: 'Bearer not-a-token' } });
    assert.equal(response.status, 429, 'the other replica spent this address\'s burst');
    assert.equal(((await response.json()) as { issue: Array<{ code: string }> }).issue[0]!.code, 'throttled');
    assert.equal((await fetch(`${gateway.fhirBaseUrl}/Patient/pat-001`, { headers: gateway.auth })).status, 200, 'authenticated callers are not limited');
  });
});

