/**
 * The pipeline's audit step turns a request's context into its event: who (the client's address,
 * the proxy's only when no trusted proxy named the client), and refusing writes up front while the
 * recorder refuses events.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuditRecorder } from '../../src/audit/audit-recorder.js';
import { MemoryAuditStore } from '../../src/audit/memory-audit-store.js';
import { createAuditTrail } from '../../src/http/audit-trail.js';
import type { RequestContext } from '../../src/http/request-context.js';
import { isCustosError } from '../../src/errors.js';

const context = (extra: Partial<RequestContext> = {}): RequestContext => ({
  requestId: 'r-1', traceId: '0'.repeat(31) + '1', traceparent: 'x', clientAddress: '10.0.0.9', proto: 'http', host: 'gw', startedAt: 0n, ...extra,
});

async function agentAddress(store: MemoryAuditStore): Promise<string> {
  await store.sequence(10);
  const event = JSON.parse((await store.event((await store.size()) - 1))!.canonical.toString()) as { agent: Array<{ network?: { address: string; type: string } }> };
  return event.agent.find((a) => a.network?.type === '2')!.network!.address;
}

describe('audit trail (pipeline step)', () => {
  it('records the client behind a trusted proxy by the X-Forwarded-For hop the proxy appended (not one the client forged), else the socket', async () => {
    const store = new MemoryAuditStore();
    const trail = createAuditTrail(new AuditRecorder(store, { maxBatch: 10, maxPending: 10, retryAfterSeconds: 1 }), { id: 'gw', baseUrl: 'http://gw/fhir' });
    await trail.commit(context({ forwardedFor: '198.51.100.66, 203.0.113.7' }), { method: 'GET', status: 401, failure: 'UNAUTHENTICATED' });
    assert.equal(await agentAddress(store), '203.0.113.7');
    await trail.commit(context(), { method: 'GET', status: 401, failure: 'UNAUTHENTICATED' });
    assert.equal(await agentAddress(store), '10.0.0.9');
  });

  it('says the log is not ready while the recorder refuses events, so writes are refused before forwarding', async () => {
    const store = new MemoryAuditStore();
    const trail = createAuditTrail(new AuditRecorder(store, { maxBatch: 10, maxPending: 10, retryAfterSeconds: 30 }), { id: 'gw', baseUrl: 'http://gw/fhir' });
    trail.ready();
    store.setAvailable(false);
    await assert.rejects(trail.commit(context(), { method: 'GET', status: 200 }));
    assert.throws(() => trail.ready(), (e) => isCustosError(e) && e.code === 'AUDIT_UNAVAILABLE' && /nothing was changed/.test(e.message));
  });
});
