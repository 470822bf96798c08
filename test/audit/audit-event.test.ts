/**
 * The AuditEvent one request becomes: IHE BALP shape, every fact the reports need, canonical bytes
 * anyone can re-hash, and nothing a client could use to inject or hide facts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildAuditEvent, CONSENT_GRANT_SYSTEM, type AuditInput } from '../../src/audit/audit-event.js';
import { toAuditRecord } from '../../src/audit/audit-record.js';
import { returnedResources } from '../../src/audit/returned-resources.js';
import { canonicalJson } from '../../src/fhir/canonical-json.js';
import { SAMPLE_AUDIT_INPUT } from '../support/audit-input.js';

const base: AuditInput = SAMPLE_AUDIT_INPUT;

type Entity = { what?: { reference?: string; identifier?: { system?: string; value?: string } }; type?: { code?: string }; role?: { code?: string }; query?: string };

function entities(event: Record<string, unknown>): Entity[] {
  return event['entity'] as Entity[];
}

describe('AuditEvent (IHE BALP)', () => {
  it('records a consented read: rest/read, action R, success, user and client agents, patient, resource with version, grant, request id', () => {
    const event = buildAuditEvent(base);
    assert.equal(event['resourceType'], 'AuditEvent');
    assert.deepEqual(event['type'], { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'Restful Operation' });
    assert.deepEqual(event['subtype'], [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read' }]);
    assert.equal(event['action'], 'R');
    assert.equal(event['outcome'], '0');
    assert.equal(event['recorded'], '2026-11-22T10:00:00.000Z');
    const agents = event['agent'] as Array<{ who: { reference?: string; identifier?: { value: string } }; requestor: boolean; network?: { address: string } }>;
    assert.equal(agents[0]!.who.reference, 'Practitioner/prac-01');
    assert.equal(agents[0]!.who.identifier!.value, 'dr-who');
    assert.equal(agents[0]!.requestor, true);
    assert.equal(agents[1]!.who.identifier!.value, 'ehr-app');
    assert.equal(agents[1]!.network!.address, '10.0.0.7');
    const e = entities(event);
    assert.ok(e.some((x) => x.what?.reference === 'Patient/pat-1' && x.role?.code === '1'));
    assert.ok(e.some((x) => x.what?.reference === 'Observation/obs-1/_history/3' && x.role?.code === '4'));
    assert.ok(e.some((x) => x.what?.identifier?.system === CONSENT_GRANT_SYSTEM && x.what.identifier.value === '0xgrant1'));
    assert.ok(e.some((x) => x.type?.code === 'XrequestId' && x.what?.identifier?.value === 'req-1'));
    assert.deepEqual(event['purposeOfEvent'], [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }] }]);
  });

  it('records a search with its query base64-encoded (BALP Query), action E', () => {
    const event = buildAuditEvent({ ...base, interaction: { kind: 'search-type', resourceType: 'Observation' }, path: '/Observation', query: 'subject=Patient/pat-1&_include=Observation:performer', resources: [] });
    assert.equal(event['action'], 'E');
    const query = entities(event).find((x) => x.role?.code === '24');
    assert.equal(Buffer.from(query!.query!, 'base64').toString(), '/Observation?subject=Patient/pat-1&_include=Observation:performer');
  });

  it('records a denial as a minor failure naming the rule, with no resource listed', () => {
    const record = toAuditRecord({ ...base, status: 403, failure: 'CONSENT_DENIED', resources: [], decision: { permitted: 0, denied: 1, rules: ['no-grant'], grantIds: [], patients: ['pat-2'], breakGlass: false } });
    const event = JSON.parse(record.canonical.toString()) as Record<string, unknown>;
    assert.equal(event['outcome'], '4');
    assert.equal(event['outcomeDesc'], '403 CONSENT_DENIED');
    assert.ok(entities(event).some((x) => x.what?.identifier?.value === 'no-grant'));
    assert.ok(!entities(event).some((x) => x.role?.code === '4'));
    assert.deepEqual(record.facts.patients, ['Patient/pat-2']);
    assert.equal(record.facts.outcome, 4);
  });

  it('flags break-the-glass with BTG and the reason, and in the search facts', () => {
    const record = toAuditRecord({ ...base, breakGlassReason: 'unconscious patient in ED', decision: { ...base.decision!, rules: ['break-the-glass'], breakGlass: true } });
    const event = JSON.parse(record.canonical.toString()) as Record<string, unknown>;
    const purposes = event['purposeOfEvent'] as Array<{ coding: Array<{ code: string }>; text?: string }>;
    assert.ok(purposes.some((p) => p.coding[0]!.code === 'BTG' && p.text === 'unconscious patient in ED'));
    assert.equal(record.facts.breakGlass, true);
  });

  it('records an unauthenticated request and a client that went away', () => {
    const { who: _who, decision: _d, ...anonymous } = base;
    const refused = buildAuditEvent({ ...anonymous, status: 401, failure: 'UNAUTHENTICATED', resources: [] });
    assert.equal(refused['outcome'], '4');
    assert.equal((refused['agent'] as Array<{ requestor: boolean }>)[0]!.requestor, true);
    const gone = buildAuditEvent({ ...base, status: 499, clientGone: true });
    assert.equal(gone['outcome'], '8');
    assert.match(String(gone['outcomeDesc']), /closed the connection/);
    assert.equal(buildAuditEvent({ ...base, status: 500, failure: 'INTERNAL' })['outcome'], '12');
    assert.equal(buildAuditEvent({ ...base, status: 504, failure: 'UPSTREAM_TIMEOUT' })['outcome'], '8');
  });

  it('is written in RFC 8785 canonical form, whatever the request, and its leaf hash anyone can recompute', () => {
    const { who: _who, decision: _d, ...anonymous } = base;
    const variants: AuditInput[] = [
      base,
      { ...base, interaction: { kind: 'search-type', resourceType: 'Observation' }, query: 'name=Müller&_count=5', resources: ['Observation/a', 'Patient/b/_history/2'] },
      { ...base, status: 403, failure: 'CONSENT_DENIED', resources: [], decision: { permitted: 0, denied: 3, rules: ['no-grant', 'denial'], grantIds: ['0xb', '0xa'], patients: ['p2', 'p1'], withheldPatients: ['p2'], breakGlass: false } },
      { ...base, breakGlassReason: 'Notfall: Patient bewusstlos \u2028 "quoted" \ud83d\ude91' },
      { ...anonymous, status: 401, failure: 'UNAUTHENTICATED', resources: [] },
      { ...base, clientGone: true, status: 499, who: { ...base.who!, fhirUser: undefined as unknown as string, organization: undefined as unknown as string } },
      { ...anonymous, interaction: undefined as unknown as AuditInput['interaction'], status: 400, failure: 'INVALID_REQUEST', resources: [] },
    ];
    for (const variant of variants) {
      const record = toAuditRecord(variant);
      const text = record.canonical.toString('utf8');
      assert.equal(text, canonicalJson(JSON.parse(text)), `not canonical: ${text.slice(0, 120)}`);
      const expected = createHash('sha256').update(Buffer.from([0])).update(record.canonical).digest();
      assert.deepEqual(record.leafHash, expected);
    }
  });

  it('keeps hostile request ids and reasons as data: canonical JSON escapes them, the structure stays', () => {
    const record = toAuditRecord({ ...base, requestId: 'x","outcome":"0', breakGlassReason: '"},{"code":"TREAT' });
    const event = JSON.parse(record.canonical.toString()) as Record<string, unknown>;
    assert.equal(event['outcome'], '0');
    assert.ok(entities(event).some((x) => x.what?.identifier?.value === 'x","outcome":"0'));
  });
});

describe('returned resources', () => {
  it('lists a read resource with its version, search entries (included ones too), and a write from its Location', () => {
    assert.deepEqual(returnedResources({ resourceType: 'Patient', id: 'p1', meta: { versionId: '2' } }, undefined), ['Patient/p1/_history/2']);
    const bundle = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { resourceType: 'Observation', id: 'o1', meta: { versionId: '1' } } }, { resource: { resourceType: 'Patient', id: 'p1' } }] };
    assert.deepEqual(returnedResources(bundle, undefined), ['Observation/o1/_history/1', 'Patient/p1']);
    assert.deepEqual(returnedResources(undefined, 'http://up/fhir/Observation/9/_history/4'), ['Observation/9/_history/4']);
    const batch = { resourceType: 'Bundle', type: 'batch-response', entry: [{ response: { status: '201 Created', location: 'Observation/7/_history/1' } }] };
    assert.deepEqual(returnedResources(batch, undefined), ['Observation/7/_history/1']);
    assert.deepEqual(returnedResources({ resourceType: 'OperationOutcome', id: 'x' }, undefined), []);
  });
});
