/**
 * The consent index: the in-memory view of the ConsentRegistry's state, built by applying its
 * events in chain order, that answers each consent decision without leaving the process (a Redis
 * GET is ≈ 45 µs; a decision here is well under a microsecond, see bench/consent-index-bench.ts).
 *
 * Hot-path layout, chosen by measurement (bench/consent-index-bench.ts; on these VMs a cache miss
 * costs 150–300 ns, so the count of dependent memory accesses is what matters): one Map lookup by
 * subject gives its first active grant, and the active grants form a linked list in chain order.
 * Each grant's uint256 scope masks are compiled once, at apply time, into 32-bit words held as
 * plain number fields of the grant object, so a decision tests three bits with integer ANDs and
 * no bigint; time bounds are plain numbers (notAfter 0 becomes Infinity); pseudonyms are stored as
 * flat strings; answers are preallocated, so deciding allocates nothing. (An Int32Array per grant
 * and an array per subject cost three times as much: each is one more object to fetch.)
 *
 * Rules (ConsentModel in consent-model.ts): a grant matches when its subject is the query's, its
 * grantee is one of query.grantees, the type/action/purpose bits are set, and
 * notBefore ≤ now < notAfter. A matching deny wins over any permit; otherwise a matching permit
 * permits; otherwise opt-in denies and opt-out permits.
 */
import { CustosError } from '../errors.js';
import { CONSENT_ACTIONS, CONSENT_PURPOSES, CONSENT_RESOURCE_TYPES } from './consent-codes.js';
import type {
  Bytes32,
  ChainPosition,
  ConsentAnswer,
  ConsentEvent,
  ConsentGrant,
  ConsentModel,
  ConsentQuery,
} from './consent-model.js';
import { isBytes32 } from './consent-checks.js';
import { parseConsentIndexState, serializeIndexState, type ConsentIndexState } from './consent-index-state.js';

type RecordedGrant = Extract<ConsentEvent, { kind: 'granted' }>['grant'];

// The compiled layout holds resource types in three 32-bit words and actions and purposes in one
// each. The code lists are append-only; this fails at load time, not silently, when one outgrows it.
if (CONSENT_RESOURCE_TYPES.length > 96 || CONSENT_ACTIONS.length > 32 || CONSENT_PURPOSES.length > 32) {
  throw new Error('consent-index.ts: a consent code list outgrew the compiled mask words; add words');
}

const DENY = 1;
const SUSPENDED = 2;

const word = (mask: bigint, index: number): number => Number(BigInt.asIntN(32, mask >> BigInt(32 * index)));

/**
 * One grant, compiled for the hot path, and its history. Field order matters: V8 lays fields out
 * in this order, so what a decision reads shares the object's first cache lines.
 */
class GrantRecord {
  /** The subject's next active grant in chain order (a linked list costs one memory access per grant). */
  next: GrantRecord | null = null;
  readonly types0: number;
  readonly types1: number;
  readonly types2: number;
  readonly actions: number;
  readonly purposes: number;
  readonly notBefore: number;
  /** notAfter, or Infinity when unbounded. */
  readonly notAfter: number;
  readonly grantee: Bytes32;
  /** DENY | SUSPENDED. */
  flags: number;
  readonly answer: ConsentAnswer;
  // Cold: bookkeeping and history.
  prev: GrantRecord | null = null;
  revoked: ChainPosition | undefined = undefined;
  readonly grant: RecordedGrant;
  /** Apply order: keeps chain order when an undone revocation puts a grant back. */
  readonly seq: number;

  constructor(grant: RecordedGrant, grantee: Bytes32, seq: number, suspended: boolean) {
    for (const mask of [grant.resourceTypes, grant.actions, grant.purposes]) {
      if (mask < 0n) throw inconsistent(`grant ${grant.id} has a negative scope mask`);
    }
    this.types0 = word(grant.resourceTypes, 0);
    this.types1 = word(grant.resourceTypes, 1);
    this.types2 = word(grant.resourceTypes, 2);
    this.actions = word(grant.actions, 0);
    this.purposes = word(grant.purposes, 0);
    this.notBefore = grant.notBefore;
    this.notAfter = grant.notAfter === 0 ? Infinity : grant.notAfter;
    this.grantee = grantee;
    this.flags = (grant.effect === 'deny' ? DENY : 0) | (suspended ? SUSPENDED : 0);
    this.answer = Object.freeze(
      grant.effect === 'deny'
        ? { permitted: false, grantId: grant.id, rule: 'denial' }
        : { permitted: true, grantId: grant.id, rule: 'grant' },
    );
    this.grant = grant;
    this.seq = seq;
  }
}

interface SubjectEntry {
  /** The subject, as a flat string: the key of both maps. */
  readonly key: Bytes32;
  /** Every grant, revoked ones included, in chain order: what grantsOf() shows. */
  readonly all: GrantRecord[];
  /** The last active grant (the head lives in ConsentIndex.heads, the hot map). */
  tail: GrantRecord | null;
}

const NO_GRANT: ConsentAnswer = Object.freeze({ permitted: false, grantId: null, rule: 'no-grant' });
const OPT_OUT_DEFAULT: ConsentAnswer = Object.freeze({ permitted: true, grantId: null, rule: 'opt-out-default' });

function inconsistent(message: string): CustosError {
  // The events contradict the state built so far: a wrong startBlock, a buggy adapter or a
  // corrupted snapshot. Refuse, so the indexer stops advancing and goes stale (fail closed).
  return new CustosError('INTERNAL', `consent index: ${message}`);
}

function isBit(value: number, limit: number): boolean {
  return (value | 0) === value && value >= 0 && value < limit;
}

/**
 * A flat copy of a pseudonym. Strings built by concatenation (ethers' hex encoding, `'0x' + hex`)
 * are ropes in V8; comparing one walks its pieces, scattered in memory. Keys and grantees are
 * stored flat, and each distinct grantee once.
 */
function flat(value: Bytes32): Bytes32 {
  return Buffer.from(value, 'latin1').toString('latin1');
}

export class ConsentIndex {
  /** subject → its first active grant: the only map a decision touches. */
  private readonly heads = new Map<Bytes32, GrantRecord>();
  private readonly subjects = new Map<Bytes32, SubjectEntry>();
  private readonly byId = new Map<string, GrantRecord>();
  private readonly grantees = new Map<Bytes32, Bytes32>();
  private suspendedIds: ReadonlySet<string> = new Set();
  private nextSeq = 0;

  /** How many grants the index holds, revoked ones included. */
  get size(): number {
    return this.byId.size;
  }

  /** Applies the next event in chain order. Throws (changing nothing) when it contradicts the state. */
  apply(event: ConsentEvent): void {
    if (event.kind === 'granted') {
      const grant = event.grant;
      if (this.byId.has(grant.id)) throw inconsistent(`grant ${grant.id} was recorded twice`);
      if (!isBytes32(grant.subject) || !isBytes32(grant.grantee)) throw inconsistent(`grant ${grant.id} has a malformed pseudonym`);
      const record = new GrantRecord(grant, this.internGrantee(grant.grantee), this.nextSeq++, this.suspendedIds.has(grant.id));
      this.byId.set(grant.id, record);
      let entry = this.subjects.get(grant.subject);
      if (entry === undefined) {
        const key = flat(grant.subject);
        this.subjects.set(key, (entry = { key, all: [], tail: null }));
      }
      entry.all.push(record);
      this.link(entry, record, entry.tail);
      return;
    }
    const record = this.byId.get(event.grantId);
    if (record === undefined) throw inconsistent(`grant ${event.grantId} was revoked but never recorded`);
    if (record.revoked !== undefined) throw inconsistent(`grant ${event.grantId} was revoked twice`);
    if (record.grant.subject !== event.subject) throw inconsistent(`grant ${event.grantId} was revoked under another subject`);
    record.revoked = event.position;
    this.unlink(record);
  }

  /**
   * Undoes `event`, which must be the most recent event applied and not yet undone (the indexer
   * rewinds a dropped fork by undoing its events newest first).
   */
  unapply(event: ConsentEvent): void {
    if (event.kind === 'granted') {
      const record = this.byId.get(event.grant.id);
      if (record === undefined || record.revoked !== undefined) throw inconsistent(`cannot undo grant ${event.grant.id}`);
      this.unlink(record);
      this.byId.delete(event.grant.id);
      const entry = this.subjects.get(record.grant.subject)!;
      entry.all.splice(entry.all.lastIndexOf(record), 1);
      if (entry.all.length === 0) this.subjects.delete(record.grant.subject);
      return;
    }
    const record = this.byId.get(event.grantId);
    if (record === undefined || record.revoked === undefined) throw inconsistent(`cannot undo the revocation of ${event.grantId}`);
    record.revoked = undefined;
    const entry = this.subjects.get(record.grant.subject)!;
    let after = entry.tail;
    while (after !== null && after.seq > record.seq) after = after.prev;
    this.link(entry, record, after);
  }

  /**
   * Marks grants whose revocation is on chain but not yet confirmed: they stop matching now (a
   * revocation should bite as early as possible), and match again if that block is dropped.
   * Replaces the previous set.
   */
  suspend(grantIds: Iterable<string>): void {
    for (const id of this.suspendedIds) {
      const record = this.byId.get(id);
      if (record !== undefined) record.flags &= ~SUSPENDED;
    }
    const next = new Set(grantIds);
    for (const id of next) {
      const record = this.byId.get(id);
      if (record !== undefined) record.flags |= SUSPENDED;
    }
    this.suspendedIds = next;
  }

  /** The hot path. Throws CustosError('INTERNAL') on a malformed query (a caller bug), never guesses. */
  decide(query: ConsentQuery, model: ConsentModel): ConsentAnswer {
    const typeBit = query.resourceTypeBit;
    const actionBit = query.actionBit;
    const purposeBit = query.purposeBit;
    const now = query.now;
    if (
      !isBit(typeBit, CONSENT_RESOURCE_TYPES.length) ||
      !isBit(actionBit, CONSENT_ACTIONS.length) ||
      !isBit(purposeBit, CONSENT_PURPOSES.length) ||
      !(now >= 0)
    ) {
      throw new CustosError('INTERNAL', 'consent query has a scope bit out of range or an invalid time');
    }
    let permit: GrantRecord | null = null;
    let g: GrantRecord | null = this.heads.get(query.subject) ?? null;
    if (g !== null) {
      const typeWord = typeBit >>> 5;
      const typeMask = 1 << (typeBit & 31);
      const actionMask = 1 << actionBit;
      const purposeMask = 1 << purposeBit;
      const grantees = query.grantees;
      for (; g !== null; g = g.next) {
        const types = typeWord === 0 ? g.types0 : typeWord === 1 ? g.types1 : g.types2;
        if ((types & typeMask) === 0 || (g.actions & actionMask) === 0 || (g.purposes & purposeMask) === 0) continue;
        if (now < g.notBefore || now >= g.notAfter || (g.flags & SUSPENDED) !== 0) continue;
        let granted = false;
        for (let j = 0; j < grantees.length; j++) {
          if (grantees[j] === g.grantee) {
            granted = true;
            break;
          }
        }
        if (!granted) continue;
        if ((g.flags & DENY) !== 0) return g.answer;
        if (permit === null) permit = g;
      }
    }
    if (permit !== null) return permit.answer;
    // Anything but an explicit opt-out is treated as opt-in: an unknown model denies.
    return model === 'opt-out' ? OPT_OUT_DEFAULT : NO_GRANT;
  }

  /** Every grant about a subject, revoked ones included, in chain order. */
  grantsOf(subject: Bytes32): ConsentGrant[] {
    return (this.subjects.get(subject)?.all ?? []).map(toConsentGrant);
  }

  /** One grant with its history (granted, and revoked when it was), or undefined. */
  grant(id: string): ConsentGrant | undefined {
    const record = this.byId.get(id);
    return record && toConsentGrant(record);
  }

  /** A JSON-safe copy of the state (bigints as hex), grants in chain order. */
  serialize(): ConsentIndexState {
    return serializeIndexState(this.byId.values());
  }

  /** Rebuilds an index from serialize()'s output, validating it first (it may come from a shared store). */
  static restore(state: unknown): ConsentIndex {
    const index = new ConsentIndex();
    for (const { grant, revoked } of parseConsentIndexState(state)) {
      index.apply({ kind: 'granted', grant, position: grant.granted });
      if (revoked) index.apply({ kind: 'revoked', grantId: grant.id, subject: grant.subject, position: revoked });
    }
    return index;
  }

  private internGrantee(grantee: Bytes32): Bytes32 {
    let shared = this.grantees.get(grantee);
    if (shared === undefined) this.grantees.set(grantee, (shared = flat(grantee)));
    return shared;
  }

  /** Puts an active grant in its subject's list right after `after` (null: first). */
  private link(entry: SubjectEntry, record: GrantRecord, after: GrantRecord | null): void {
    const next = after === null ? (this.heads.get(entry.key) ?? null) : after.next;
    record.prev = after;
    record.next = next;
    if (next === null) entry.tail = record;
    else next.prev = record;
    if (after === null) this.heads.set(entry.key, record);
    else after.next = record;
  }

  /** Takes an active grant out of its subject's list. */
  private unlink(record: GrantRecord): void {
    const entry = this.subjects.get(record.grant.subject)!;
    const { prev, next } = record;
    if (next === null) entry.tail = prev;
    else next.prev = prev;
    if (prev !== null) prev.next = next;
    else if (next !== null) this.heads.set(entry.key, next);
    else this.heads.delete(entry.key);
    record.prev = null;
    record.next = null;
  }
}

function toConsentGrant(record: GrantRecord): ConsentGrant {
  return record.revoked === undefined
    ? { ...record.grant, status: 'active' }
    : { ...record.grant, status: 'revoked', revoked: record.revoked };
}
