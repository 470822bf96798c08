/** The CustosError a promise rejects with (fails the test when it resolves or rejects with anything else). */
import assert from 'node:assert/strict';
import { CustosError } from '../../src/errors.js';

export async function custosRejection(promise: Promise<unknown>): Promise<CustosError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CustosError, `expected a CustosError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}
