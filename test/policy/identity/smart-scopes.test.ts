import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScopes, parseSmartScope, scopeAllows, type ScopeInteraction } from '../../../src/policy/identity/smart-scopes.js';

const shape = (scope: string) => {
  const parsed = parseSmartScope(scope);
  return parsed && {
    context: parsed.context,
    resourceType: parsed.resourceType,
    interactions: [...parsed.interactions].join(''),
    ...(parsed.restriction !== undefined ? { restriction: parsed.restriction } : {}),
  };
};

describe('SMART scopes', () => {
  it('reads v1 and v2 resource scopes into one shape (v1 read = rs, write = cud, * = cruds)', () => {
    const table: Array<[string, ReturnType<typeof shape>]> = [
      // v1
      ['patient/Observation.read', { context: 'patient', resourceType: 'Observation', interactions: 'rs' }],
      ['patient/Observation.write', { context: 'patient', resourceType: 'Observation', interactions: 'cud' }],
      ['user/*.write', { context: 'user', resourceType: '*', interactions: 'cud' }],
      ['user/Patient.*', { context: 'user', resourceType: 'Patient', interactions: 'cruds' }],
      ['system/*.*', { context: 'system', resourceType: '*', interactions: 'cruds' }],
      // v2
      ['patient/Observation.rs', { context: 'patient', resourceType: 'Observation', interactions: 'rs' }],
      ['user/*.cruds', { context: 'user', resourceType: '*', interactions: 'cruds' }],
      ['patient/Condition.s', { context: 'patient', resourceType: 'Condition', interactions: 's' }],
      ['user/Encounter.cud', { context: 'user', resourceType: 'Encounter', interactions: 'cud' }],
      ['system/Patient.r?category=x', { context: 'system', resourceType: 'Patient', interactions: 'r', restriction: 'category=x' }],
      [
        'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory',
        { context: 'patient', resourceType: 'Observation', interactions: 'rs', restriction: 'category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory' },
      ],
    ];
    for (const [scope, expected] of table) assert.deepEqual(shape(scope), expected, scope);
  });

  it('refuses anything else rather than guessing', () => {
    for (const scope of [
      'patient/Observation.sr', // v2 letters must be in cruds order
      'patient/Observation.rr',
      'patient/Observation.x',
      'patient/Observation.',
      'patient/observation.read', // resource types are case-sensitive
      'patient/Foo.read', // not an R4 resource type
      'patient/Observation.read?category=x', // v1 has no restrictions
      'patient/Observation.rs?', // an empty restriction
      'patient/.read',
      'group/Observation.read',
      'patient/Observation.read.extra',
      'openid',
    ]) {
      assert.equal(parseSmartScope(scope), undefined, scope);
    }
  });

  it('keeps non-resource scopes aside and reports malformed resource scopes as unrecognized', () => {
    const parsed = parseScopes('openid fhirUser launch/patient offline_access  patient/Observation.rs patient/Observation.rc profile');
    assert.deepEqual(parsed.resource.map((s) => s.scope), ['patient/Observation.rs']);
    assert.deepEqual(parsed.other, ['openid', 'fhirUser', 'launch/patient', 'offline_access', 'profile']);
    assert.deepEqual(parsed.unrecognized, ['patient/Observation.rc']);
  });

  it('accepts the scp array form as well as the space-delimited scope string', () => {
    assert.deepEqual(parseScopes(['user/*.rs', 'openid']).resource.map((s) => s.scope), ['user/*.rs']);
    assert.deepEqual(parseScopes(''), { resource: [], other: [], unrecognized: [] });
  });
});

describe('scopeAllows', () => {
  const scopes = parseScopes('patient/Observation.rs user/Condition.read user/*.c system/Patient.r?category=x').resource;
  const allows = (context: 'patient' | 'user' | 'system' | undefined, type: string, interaction: ScopeInteraction) =>
    scopeAllows(scopes, context, type, interaction)?.scope;

  it('returns the scope that allows the interaction, so the decision can name it', () => {
    assert.equal(allows('patient', 'Observation', 'r'), 'patient/Observation.rs');
    assert.equal(allows('patient', 'Observation', 's'), 'patient/Observation.rs');
    assert.equal(allows('user', 'Condition', 's'), 'user/Condition.read');
    assert.equal(allows('user', 'Medication', 'c'), 'user/*.c', 'a wildcard type matches any type');
  });

  it('allows nothing outside the scope: other interaction, type or context', () => {
    assert.equal(allows('patient', 'Observation', 'u'), undefined);
    assert.equal(allows('patient', 'Condition', 'r'), undefined);
    assert.equal(allows('user', 'Observation', 'r'), undefined, 'a patient/ scope does not answer for user/');
    assert.equal(allows('system', 'Observation', 'c'), undefined);
  });

  it('without a context, answers with the broadest context that allows it', () => {
    const both = parseScopes('patient/Observation.rs user/Observation.rs').resource;
    assert.equal(scopeAllows(both, undefined, 'Observation', 'r')?.scope, 'user/Observation.rs');
    assert.equal(allows(undefined, 'Observation', 'r'), 'patient/Observation.rs');
  });

  it('ignores scopes with a query restriction unless asked (they allow only matching resources)', () => {
    assert.equal(allows('system', 'Patient', 'r'), undefined);
    const restricted = scopeAllows(scopes, 'system', 'Patient', 'r', { includeRestricted: true });
    assert.equal(restricted?.restriction, 'category=x');
    const mixed = parseScopes('user/Observation.rs?category=laboratory user/Observation.rs').resource;
    assert.equal(scopeAllows(mixed, 'user', 'Observation', 'r', { includeRestricted: true })?.restriction, undefined, 'an unrestricted scope is preferred');
  });
});
