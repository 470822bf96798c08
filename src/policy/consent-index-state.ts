/**
 * The consent index's state as JSON (bigints are not JSON: masks travel as 0x-hex), and its
 * validation on the way back in. A snapshot is read from a store other replicas write to, so it is
 * parsed like any untrusted input: every field checked, ids unique, nothing trusted by shape.
 */
import { CustosError } from '../errors.js';
import type { ChainPosition, ConsentGrant } from './consent-model.js';
import { hexToMask, isBytes32, isChainPosition, isGrantId, isUint, maskToHex } from './consent-checks.js';

export interface SerializedGrant {
  readonly id: string;
  readonly subject: string;
  readonly grantee: string;
  readonly effect: 'permit' | 'deny';
  readonly resourceTypes: string;
  readonly actions: string;
  readonly purposes: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly policyHash: string;
  readonly recordedBy: string;
  readonly via: 'patient-signature' | 'registrar';
  readonly granted: ChainPosition;
  readonly revoked?: ChainPosition;
}

export interface ConsentIndexState {
  readonly version: 1;
  /** In chain order of their grant events. */
  readonly grants: readonly SerializedGrant[];
}

export function serializeGrant(grant: ConsentGrant): SerializedGrant {
  return {
    id: grant.id,
    subject: grant.subject,
    grantee: grant.grantee,
    effect: grant.effect,
    resourceTypes: maskToHex(grant.resourceTypes),
    actions: maskToHex(grant.actions),
    purposes: maskToHex(grant.purposes),
    notBefore: grant.notBefore,
    notAfter: grant.notAfter,
    policyHash: grant.policyHash,
    recordedBy: grant.recordedBy,
    via: grant.via,
    granted: grant.granted,
    ...(grant.revoked && { revoked: grant.revoked }),
  };
}

function malformed(where: string): CustosError {
  return new CustosError('INTERNAL', `consent index snapshot is malformed at ${where}`);
}

function position(value: unknown, where: string): ChainPosition {
  if (!isChainPosition(value)) throw malformed(where);
  const { blockNumber, blockHash, transactionHash, logIndex } = value;
  return { blockNumber, blockHash, transactionHash, logIndex };
}

function parseGrant(value: unknown, where: string): ConsentGrant {
  if (typeof value !== 'object' || value === null) throw malformed(where);
  const g = value as Record<string, unknown>;
  const resourceTypes = hexToMask(g.resourceTypes);
  const actions = hexToMask(g.actions);
  const purposes = hexToMask(g.purposes);
  if (
    !isGrantId(g.id) ||
    !isBytes32(g.subject) ||
    !isBytes32(g.grantee) ||
    (g.effect !== 'permit' && g.effect !== 'deny') ||
    resourceTypes === null ||
    actions === null ||
    purposes === null ||
    !isUint(g.notBefore) ||
    !isUint(g.notAfter) ||
    !isBytes32(g.policyHash) ||
    typeof g.recordedBy !== 'string' ||
    g.recordedBy.length > 128 ||
    (g.via !== 'patient-signature' && g.via !== 'registrar')
  ) {
    throw malformed(where);
  }
  const granted = position(g.granted, `${where}.granted`);
  const common = {
    id: g.id,
    subject: g.subject,
    grantee: g.grantee,
    effect: g.effect,
    resourceTypes,
    actions,
    purposes,
    notBefore: g.notBefore,
    notAfter: g.notAfter,
    policyHash: g.policyHash,
    recordedBy: g.recordedBy,
    via: g.via,
    granted,
  } as const;
  if (g.revoked === undefined) return { ...common, status: 'active' };
  return { ...common, status: 'revoked', revoked: position(g.revoked, `${where}.revoked`) };
}

/** Validates a serialized index state and returns its grants in order; throws CustosError('INTERNAL'). */
export function parseConsentIndexState(value: unknown): ConsentGrant[] {
  if (typeof value !== 'object' || value === null) throw malformed('the root');
  const state = value as Record<string, unknown>;
  if (state.version !== 1) throw malformed('version (expected 1)');
  if (!Array.isArray(state.grants)) throw malformed('grants');
  const seen = new Set<string>();
  return state.grants.map((raw, i) => {
    const grant = parseGrant(raw, `grants[${i}]`);
    if (seen.has(grant.id)) throw malformed(`grants[${i}] (duplicate id)`);
    seen.add(grant.id);
    return grant;
  });
}
