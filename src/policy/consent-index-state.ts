/**
 * The consent index's state as JSON, and its validation on the way back in.
 *
 * Compact on purpose: a snapshot of 250,000 grants is what a replica loads from Redis when it
 * starts, so each grant is one tuple, and what many grants repeat (grantees, recorders, block
 * hashes) is listed once and referred to by position. Bigints travel as 0x-hex (JSON has none).
 *
 * A snapshot is read from a store other replicas write to, so it is parsed like any untrusted
 * input: every field checked, every reference in range, ids unique.
 */
import { CustosError } from '../errors.js';
import type { ChainPosition, ConsentEvent } from './consent-model.js';
import { hexToMask, isBytes32, isGrantId, isUint, maskToHex } from './consent-checks.js';

type RecordedGrant = Extract<ConsentEvent, { kind: 'granted' }>['grant'];

/** [index into `blocks`, transaction hash, log index] */
export type SerializedPosition = readonly [number, string, number];

/**
 * [id, subject, grantee (index into `grantees`), effect (0 permit, 1 deny), resourceTypes (hex),
 *  actions (hex), purposes (hex), notBefore, notAfter, policyHash ('' for none: 0x00…00),
 *  recordedBy (index into `recorders`), via (0 registrar, 1 patient-signature), granted,
 *  revoked (or null)]
 */
export type SerializedGrant = readonly [
  string, string, number, 0 | 1, string, string, string, number, number, string, number, 0 | 1,
  SerializedPosition, SerializedPosition | null,
];

export interface ConsentIndexState {
  /** 2: the compact form (1, one object per grant, is refused: the indexer then replays the chain). */
  readonly version: 2;
  readonly grantees: readonly string[];
  readonly recorders: readonly string[];
  /** [block number, block hash] */
  readonly blocks: ReadonlyArray<readonly [number, string]>;
  /** In chain order of their grant events. */
  readonly grants: readonly SerializedGrant[];
}

const ZERO32 = '0x' + '00'.repeat(32);

/** Assigns each distinct key a position in `list`, once. */
function table<K>(): { list: K[]; at(key: K): number } {
  const list: K[] = [];
  const positions = new Map<K, number>();
  return {
    list,
    at(key) {
      let at = positions.get(key);
      if (at === undefined) positions.set(key, (at = list.push(key) - 1));
      return at;
    },
  };
}

export function serializeIndexState(grants: Iterable<{ readonly grant: RecordedGrant; readonly revoked: ChainPosition | undefined }>): ConsentIndexState {
  const grantees = table<string>();
  const recorders = table<string>();
  const blocks = table<string>();
  const blockNumbers: number[] = [];
  const position = (p: ChainPosition): SerializedPosition => {
    const at = blocks.at(p.blockHash);
    blockNumbers[at] = p.blockNumber;
    return [at, p.transactionHash, p.logIndex];
  };
  const out: SerializedGrant[] = [];
  for (const { grant: g, revoked } of grants) {
    out.push([
      g.id, g.subject, grantees.at(g.grantee), g.effect === 'deny' ? 1 : 0,
      maskToHex(g.resourceTypes), maskToHex(g.actions), maskToHex(g.purposes), g.notBefore, g.notAfter,
      g.policyHash === ZERO32 ? '' : g.policyHash, recorders.at(g.recordedBy), g.via === 'patient-signature' ? 1 : 0,
      position(g.granted), revoked ? position(revoked) : null,
    ]);
  }
  return {
    version: 2,
    grantees: grantees.list,
    recorders: recorders.list,
    blocks: blocks.list.map((hash, i) => [blockNumbers[i]!, hash] as const),
    grants: out,
  };
}

function malformed(where: string): CustosError {
  return new CustosError('INTERNAL', `consent index snapshot is malformed at ${where}`);
}

export interface ParsedGrant {
  readonly grant: RecordedGrant;
  readonly revoked: ChainPosition | undefined;
}

/** Validates a serialized index state; returns its grants in chain order. Throws CustosError('INTERNAL'). */
export function parseConsentIndexState(value: unknown): ParsedGrant[] {
  if (typeof value !== 'object' || value === null) throw malformed('the root');
  const state = value as Record<string, unknown>;
  if (state.version !== 2) throw malformed('version (expected 2)');
  const { grantees, recorders, blocks, grants } = state;
  if (!Array.isArray(grantees) || !grantees.every(isBytes32)) throw malformed('grantees');
  if (!Array.isArray(recorders) || !recorders.every((r) => typeof r === 'string' && r.length <= 128)) throw malformed('recorders');
  if (!Array.isArray(blocks) || !blocks.every((b) => Array.isArray(b) && b.length === 2 && isUint(b[0]) && isBytes32(b[1]))) throw malformed('blocks');
  if (!Array.isArray(grants)) throw malformed('grants');

  const position = (p: unknown, where: string): ChainPosition => {
    if (!Array.isArray(p) || p.length !== 3 || !isUint(p[0]) || p[0] >= blocks.length || !isBytes32(p[1]) || !isUint(p[2])) throw malformed(where);
    const [blockNumber, blockHash] = blocks[p[0]] as [number, string];
    return { blockNumber, blockHash, transactionHash: p[1], logIndex: p[2] };
  };
  const seen = new Set<string>();
  return grants.map((raw: unknown, i): ParsedGrant => {
    const where = `grants[${i}]`;
    if (!Array.isArray(raw) || raw.length !== 14) throw malformed(where);
    const [id, subject, grantee, effect, types, actions, purposes, notBefore, notAfter, policyHash, recorder, via, granted, revoked] = raw as unknown[];
    const resourceTypes = hexToMask(types);
    const actionMask = hexToMask(actions);
    const purposeMask = hexToMask(purposes);
    if (
      !isGrantId(id) || seen.has(id) || !isBytes32(subject) ||
      !isUint(grantee) || grantee >= grantees.length || (effect !== 0 && effect !== 1) ||
      resourceTypes === null || actionMask === null || purposeMask === null ||
      !isUint(notBefore) || !isUint(notAfter) || (policyHash !== '' && !isBytes32(policyHash)) ||
      !isUint(recorder) || recorder >= recorders.length || (via !== 0 && via !== 1)
    ) {
      throw malformed(where);
    }
    seen.add(id);
    const grant: RecordedGrant = {
      id,
      subject,
      grantee: grantees[grantee] as string,
      effect: effect === 1 ? 'deny' : 'permit',
      resourceTypes,
      actions: actionMask,
      purposes: purposeMask,
      notBefore,
      notAfter,
      policyHash: policyHash === '' ? ZERO32 : (policyHash as string),
      recordedBy: recorders[recorder] as string,
      via: via === 1 ? 'patient-signature' : 'registrar',
      granted: position(granted, `${where} (granted)`),
    };
    return { grant, revoked: revoked === null ? undefined : position(revoked, `${where} (revoked)`) };
  });
}
