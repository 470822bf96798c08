/** The CustosError a promise rejects with (fails the test when it resolves or rejects with anything else). */
import assert from 'node:assert/strict';
import { CustosError, type CustosErrorCode } from '../../src/errors.js';

export async function custosRejection(promise: Promise<unknown>): Promise<CustosError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CustosError, `expected a CustosError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

/** The promise rejects with a CustosError of this code. */
export async function rejectsWithCode(promise: Promise<unknown>, code: CustosErrorCode): Promise<void> {
  const error = await custosRejection(promise);
  assert.equal(error.code, code, error.message);
}
