import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { canonicalJson } from '../../src/fhir/canonical-json.js';
import { CONSENT_PURPOSES, CONSENT_RESOURCE_TYPES, allBits, fromMask } from '../../src/policy/consent-codes.js';
import { consentToGrants } from '../../src/policy/consent-from-fhir.js';
import { Pseudonymizer } from '../../src/policy/pseudonym.js';

const pseudonyms = new Pseudonymizer('test-key-test-key-test-key-test-key!');
const NOW = Date.parse('2026-11-22T00:00:00Z') / 1000;
const consent = (provision: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Consent', status: 'active', patient: { reference: 'Patient/pat-001' },
  scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
  category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
  provision, ...extra,
});
const rejects = (body: unknown, where: RegExp) =>
  assert.throws(() => consentToGrants(body, pseudonyms, NOW), (e: { code?: string; message: string }) => e.code === 'INVALID_REQUEST' && where.test(e.message));

describe('FHIR Consent → on-chain grants', () => {
  it('translates a scoped permit into one grant per actor, with pseudonyms and the canonical hash', () => {
    const body = consent({
      type: 'permit',
      period: { start: '2026-01-01', end: '2027-01-01T00:00:00Z' },
      actor: [{ reference: { reference: 'Practitioner/prac-01' } }, { reference: { reference: 'Organization/org-01' } }],
      action: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'access' }] }],
      purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }],
      class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }, { system: 'http://hl7.org/fhir/resource-types', code: 'Condition' }],
    });
    const result = consentToGrants(body, pseudonyms, NOW);
    assert.equal(result.patient, 'Patient/pat-001');
    assert.deepEqual(result.actors, ['Practitioner/prac-01', 'Organization/org-01']);
    const [first, second] = result.grants;
    assert.equal(first!.subject, pseudonyms.of('subject', 'Patient/pat-001'));
    assert.equal(first!.grantee, pseudonyms.of('actor', 'Practitioner/prac-01'));
    assert.equal(second!.grantee, pseudonyms.of('organization', 'Organization/org-01'));
    assert.deepEqual(fromMask(CONSENT_RESOURCE_TYPES, first!.resourceTypes).sort(), ['Condition', 'Observation']);
    assert.equal(first!.actions, 1n);
    assert.deepEqual(fromMask(CONSENT_PURPOSES, first!.purposes), ['TREAT']);
    assert.equal(first!.notBefore, Date.parse('2026-01-01') / 1000);
    assert.equal(first!.notAfter, Date.parse('2027-01-01T00:00:00Z') / 1000);
    assert.equal(result.policyHash, '0x' + createHash('sha256').update(canonicalJson(body)).digest('hex'));
    assert.ok(!JSON.stringify(result.grants, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)).includes('pat-001'), 'no identifier in clear');
  });

  it('defaults: all compartment types, read only, any purpose, no time bounds', () => {
    const [grant] = consentToGrants(consent({ type: 'deny', actor: [{ reference: { reference: 'Practitioner/p' } }] }), pseudonyms, NOW).grants;
    assert.equal(grant!.effect, 'deny');
    assert.equal(grant!.resourceTypes, allBits(CONSENT_RESOURCE_TYPES));
    assert.equal(grant!.purposes, allBits(CONSENT_PURPOSES));
    assert.equal(grant!.actions, 1n);
    assert.deepEqual([grant!.notBefore, grant!.notAfter], [0, 0]);
  });

  it('refuses what it cannot represent faithfully, naming the element', () => {
    const actor = [{ reference: { reference: 'Practitioner/p' } }];
    rejects({ resourceType: 'Patient' }, /^Consent: /);
    rejects(consent({ type: 'permit', actor }, { status: 'proposed' }), /^Consent\.status: /);
    rejects(consent({ type: 'permit', actor }, { patient: { reference: 'Group/1' } }), /^Consent\.patient: /);
    rejects(consent({ type: 'permit' }), /^Consent\.provision\.actor: .*everyone/);
    rejects(consent({ type: 'permit', actor, provision: [{ type: 'deny' }] }), /nested provisions/);
    rejects(consent({ type: 'maybe', actor }), /^Consent\.provision\.type: /);
    rejects(consent({ type: 'permit', actor: [{ reference: { reference: 'https://evil/Practitioner/1' } }] }), /actor\[0\]\.reference/);
    rejects(consent({ type: 'permit', actor, class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Practitioner' }] }), /unknown resource type in the Patient compartment "Practitioner"/);
    rejects(consent({ type: 'permit', actor, purpose: [{ code: 'GOSSIP' }] }), /unknown purpose of use "GOSSIP"/);
    rejects(consent({ type: 'permit', actor, action: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'sell' }] }] }), /unsupported consent action/);
    rejects(consent({ type: 'permit', actor, period: { start: '2026-05-01', end: '2026-04-01' } }), /end must be after its start/);
    rejects(consent({ type: 'permit', actor, period: { end: '2020-01-01' } }), /in the past/);
    rejects(consent({ type: 'permit', actor, period: { start: 'yesterday' } }), /period\.start: must be a FHIR date/);
  });
});
