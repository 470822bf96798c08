import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitPathSegments } from '../../src/fhir/request-path.js';

const rejects = (path: string, message: RegExp) =>
  assert.throws(() => splitPathSegments(path), (e: { code?: string; message: string }) => e.code === 'INVALID_PATH' && message.test(e.message));

describe('path safety', () => {
  it('splits and decodes a plain FHIR path', () => {
    assert.deepEqual(splitPathSegments('/Patient/123/_history/2'), ['Patient', '123', '_history', '2']);
    assert.deepEqual(splitPathSegments('/Patient/%24everything'), ['Patient', '$everything']);
    assert.deepEqual(splitPathSegments(''), []);
  });

  it('normalises a single trailing slash', () => {
    assert.deepEqual(splitPathSegments('/Patient/'), ['Patient']);
    assert.deepEqual(splitPathSegments('/'), []);
  });

  it('rejects dot segments, plain and decoded', () => {
    rejects('/Patient/../Observation', /dot segments/);
    rejects('/Patient/./1', /dot segments/);
    rejects('/..', /dot segments/);
  });

  it('rejects encoded dots, slashes, backslashes and double encoding', () => {
    rejects('/Patient/%2e%2e/Observation', /percent-encoded/);
    rejects('/Patient/%2E%2E', /percent-encoded/);
    rejects('/Patient/%252e%252e/x', /percent-encoded/);
    rejects('/Patient%2F1', /percent-encoded/);
    rejects('/Patient/1%5c..', /percent-encoded/);
  });

  it('rejects backslashes, empty segments and matrix parameters', () => {
    rejects('/Patient\\..\\Observation', /backslash/);
    rejects('/Patient//1', /empty path segments/);
    rejects('/Patient;jsessionid=x/1', /matrix/);
    rejects('/Patient/1;v=2', /matrix/);
  });

  it('rejects control characters and invalid encodings', () => {
    rejects('/Patient/%zz', /invalid percent-encoding/);
    rejects('/Patient/a b', /not allowed/);
    rejects('/Patient/\u0000', /not allowed/);
  });
});
