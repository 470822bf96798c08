/**
 * Shape checks for values that cross a trust boundary into the consent core: grant requests (the
 * memory ledger applies the ConsentRegistry's rules with them) and snapshots read back from a
 * shared store. Plain predicates, so each caller picks its own error code and message.
 */
import type { ChainPosition } from './consent-model.js';

const ZERO32 = '0x' + '0'.repeat(64);
const UINT256_LIMIT = 1n << 256n;
/** uint64 on chain; JS numbers are exact up to 2^53, far beyond any real timestamp. */
const MAX_TIME = Number.MAX_SAFE_INTEGER;

/**
 * 0x + 64 lower-case hex digits (the canonical form the adapters produce). A loop, not a regex:
 * restoring a snapshot checks a million of these, and this is several times faster.
 */
export function isBytes32(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 66 || value.charCodeAt(0) !== 48 || value.charCodeAt(1) !== 120) return false;
  for (let i = 2; i < 66; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || (c > 57 && c < 97) || c > 102) return false;
  }
  return true;
}

export function isZero32(value: string): boolean {
  return value === ZERO32;
}

export function isUint256(value: unknown): value is bigint {
  return typeof value === 'bigint' && value >= 0n && value < UINT256_LIMIT;
}

/** A non-negative safe integer: block numbers, log indexes, unix seconds. */
export function isUint(value: unknown, max = MAX_TIME): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= max;
}

/** A uint256 grant id in its decimal form, without leading zeros. */
export function isGrantId(value: unknown): value is string {
  return typeof value === 'string' && /^(0|[1-9][0-9]{0,77})$/.test(value);
}

export function isChainPosition(value: unknown): value is ChainPosition {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  return isUint(p.blockNumber) && isBytes32(p.blockHash) && isBytes32(p.transactionHash) && isUint(p.logIndex);
}

/** Masks travel through JSON as 0x-prefixed lower-case hex (bigints are not JSON). */
export function maskToHex(mask: bigint): string {
  return '0x' + mask.toString(16);
}

export function hexToMask(value: unknown): bigint | null {
  if (typeof value !== 'string' || !/^0x[0-9a-f]{1,64}$/.test(value)) return null;
  return BigInt(value);
}
