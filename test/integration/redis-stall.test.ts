/**
 * A Redis that stops answering without going away (a hung server, a partitioned network) while the
 * gateway runs: commands fail after `redis.commandTimeoutMs` instead of hanging. Without that, the
 * consent index's poll waits forever on its change fan-out to Redis, the index goes stale, and the
 * gateway (failing closed, rightly) denies every request. Real Redis behind a relay the test stalls.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSampleServer, type RunningSampleServer } from '../../src/sample-server/server.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { callerFor, granterFor } from '../support/gateway-calls.js';
import { Relay } from '../support/tcp-relay.js';

const STALENESS_MS = 2000;

describe('Redis stops answering while the gateway runs', () => {
  let sample: RunningSampleServer;
  let relay: Relay;
  let gateway: TestGateway;
  before(async () => {
    sample = await startSampleServer({ patients: 2 });
    const target = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    relay = await Relay.start({ host: target.hostname, port: Number(target.port || 6379) });
    gateway = await startTestGateway(sample.url, {
      CUSTOS_REDIS_URL: `redis://127.0.0.1:${relay.port}`,
      CUSTOS_REDIS_COMMAND_TIMEOUT_MS: '300',
      CUSTOS_CHAIN_POLL_INTERVAL_MS: '100',
      CUSTOS_CHAIN_MAX_STALENESS_MS: String(STALENESS_MS),
    });
  });
  after(async () => {
    await gateway?.close();
    await relay?.close();
    await sample?.close();
  });

  it('the consent index stays fresh (reads go on) when its change fan-out to Redis hangs', async () => {
    const registrar = await gateway.mint({ fhirUser: 'Practitioner/registrar-1', scope: 'custos/registrar', organization: 'Organization/org-reg' });
    const grant = granterFor(gateway.origin, registrar);
    const call = callerFor(gateway.fhirBaseUrl);
    await grant({ patient: 'Patient/pat-001', grantee: 'Practitioner/prac-01' });
    assert.equal((await call('GET', '/Patient/pat-001', gateway.token)).status, 200);

    relay.mode = 'stall'; // connections stay open; nothing comes back
    // A change to apply: the poll that applies it publishes it to Redis, which now never answers.
    await grant({ patient: 'Patient/pat-002', grantee: 'Practitioner/prac-01' });
    await sleep(STALENESS_MS * 1.75);

    const read = await call('GET', '/Patient/pat-001', gateway.token);
    assert.equal(read.status, 200, `the index went stale behind a hung Redis: ${read.text}`);
    const ready = await fetch(`${gateway.origin}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
    assert.ok(gateway.logLines().some((l) => String(l['detail'] ?? '').includes('cannot publish the index change')), 'the failed fan-out is logged');
  });
});
