import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actorOf, identityFromClaims, toOrganizationReference, toPatientId, toRelativeReference } from '../../../src/policy/identity/actor.js';

const claims = {
  iss: 'https://auth.example.org',
  sub: 'u-123',
  exp: 1_900_000_000,
  client_id: 'ehr-app',
  fhirUser: 'https://ehr.example.org/fhir/Practitioner/123',
  organization: 'org-01',
  patient: 'pat-001',
  scope: 'openid fhirUser launch/patient patient/Observation.rs user/*.read',
  purpose_of_use: 'TREAT',
};

const unauthenticated = (pattern: RegExp) => (error: unknown) => {
  assert.equal((error as { code?: string }).code, 'UNAUTHENTICATED');
  assert.match((error as Error).message, pattern);
  return true;
};

describe('the Actor read from verified claims', () => {
  it('carries who, for which client and organization, with which scopes, launch patient and purpose', () => {
    const identity = identityFromClaims(claims, 'tok-hash');
    const actor = actorOf(identity, { purposeOfUse: 'TREAT', source: 'token' });
    assert.equal(actor.subject, 'u-123');
    assert.equal(actor.fhirUser, 'Practitioner/123', 'an absolute fhirUser becomes Type/id; the issuer is kept beside it');
    assert.equal(actor.clientId, 'ehr-app');
    assert.equal(actor.organization, 'Organization/org-01');
    assert.equal(actor.patient, 'pat-001');
    assert.deepEqual(actor.scopes.map((s) => s.scope), ['patient/Observation.rs', 'user/*.read']);
    assert.deepEqual(actor.otherScopes, ['openid', 'fhirUser', 'launch/patient']);
    assert.equal(actor.purposeOfUse, 'TREAT');
    assert.equal(actor.purposeOfUseSource, 'token');
    assert.equal(actor.issuer, 'https://auth.example.org');
    assert.equal(actor.tokenId, 'tok-hash');
    assert.equal(actor.expiresAt, 1_900_000_000);
    assert.equal('tokenPurposeOfUse' in actor, false, 'the actor carries only the resolved purpose');
    assert.equal(identity.tokenPurposeOfUse, 'TREAT');
  });

  it('leaves optional facts out when the token does not state them', () => {
    const actor = actorOf(identityFromClaims({ iss: 'i', sub: 's', exp: 1, azp: 'spa', scp: ['system/*.rs'] }, 't'), undefined);
    assert.equal(actor.clientId, 'spa', 'azp stands in for client_id');
    assert.deepEqual(actor.scopes.map((s) => s.scope), ['system/*.rs'], 'scp arrays are read too');
    for (const key of ['fhirUser', 'organization', 'patient', 'purposeOfUse', 'purposeOfUseSource']) assert.equal(key in actor, false, key);
    assert.deepEqual(actorOf(identityFromClaims({ iss: 'i', sub: 's', exp: 1, client_id: 'c' }, 't'), undefined).scopes, [], 'no scope claim: no access');
  });

  it('refuses claims it cannot read instead of guessing', () => {
    const without = (name: string) => Object.fromEntries(Object.entries(claims).filter(([k]) => k !== name));
    assert.throws(() => identityFromClaims(without('sub'), 't'), unauthenticated(/no sub claim/));
    assert.throws(() => identityFromClaims(without('client_id'), 't'), unauthenticated(/no client \(client_id or azp/));
    assert.throws(() => identityFromClaims(without('exp'), 't'), unauthenticated(/no expiry/));
    assert.throws(() => identityFromClaims({ ...claims, fhirUser: 'Observation/1' }, 't'), unauthenticated(/fhirUser claim is not a reference to a Patient, Practitioner/));
    assert.throws(() => identityFromClaims({ ...claims, organization: 'Practitioner/1' }, 't'), unauthenticated(/organization claim/));
    assert.throws(() => identityFromClaims({ ...claims, patient: 'a b' }, 't'), unauthenticated(/patient claim/));
    assert.throws(() => identityFromClaims({ ...claims, scope: 42 }, 't'), unauthenticated(/scope claim is neither a string nor an array/));
    assert.throws(() => identityFromClaims({ ...claims, sub: '' }, 't'), unauthenticated(/sub claim is not a non-empty string/));
    assert.throws(() => identityFromClaims({ ...claims, pou: ['TREAT', 'HRESCH'] }, 't'), (e: { code?: string }) => e.code === 'FORBIDDEN');
  });

  it('normalises references the way SMART servers actually send them', () => {
    assert.equal(toRelativeReference('Practitioner/123', ['Practitioner']), 'Practitioner/123');
    assert.equal(toRelativeReference('https://ehr.example.org/fhir/Patient/9/_history/2', ['Patient']), 'Patient/9');
    assert.equal(toRelativeReference('ftp://x/Patient/9', ['Patient']), undefined);
    assert.equal(toRelativeReference('Patient/9?x=1', ['Patient']), undefined);
    assert.equal(toOrganizationReference('Organization/org-01'), 'Organization/org-01');
    assert.equal(toOrganizationReference('org-01'), 'Organization/org-01');
    assert.equal(toPatientId('Patient/pat-001'), 'pat-001');
    assert.equal(toPatientId('pat-001'), 'pat-001');
  });
});
