import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { locateJsonError, parseJsonBody } from '../../src/fhir/json-body.js';

describe('JSON request bodies', () => {
  it('parses valid JSON', () => {
    assert.deepEqual(parseJsonBody(Buffer.from('{"resourceType":"Patient"}')), { resourceType: 'Patient' });
  });

  it('reports line, column and offset of the error, and nothing of the body', () => {
    const body = '{\n  "resourceType": "Patient",\n  "name": [{"family": Smith}]\n}';
    assert.throws(() => parseJsonBody(Buffer.from(body)), (e: { code: string; message: string; details: Record<string, number> }) => {
      assert.equal(e.code, 'MALFORMED_JSON');
      assert.deepEqual(e.details, { offset: body.indexOf('Smith'), line: 3, column: 23 });
      assert.ok(!e.message.includes('Smith'), 'the message must not quote the body');
      return true;
    });
  });

  it('locates errors exactly as a strict JSON parser would', () => {
    const cases: Array<[string, number]> = [
      ['{"a": x}', 6], ['{"a": 1,,}', 8], ['{"a": 1', 7], ['', 0], ['[1, 2', 5], ['{"a": "\u0001"}', 7],
      ['{"a": tru}', 9], ['{"a": 01}', 7], ['{"a": 1} x', 9], ['{"a\\q": 1}', 4], ['{"a": "x"', 9],
    ];
    for (const [text, offset] of cases) {
      assert.throws(() => JSON.parse(text));
      assert.equal(locateJsonError(text), offset, text);
    }
  });
});
