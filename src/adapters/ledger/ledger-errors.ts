/**
 * Turns what ethers throws into CustosErrors the API can show: a contract's custom error (decoded
 * from the revert data with the contract's ABI) becomes the code and message that say what to fix;
 * an unreachable node becomes LEDGER_UNAVAILABLE (503, fail closed). Messages name grant ids,
 * accounts and numbers, never pseudonyms or anything derived from a patient, and never the RPC URL
 * (it may carry an API key).
 */
import { type ErrorDescription, type Interface, isCallException, isError } from 'ethers';
import { CustosError, type CustosErrorCode } from '../../errors.js';
import { roleName as role } from './roles.js';

type Args = ErrorDescription['args'];
type Rule = readonly [CustosErrorCode, (args: Args) => string];

/** One entry per custom error of the contracts (contracts/*.sol). */
const RULES: Record<string, Rule> = {
  NotAdmin: ['FORBIDDEN', (a) => `account ${a[0]} is not the contract admin; only the admin manages roles`],
  MissingRole: ['FORBIDDEN', (a) => `account ${a[1]} lacks the ${role(a[0])} role on the contract`],
  UnknownRole: ['INVALID_REQUEST', (a) => `role ${role(a[0])} does not exist on this contract`],
  ZeroAddress: ['INVALID_REQUEST', () => 'the zero address cannot hold a role'],
  SignatureExpired: ['INVALID_REQUEST', (a) => `the signature expired at ${a[0]} (chain time ${a[1]}); sign again with a later deadline`],
  // FORBIDDEN like WrongSigner (pinned in the conformance suite): either way the signature does not authorise it.
  InvalidSignature: ['FORBIDDEN', () => 'the signature is malformed or invalid (expected 65 bytes r‖s‖v, low s, v 27 or 28)'],
  WrongSigner: ['FORBIDDEN', (a) => `the signature was not made by ${a[0]} (it recovers to ${a[1]}); sign the exact typed data with that account`],
  InvalidNonce: ['CONFLICT', (a) => `nonce ${a[2]} of ${a[0]} is used or out of order (the contract expects ${a[1]}); sign again with the current nonce`],
  InvalidPseudonym: ['INVALID_REQUEST', () => 'subject and grantee must be non-zero pseudonyms'],
  InvalidEffect: ['INVALID_REQUEST', (a) => `effect ${a[0]} is neither permit (0) nor deny (1)`],
  EmptyScope: ['INVALID_REQUEST', () => 'a grant needs at least one resource type, one action and one purpose'],
  ActionsOutOfRange: ['INVALID_REQUEST', (a) => `actions bitmask ${a[0]} has bits beyond the 8 the registry stores`],
  InvalidWindow: ['INVALID_REQUEST', (a) => `notAfter (${a[1]}) must be later than notBefore (${a[0]})`],
  WindowInPast: ['INVALID_REQUEST', (a) => `notAfter (${a[0]}) is not in the future (chain time ${a[1]})`],
  SubjectBoundToOtherAccount: ['FORBIDDEN', (a) => `this patient's grants must be signed by account ${a[1]}, bound at her first signed grant`],
  BindingNeedsRegistrar: ['FORBIDDEN', (a) => `account ${a[0]} cannot relay a patient's first signed grant: binding her account to her subject needs a registrar (the gateway that authenticated her)`],
  NotSubjectAccount: ['FORBIDDEN', (a) => `account ${a[1]} is not the patient account of grant ${a[0]}'s subject`],
  UnknownGrant: ['NOT_FOUND', (a) => `grant ${a[0]} does not exist`],
  AlreadyRevoked: ['CONFLICT', (a) => `grant ${a[0]} was already revoked (at ${a[1]})`],
  TreeSizeNotIncreasing: ['CONFLICT', (a) => `tree size ${a[1]} is not larger than the latest anchored size ${a[0]}`],
  EmptyRoot: ['INVALID_REQUEST', () => 'a checkpoint root cannot be zero'],
  CheckpointOutOfRange: ['NOT_FOUND', (a) => `no checkpoint at index ${a[0]} (there are ${a[1]})`],
};

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'TIMEOUT', 'NETWORK_ERROR', 'SERVER_ERROR', 'BAD_DATA',
]);

/**
 * @param what the action, for messages ("grant", "anchor a checkpoint").
 * @param iface the ABI of the contract that was called, to decode its custom errors.
 */
export function toLedgerError(error: unknown, what: string, iface?: Interface): CustosError {
  if (error instanceof CustosError) return error;
  const data = revertData(error);
  if (data && iface) {
    const decoded = safeParseError(iface, data);
    const rule = decoded && RULES[decoded.name];
    if (decoded && rule) {
      return new CustosError(rule[0], `cannot ${what}: ${rule[1](decoded.args)}`, { ledgerError: decoded.name }, { cause: error });
    }
  }
  if (isCallException(error)) {
    return new CustosError('LEDGER_UNAVAILABLE', `cannot ${what}: the contract call reverted without a known reason (is the deployment record for this chain?)`, undefined, { cause: error });
  }
  const code = errorCode(error);
  if (isError(error, 'INSUFFICIENT_FUNDS')) {
    return new CustosError('LEDGER_UNAVAILABLE', `cannot ${what}: the gateway's chain account cannot pay for gas`, undefined, { cause: error });
  }
  if (isError(error, 'INVALID_ARGUMENT')) {
    return new CustosError('INVALID_REQUEST', `cannot ${what}: invalid ${String((error as { argument?: unknown }).argument ?? 'argument')}`, undefined, { cause: error });
  }
  if (code && NETWORK_CODES.has(code)) {
    return new CustosError('LEDGER_UNAVAILABLE', `cannot ${what}: the chain node is unreachable or failed (${code})`, undefined, { cause: error });
  }
  return new CustosError('LEDGER_UNAVAILABLE', `cannot ${what}: the chain node answered with an unexpected error${code ? ` (${code})` : ''}`, undefined, { cause: error });
}

/** Revert data sits on the error itself (ethers CALL_EXCEPTION) or on the JSON-RPC error it wraps. */
function revertData(error: unknown): string | undefined {
  const candidates = [error, get(error, 'error'), get(get(error, 'info'), 'error'), get(get(error, 'error'), 'error')];
  for (const candidate of candidates) {
    const data = get(candidate, 'data');
    if (typeof data === 'string' && /^0x[0-9a-fA-F]{8}/.test(data)) return data;
  }
  return undefined;
}

function safeParseError(iface: Interface, data: string): ErrorDescription | null {
  try {
    return iface.parseError(data);
  } catch {
    return null;
  }
}

/** ethers' code, or the Node/undici code of the cause (ECONNREFUSED arrives unwrapped). */
function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = get(e, 'cause'), depth++) {
    const code = get(e, 'code');
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function get(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}
