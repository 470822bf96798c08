/**
 * The ConsentRegistry's rules for a new grant (contracts/ConsentRegistry.sol `_record`), in
 * TypeScript: the memory ledger enforces them so unit tests see what the chain would do, and the
 * ethers adapter can run them before sending a transaction to fail fast with a clear message
 * instead of a revert. Keep the two in step; the ledger conformance suite checks both.
 */
import { CustosError } from '../errors.js';
import type { GrantInput } from './consent-model.js';
import { isBytes32, isUint, isUint256, isZero32 } from './consent-checks.js';

/** Throws CustosError('INVALID_REQUEST') naming the first rule `input` breaks at block time `nowSeconds`. */
export function checkGrantInput(input: GrantInput, nowSeconds: number): void {
  const invalid = (message: string): never => {
    throw new CustosError('INVALID_REQUEST', message);
  };
  if (!isBytes32(input.subject) || isZero32(input.subject)) invalid('subject must be a non-zero bytes32 pseudonym');
  if (!isBytes32(input.grantee) || isZero32(input.grantee)) invalid('grantee must be a non-zero bytes32 pseudonym');
  if (!isBytes32(input.policyHash)) invalid('policyHash must be a bytes32 (0x00…00 when there is no policy document)');
  if (input.effect !== 'permit' && input.effect !== 'deny') invalid('effect must be "permit" or "deny"');
  for (const field of ['resourceTypes', 'actions', 'purposes'] as const) {
    if (!isUint256(input[field])) invalid(`${field} must be a uint256 bitmask`);
    if (input[field] === 0n) invalid(`${field} must not be empty: a grant with an empty scope matches nothing`);
  }
  if (input.actions > 0xffn) invalid('actions has bits beyond the uint8 the registry stores');
  if (!isUint(input.notBefore) || !isUint(input.notAfter)) invalid('notBefore and notAfter must be unix seconds (0 = unbounded)');
  if (input.notBefore !== 0 && input.notAfter !== 0 && input.notAfter <= input.notBefore) {
    invalid('notAfter must be later than notBefore');
  }
  if (input.notAfter !== 0 && input.notAfter <= nowSeconds) invalid('notAfter is in the past: the grant would never apply');
}
