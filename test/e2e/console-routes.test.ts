/**
 * The console's own routes, without a browser: the page and its assets (with a strict CSP), dev
 * login (only with the dev issuer, only on loopback, only JSON) and the activity counts behind the
 * chart, over a real in-memory audit store holding real canonical AuditEvents.
 * test/e2e/console.test.ts drives the same console in Chromium against a real gateway.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import request from 'supertest';
import type { AuditInput } from '../../src/audit/audit-event.js';
import { toAuditRecord } from '../../src/audit/audit-record.js';
import { MemoryAuditStore } from '../../src/audit/memory-audit-store.js';
import { consoleAssetNames } from '../../src/console/console-assets.js';
import { createConsoleRouter, DEV_LOGIN_TTL_SECONDS, type ConsoleRouteDeps } from '../../src/http/admin/console-routes.js';
import { createOpsApp } from '../../src/http/ops-app.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');

function input(recorded: number, status: number, extra: Partial<AuditInput> = {}): AuditInput {
  return {
    eventId: randomUUID(), recorded, requestId: randomUUID(), traceId: '0'.repeat(32), method: 'GET',
    interaction: { kind: 'read', resourceType: 'Patient' }, path: '/Patient/pat-001', query: '', status,
    ...(status >= 400 ? { failure: status === 403 ? 'CONSENT_DENIED' : 'NOT_FOUND' } : {}),
    clientGone: false, clientAddress: '127.0.0.1', resources: [], gateway: { id: 'test', baseUrl: 'http://127.0.0.1/fhir' },
    ...extra,
  };
}

async function storeWith(inputs: AuditInput[]): Promise<MemoryAuditStore> {
  const store = new MemoryAuditStore();
  await store.append(inputs.map(toAuditRecord));
  await store.sequence(inputs.length);
  return store;
}

function app(deps: Partial<ConsoleRouteDeps> & Pick<ConsoleRouteDeps, 'store'>) {
  const router = createConsoleRouter({
    authenticate: async (authorization) => {
      if (authorization === 'Bearer auditor') return { scopes: ['custos/auditor'] };
      if (authorization === 'Bearer clinician') return { scopes: ['user/*.rs'] };
      const { CustosError } = await import('../../src/errors.js');
      throw new CustosError('UNAUTHENTICATED', 'no valid bearer token');
    },
    ...deps,
  });
  return createOpsApp({ readiness: [], isShuttingDown: () => false, routers: [['/console', router]] });
}

describe('console routes', () => {
  const minted: Array<Record<string, unknown>> = [];
  const devIssuer = { mint: async (r: { fhirUser: string; scope: string; ttlSeconds: number }) => { minted.push(r); return 'header.payload.signature'; } };

  it('serves the page and every asset with a CSP that allows only its own scripts', async () => {
    const store = await storeWith([]);
    const page = await request(app({ store })).get('/console/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.match(String(page.headers['content-security-policy']), /form-action 'none'/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.match(page.text, /content="false"/, 'no dev login without the dev issuer');
    assert.doesNotMatch(page.text, /<script>|style=/, 'no inline script or style');
    for (const name of consoleAssetNames()) {
      const asset = await request(app({ store })).get(`/console/assets/${name}`);
      assert.equal(asset.status, 200, name);
      assert.match(String(asset.headers['content-type']), name.endsWith('.css') ? /text\/css/ : /text\/javascript/);
      assert.doesNotMatch(asset.text, /innerHTML|eval\(|document\.write/, `${name} builds DOM from text only`);
    }
    assert.equal((await request(app({ store })).get('/console/assets/../../package.json')).status, 404);
    assert.equal((await request(app({ store })).get('/console/assets/nope.js')).status, 404);
  });

  it('mints a short-lived auditor token for a dev login, only with the dev issuer, on loopback, as JSON', async () => {
    const store = await storeWith([]);
    const withIssuer = app({ store, devIssuer });
    assert.match((await request(withIssuer).get('/console/')).text, /content="true"/);
    const ok = await request(withIssuer).post('/console/dev-login').set('host', '127.0.0.1:8080').send({ user: 'auditor-1' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.token, 'header.payload.signature');
    assert.deepEqual(minted.at(-1), { fhirUser: 'Practitioner/auditor-1', scope: 'custos/auditor', ttlSeconds: DEV_LOGIN_TTL_SECONDS });
    assert.equal(ok.headers['cache-control'], 'no-store');

    const absent = await request(app({ store })).post('/console/dev-login').set('host', 'localhost').send({ user: 'auditor-1' });
    assert.equal(absent.status, 404);
    assert.match(absent.body.detail, /embedded mode/);
    const rebound = await request(withIssuer).post('/console/dev-login').set('host', 'evil.example:8080').send({ user: 'auditor-1' });
    assert.equal(rebound.status, 403);
    const form = await request(withIssuer).post('/console/dev-login').set('host', 'localhost').type('form').send('user=auditor-1');
    assert.equal(form.status, 415);
    const bad = await request(withIssuer).post('/console/dev-login').set('host', 'localhost').send({ user: 'Patient/x y' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.detail, /user is malformed/);
  });

  it('counts requests, refusals, failures and break-the-glass per time bucket', async () => {
    const store = await storeWith([
      input(T0 + 1_000, 200),
      input(T0 + 2_000, 403),
      input(T0 + 3_000, 404),
      input(T0 + 61_000, 200, { breakGlassReason: 'unconscious patient' }),
      input(T0 + 62_000, 502),
      input(T0 + 180_000, 200), // outside [from, to)
    ]);
    const answer = await request(app({ store })).post('/console/api/activity').set('authorization', 'Bearer auditor')
      .send({ from: new Date(T0).toISOString(), to: new Date(T0 + 120_000).toISOString(), buckets: 2 });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.bucketMs, 60_000);
    assert.deepEqual(answer.body.buckets, [
      { start: '2025-03-01T10:00:00.000Z', total: 3, denied: 1, failed: 0, breakGlass: 0 },
      { start: '2025-03-01T10:01:00.000Z', total: 2, denied: 0, failed: 1, breakGlass: 1 },
    ]);
    assert.equal(answer.body.scanned, 5);
    assert.equal(answer.body.truncated, false);
  });

  it('refuses the activity counts without the auditor scope, and bad ranges with a clear problem', async () => {
    const store = await storeWith([]);
    const body = { from: '2025-03-01T10:00:00Z', to: '2025-03-01T11:00:00Z' };
    assert.equal((await request(app({ store })).post('/console/api/activity').send(body)).status, 401);
    const clinician = await request(app({ store })).post('/console/api/activity').set('authorization', 'Bearer clinician').send(body);
    assert.equal(clinician.status, 403);
    assert.match(clinician.body.detail, /custos\/auditor/);
    const backwards = await request(app({ store })).post('/console/api/activity').set('authorization', 'Bearer auditor').send({ from: body.to, to: body.from });
    assert.equal(backwards.status, 400);
    assert.match(backwards.body.detail, /earlier/);
    const tooMany = await request(app({ store })).post('/console/api/activity').set('authorization', 'Bearer auditor').send({ ...body, buckets: 10_000 });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.detail, /buckets/);
  });
});
