import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyRequest, refineBundleInteraction } from '../../src/fhir/classify.js';

const classify = (method: string, path: string, extra: { hasCriteria?: boolean; ifNoneExist?: boolean } = {}) =>
  classifyRequest({ method, segments: path.split('/').filter(Boolean), hasCriteria: extra.hasCriteria ?? false, ifNoneExist: extra.ifNoneExist ?? false });

const failsWith = (code: string, fn: () => unknown) => assert.throws(fn, (e: { code?: string }) => e.code === code);

describe('classify', () => {
  it('recognises every instance-level interaction', () => {
    assert.deepEqual(
      [classify('GET', 'Patient/1'), classify('PUT', 'Patient/1'), classify('PATCH', 'Patient/1'), classify('DELETE', 'Patient/1')].map((i) => i.kind),
      ['read', 'update', 'patch', 'delete'],
    );
    const vread = classify('GET', 'Patient/1/_history/2');
    assert.equal(vread.kind, 'vread');
    assert.equal(vread.versionId, '2');
    assert.equal(vread.path, '/Patient/1/_history/2');
    assert.equal(classify('GET', 'Patient/1/_history').kind, 'history-instance');
  });

  it('recognises type- and system-level interactions', () => {
    assert.equal(classify('GET', 'Observation').kind, 'search-type');
    assert.equal(classify('POST', 'Observation/_search').bodyKind, 'form');
    assert.equal(classify('POST', 'Observation').kind, 'create');
    assert.equal(classify('POST', 'Observation', { ifNoneExist: true }).conditional, true);
    assert.equal(classify('GET', 'Observation/_history').kind, 'history-type');
    assert.equal(classify('GET', '_history').kind, 'history-system');
    assert.equal(classify('GET', '').kind, 'search-system');
    assert.equal(classify('POST', '_search').kind, 'search-system');
    assert.equal(classify('GET', 'metadata').kind, 'capabilities');
    assert.equal(classify('POST', '').kind, 'batch');
  });

  it('recognises conditional update, patch and delete only with criteria', () => {
    assert.equal(classify('PUT', 'Patient', { hasCriteria: true }).conditional, true);
    assert.equal(classify('DELETE', 'Patient', { hasCriteria: true }).kind, 'delete');
    assert.equal(classify('PATCH', 'Patient', { hasCriteria: true }).kind, 'patch');
    failsWith('INVALID_REQUEST', () => classify('DELETE', 'Patient'));
  });

  it('recognises operations at every level', () => {
    const everything = classify('GET', 'Patient/1/$everything');
    assert.deepEqual([everything.kind, everything.operation, everything.id], ['operation', 'everything', '1']);
    assert.equal(classify('POST', 'Observation/$validate').operation, 'validate');
    assert.equal(classify('POST', '$reindex').resourceType, undefined);
    failsWith('METHOD_NOT_ALLOWED', () => classify('DELETE', 'Patient/1/$everything'));
  });

  it('recognises compartment searches on compartment types only', () => {
    const c = classify('GET', 'Patient/1/Observation');
    assert.deepEqual([c.kind, c.resourceType, c.compartment], ['search-compartment', 'Observation', { resourceType: 'Patient', id: '1' }]);
    assert.equal(classify('GET', 'Patient/1/*').resourceType, undefined);
    failsWith('NOT_FOUND', () => classify('GET', 'Observation/1/Patient'));
  });

  it('matches resource types case-sensitively against the R4 list', () => {
    failsWith('UNKNOWN_RESOURCE_TYPE', () => classify('GET', 'patient/1'));
    failsWith('UNKNOWN_RESOURCE_TYPE', () => classify('GET', 'patient'));
    failsWith('UNKNOWN_RESOURCE_TYPE', () => classify('GET', 'Patients'));
    failsWith('UNKNOWN_RESOURCE_TYPE', () => classify('GET', 'PATIENT/1'));
    failsWith('UNKNOWN_RESOURCE_TYPE', () => classify('GET', 'Patient/1/Observations'));
  });

  it('rejects ids outside the FHIR id grammar and unknown methods', () => {
    failsWith('INVALID_PATH', () => classify('GET', `Patient/${'x'.repeat(65)}`));
    failsWith('INVALID_PATH', () => classify('GET', 'Patient/a_b'));
    failsWith('METHOD_NOT_ALLOWED', () => classify('OPTIONS', 'Patient'));
    failsWith('METHOD_NOT_ALLOWED', () => classify('POST', 'Patient/1'));
    failsWith('METHOD_NOT_ALLOWED', () => classify('DELETE', 'metadata'));
    failsWith('NOT_FOUND', () => classify('GET', 'Patient/1/_history/2/extra'));
  });

  it('tells batch from transaction by Bundle.type and refuses anything else', () => {
    const post = classify('POST', '');
    assert.equal(refineBundleInteraction(post, { resourceType: 'Bundle', type: 'transaction' }).kind, 'transaction');
    assert.equal(refineBundleInteraction(post, { resourceType: 'Bundle', type: 'batch' }).kind, 'batch');
    failsWith('INVALID_REQUEST', () => refineBundleInteraction(post, { resourceType: 'Bundle', type: 'searchset' }));
    failsWith('INVALID_REQUEST', () => refineBundleInteraction(post, { resourceType: 'Patient' }));
  });
});
