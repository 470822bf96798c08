import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyRequest } from '../../src/fhir/classify.js';
import { parseScopes } from '../../src/policy/identity/smart-scopes.js';
import { checkScopes } from '../../src/policy/interaction-scope.js';

const interaction = (method: string, path: string, extra: { hasCriteria?: boolean } = {}) =>
  classifyRequest({ method, segments: path.split('/').filter(Boolean), hasCriteria: extra.hasCriteria ?? false, ifNoneExist: false });
const allowed = (scope: string, method: string, path: string, extra = {}) => {
  try {
    checkScopes(parseScopes(scope).resource, interaction(method, path, extra));
    return true;
  } catch (e) {
    assert.equal((e as { code?: string }).code, 'INSUFFICIENT_SCOPE');
    return false;
  }
};

describe('SMART scopes needed by each interaction', () => {
  it('maps read, search, create, update and delete onto r, s, c, u, d of the resource type', () => {
    assert.equal(allowed('user/Observation.r', 'GET', 'Observation/1'), true);
    assert.equal(allowed('user/Observation.r', 'GET', 'Observation'), false, 'read is not search');
    assert.equal(allowed('user/Observation.s', 'GET', 'Observation'), true);
    assert.equal(allowed('user/Observation.rs', 'POST', 'Observation'), false, 'reading is not creating');
    assert.equal(allowed('user/Observation.c', 'POST', 'Observation'), true);
    assert.equal(allowed('user/Observation.c', 'PUT', 'Observation/1'), false);
    assert.equal(allowed('user/Observation.u', 'PATCH', 'Observation/1'), true);
    assert.equal(allowed('user/Observation.d', 'DELETE', 'Observation/1'), true);
    assert.equal(allowed('user/Observation.read', 'GET', 'Patient/1'), false, 'another type');
    assert.equal(allowed('patient/*.read', 'GET', 'Patient/1/Observation'), true, 'v1 read covers search');
  });

  it('needs search as well for conditional writes, which search first', () => {
    assert.equal(allowed('user/Patient.u', 'PUT', 'Patient', { hasCriteria: true }), false);
    assert.equal(allowed('user/Patient.us', 'PUT', 'Patient', { hasCriteria: true }), true);
  });

  it('fails closed on shapes that reach many types: system search, history, batch, transaction', () => {
    assert.equal(allowed('user/Patient.rs', 'GET', ''), false);
    assert.equal(allowed('user/*.rs', 'GET', ''), true);
    assert.equal(allowed('user/Patient.cruds', 'GET', '_history'), false);
    assert.equal(allowed('user/*.rs', 'POST', ''), false, 'a batch may write');
    assert.equal(allowed('user/*.cruds', 'POST', ''), true);
  });

  it('leaves the CapabilityStatement public', () => {
    assert.equal(allowed('openid', 'GET', 'metadata'), true);
  });
});
