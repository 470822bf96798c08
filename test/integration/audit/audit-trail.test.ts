/**
 * Every request through the gateway leaves one AuditEvent, permitted or denied, before its answer
 * leaves; the admin API finds it, proves it is in the log, and shows the on-chain checkpoint that
 * covers it. Real sample FHIR server, real gateway on its embedded chain and embedded audit store,
 * real tokens and grants (test/integration/enforcement/world.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyConsistency, verifyInclusion } from '../../../src/audit/merkle.js';
import { startWorld, type World } from '../enforcement/world.js';

interface EventSummary {
  index: number;
  requestId: string;
  outcome: number;
  breakGlass: boolean;
  actor: string | null;
  patients: string[];
  event: { action: string; subtype: Array<{ code: string }>; outcomeDesc: string; entity: Array<{ what?: { reference?: string; identifier?: { value?: string; system?: string } }; role?: { code?: string }; query?: string }>; purposeOfEvent?: Array<{ coding: Array<{ code: string }>; text?: string }> };
}

describe('audit trail through the gateway', () => {
  let w: World;
  let auditor: string;

  before(async () => {
    w = await startWorld({ CUSTOS_ENFORCEMENT_BREAK_GLASS_ACTORS: 'Practitioner/prac-05', CUSTOS_AUDIT_ANCHOR_INTERVAL_MS: '300' });
    auditor = await w.gateway.mint({ fhirUser: 'Practitioner/auditor-1', scope: 'custos/auditor' });
  });
  after(() => w?.close());

  const admin = async (method: string, path: string, body?: unknown, token = auditor) => {
    const response = await fetch(`${w.gateway.origin}/admin/audit${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, json: (await response.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  /** The event of one request, found by its X-Request-ID (it is committed before the answer, sequenced just after). */
  async function eventOf(requestId: string, criteria: Record<string, unknown> = {}): Promise<EventSummary> {
    for (let i = 0; i < 100; i++) {
      const found = await admin('POST', '/events/_search', { ...criteria, limit: 1000 });
      assert.equal(found.status, 200, JSON.stringify(found.json));
      const match = (found.json.events as EventSummary[]).find((e) => e.requestId === requestId);
      if (match) return match;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail(`no audit event for request ${requestId}`);
  }

  it('records a consented read with the resource and version returned and the grant that permitted it', async () => {
    const answer = await w.call('GET', '/Patient/pat-001', w.prac01, { headers: { 'x-request-id': 'audit-read-1' } });
    assert.equal(answer.status, 200);
    const version = answer.json()['meta']['versionId'];
    const event = await eventOf('audit-read-1', { patient: 'Patient/pat-001' });
    assert.equal(event.outcome, 0);
    assert.equal(event.actor, 'Practitioner/prac-01');
    assert.deepEqual(event.patients, ['Patient/pat-001']);
    assert.equal(event.event.action, 'R');
    assert.equal(event.event.subtype[0]!.code, 'read');
    const refs = event.event.entity.map((e) => e.what?.reference);
    assert.ok(refs.includes(`Patient/pat-001/_history/${version}`), refs.join());
    assert.ok(event.event.entity.some((e) => e.what?.identifier?.system === 'urn:custos:consent-grant'));
  });

  it('records a denied read, naming the rule, listing no resource, and the denied patient as the one touched', async () => {
    const answer = await w.call('GET', '/Patient/pat-002', w.prac01, { headers: { 'x-request-id': 'audit-denied-1' } });
    assert.equal(answer.status, 403);
    const event = await eventOf('audit-denied-1', { outcome: 4 });
    assert.deepEqual(event.patients, ['Patient/pat-002']);
    assert.match(event.event.outcomeDesc, /403 CONSENT_DENIED/);
    assert.ok(!event.event.entity.some((e) => e.role?.code === '4'), 'a denied read lists no returned resource');
    assert.ok(event.event.entity.some((e) => e.what?.identifier?.system === 'urn:custos:decision-rule'));
  });

  it('records a search with its query and only the entries actually returned', async () => {
    const answer = await w.call('GET', '/Observation?_count=50', w.prac01, { headers: { 'x-request-id': 'audit-search-1' } });
    assert.equal(answer.status, 200);
    const returned = (answer.json()['entry'] ?? []).map((e: { resource: { resourceType: string; id: string } }) => `${e.resource.resourceType}/${e.resource.id}`);
    const event = await eventOf('audit-search-1');
    const query = event.event.entity.find((e) => e.role?.code === '24');
    assert.equal(Buffer.from(query!.query!, 'base64').toString(), '/Observation?_count=50');
    const listed = event.event.entity.filter((e) => e.role?.code === '4').map((e) => e.what!.reference!.replace(/\/_history\/.*$/, ''));
    assert.deepEqual([...listed].sort(), [...returned].sort());
    assert.ok(!listed.some((r) => r.includes('-002-')), 'withheld entries are not listed');
  });

  it('records break-the-glass with its reason, and a refused attempt too', async () => {
    const emergency = await w.gateway.mint({ fhirUser: 'Practitioner/prac-05', scope: 'user/*.rs' });
    const ok = await w.call('GET', '/Patient/pat-002', emergency, { headers: { 'x-request-id': 'audit-btg-1', 'x-break-glass': 'unconscious patient in ED' } });
    assert.equal(ok.status, 200);
    const event = await eventOf('audit-btg-1', { breakGlass: true });
    assert.equal(event.breakGlass, true);
    assert.ok(event.event.purposeOfEvent!.some((p) => p.coding[0]!.code === 'BTG' && p.text === 'unconscious patient in ED'));
    const refused = await w.call('GET', '/Patient/pat-002', w.stranger, { headers: { 'x-request-id': 'audit-btg-2', 'x-break-glass': 'curious' } });
    assert.equal(refused.status, 403);
    const attempt = await eventOf('audit-btg-2', { breakGlass: true });
    assert.equal(attempt.outcome, 4);
  });

  it('records a change twice: a write-ahead attempt before it is forwarded, then its outcome', async () => {
    const observation = { resourceType: 'Observation', status: 'final', code: { text: 'audit write-ahead' }, subject: { reference: 'Patient/pat-003' } };
    const answer = await w.call('POST', '/Observation', w.prac01, { body: observation, headers: { 'x-request-id': 'audit-write-1' } });
    assert.equal(answer.status, 201, answer.text);
    let events: Array<EventSummary & { event: any }> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (let i = 0; i < 100 && events.length < 2; i++) {
      const found = await admin('POST', '/events/_search', { patient: 'Patient/pat-003', limit: 1000 });
      events = (found.json.events as Array<EventSummary & { event: any }>).filter((e) => e.requestId === 'audit-write-1'); // eslint-disable-line @typescript-eslint/no-explicit-any
      if (events.length < 2) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(events.length, 2, 'an attempt and a final event');
    const [attempt, final] = events.sort((a, b) => a.index - b.index);
    assert.ok(attempt!.event.subtype.some((c: { code: string; system: string }) => c.system === 'urn:custos:audit-phase' && c.code === 'attempt'));
    assert.equal(attempt!.event.outcome, undefined, 'the attempt has no outcome of its own');
    assert.equal(attempt!.event.action, 'C');
    assert.ok(!final!.event.subtype.some((c: { system: string }) => c.system === 'urn:custos:audit-phase'));
    assert.equal(final!.event.outcome, '0');
    assert.ok(final!.event.entity.some((e: { what?: { reference?: string } }) => e.what?.reference?.startsWith('Observation/')), 'the final event names what was written');
    const read = await eventOf('audit-read-1');
    assert.ok(read, 'reads have one event, no attempt');
  });

  it('records an unauthenticated request', async () => {
    const response = await fetch(`${w.base}/Patient/pat-001`, { headers: { 'x-request-id': 'audit-anon-1' } });
    assert.equal(response.status, 401);
    const event = await eventOf('audit-anon-1', { outcome: 4 });
    assert.equal(event.actor, null);
  });

  it('proves an event is in the log and shows the anchored checkpoint that covers it', async () => {
    const answer = await w.call('GET', '/Patient/pat-003', w.prac01, { headers: { 'x-request-id': 'audit-proof-1' } });
    assert.equal(answer.status, 200);
    const { index } = await eventOf('audit-proof-1');
    let shown: any; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (let i = 0; i < 100; i++) {
      shown = (await admin('GET', `/events/${index}`)).json;
      if (shown.checkpoint) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(shown.checkpoint, 'anchored within a few intervals');
    assert.match(shown.checkpoint.transactionHash, /^0x[0-9a-f]{64}$/);
    const proof = shown.inclusionProof;
    const check = verifyInclusion({ index, treeSize: proof.treeSize, leafHash: Buffer.from(shown.leafHash, 'hex'), proof: proof.hashes.map((h: string) => Buffer.from(h, 'hex')), root: Buffer.from(proof.root.slice(2), 'hex') });
    assert.deepEqual(check, { ok: true });
    assert.equal(proof.root, shown.checkpoint.root);
    // a tampered proof does not verify
    const bad = verifyInclusion({ index: index + 1, treeSize: proof.treeSize, leafHash: Buffer.from(shown.leafHash, 'hex'), proof: proof.hashes.map((h: string) => Buffer.from(h, 'hex')), root: Buffer.from(proof.root.slice(2), 'hex') });
    assert.equal(bad.ok, false);
  });

  it('lists checkpoints and proves consistency between two tree sizes', async () => {
    const listed = (await admin('GET', '/checkpoints')).json;
    assert.ok(listed.checkpoints.length >= 1);
    assert.equal(listed.anchoring.chainHealthy, true);
    const head = listed.head;
    const first = listed.checkpoints[0];
    const proof = (await admin('GET', `/consistency?from=${first.treeSize}&to=${head.treeSize}`)).json;
    const check = verifyConsistency({ size1: first.treeSize, size2: head.treeSize, root1: Buffer.from(first.root.slice(2), 'hex'), root2: Buffer.from(head.root.slice(2), 'hex'), proof: proof.hashes.map((h: string) => Buffer.from(h, 'hex')) });
    assert.deepEqual(check, { ok: true });
  });

  it('pages the checkpoint list newest first: every checkpoint once, in order, and bad paging parameters get a clear problem', async () => {
    // Each anchor interval (300 ms here) with new events adds a checkpoint: make a few.
    let full: Array<{ treeSize: number; root: string }> = [];
    for (let i = 0; i < 200 && full.length < 4; i++) {
      await w.call('GET', '/Patient/pat-001', w.prac01);
      full = (await admin('GET', '/checkpoints?limit=1000')).json.checkpoints;
      if (full.length < 4) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(full.length >= 4, `${full.length} checkpoints`);
    const walked: typeof full = [];
    let before: number | undefined = full.at(-1)!.treeSize + 1;
    while (before !== undefined) {
      const page = await admin('GET', `/checkpoints?limit=2&before=${before}`);
      assert.equal(page.status, 200);
      assert.ok(page.json.checkpoints.length <= 2);
      walked.unshift(...page.json.checkpoints);
      before = page.json.older?.before;
    }
    assert.deepEqual(walked.map((c) => [c.treeSize, c.root]), full.map((c) => [c.treeSize, c.root]));
    const newest = await admin('GET', '/checkpoints?limit=1');
    assert.equal(newest.json.checkpoints.length, 1);
    assert.ok(newest.json.checkpoints[0].treeSize >= full.at(-1)!.treeSize, 'the first page holds the newest');
    assert.equal(newest.json.older.before, newest.json.checkpoints[0].treeSize);
    for (const bad of ['limit=0', 'limit=1001', 'limit=ten', 'before=0', 'before=-3']) {
      const refused = await admin('GET', `/checkpoints?${bad}`);
      assert.equal(refused.status, 400, bad);
      assert.match(refused.json.detail, /must be an integer/);
    }
  });

  it('records the auditors\' own reads of the log (searches, single events) as accesses to the patients shown', async () => {
    let found: EventSummary[] = [];
    for (let i = 0; i < 100 && found.length === 0; i++) {
      const page = await admin('POST', '/events/_search', { actor: 'Practitioner/auditor-1', patient: 'Patient/pat-001', limit: 1000 });
      found = (page.json.events as EventSummary[]).filter((e) => e.event.subtype[0]?.code === 'operation');
      if (found.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(found.length > 0, 'an audit-search event naming pat-001');
    assert.ok(found.every((e) => e.outcome === 0 && e.patients.includes('Patient/pat-001')));
  });

  it('refuses the audit API to callers without the auditor scope, and bad criteria with a clear problem', async () => {
    const denied = await admin('POST', '/events/_search', {}, w.prac01);
    assert.equal(denied.status, 403);
    assert.match(denied.json.detail, /custos\/auditor/);
    const bad = await admin('POST', '/events/_search', { patient: 'pat-001', outcome: 3 });
    assert.equal(bad.status, 400);
    assert.match(bad.json.detail, /patient is malformed/);
    const missing = await admin('GET', '/events/99999999');
    assert.equal(missing.status, 404);
  });
});
