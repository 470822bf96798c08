/**
 * The embedded audit store's in-memory indexes, rebuilt from `events.log` on open and extended on
 * every append. Positions are places in the file (the n-th readable record), which is what the
 * store serves as leaf index n: the index a record *claims* stays on disk for the verifier to check.
 *
 * Kept compact because a long-running gateway holds millions of events: per position a file
 * offset, a length, the recorded time, outcome and break-glass flag in typed arrays (~22 bytes),
 * the leaf hash in one growable buffer (32 bytes, so `leaves()` is a memcpy), and posting lists
 * (sorted position arrays) for patients and for actors/client ids. About 60 bytes per event plus
 * the posting lists; nothing of the canonical event is kept.
 */
import type { AuditSearch } from '../../audit/store.js';

/** The facts an entry is indexed by. */
export interface EntryFacts {
  readonly recorded: number;
  readonly outcome: number;
  readonly breakGlass: boolean;
  readonly patients: readonly string[];
  readonly actor: string | null;
  readonly clientId: string | null;
}

function grown<T extends Float64Array | Uint32Array | Uint8Array>(array: T, size: number, make: (n: number) => T): T {
  if (size <= array.length) return array;
  const next = make(Math.max(size, array.length * 2));
  next.set(array);
  return next;
}

/** First position in the sorted `list` that is >= `value`. */
function lowerBound(list: readonly number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function contains(list: readonly number[], value: number): boolean {
  const i = lowerBound(list, value);
  return i < list.length && list[i] === value;
}

export class FileAuditIndex {
  private size = 0;
  private offsets = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private recorded = new Float64Array(1024);
  private outcomes = new Uint8Array(1024);
  private breakGlass = new Uint8Array(1024);
  private hashes = Buffer.alloc(32 * 1024);
  private readonly patients = new Map<string, number[]>();
  private readonly actors = new Map<string, number[]>();

  /** How many records are indexed (sequenced or not). */
  get count(): number {
    return this.size;
  }

  /** Indexes the record at `offset` (`length` bytes); its leaf hash is copied from `hash[hashAt..+32]`. */
  add(offset: number, length: number, facts: EntryFacts, hash: Buffer, hashAt = 0): void {
    const p = this.size;
    const need = p + 1;
    if (need > this.offsets.length) {
      this.offsets = grown(this.offsets, need, (n) => new Float64Array(n));
      this.lengths = grown(this.lengths, need, (n) => new Uint32Array(n));
      this.recorded = grown(this.recorded, need, (n) => new Float64Array(n));
      this.outcomes = grown(this.outcomes, need, (n) => new Uint8Array(n));
      this.breakGlass = grown(this.breakGlass, need, (n) => new Uint8Array(n));
    }
    if (need * 32 > this.hashes.length) {
      const next = Buffer.alloc(Math.max(need * 32, this.hashes.length * 2));
      this.hashes.copy(next, 0, 0, p * 32);
      this.hashes = next;
    }
    this.offsets[p] = offset;
    this.lengths[p] = length;
    this.recorded[p] = facts.recorded;
    this.outcomes[p] = facts.outcome;
    this.breakGlass[p] = facts.breakGlass ? 1 : 0;
    hash.copy(this.hashes, p * 32, hashAt, hashAt + 32);
    for (const patient of facts.patients) post(this.patients, patient, p);
    if (facts.actor !== null) post(this.actors, facts.actor, p);
    if (facts.clientId !== null) post(this.actors, facts.clientId, p);
    this.size = need;
  }

  /** Forgets every position from `count` on (a torn tail cut off during recovery). */
  truncate(count: number): void {
    if (count >= this.size) return;
    for (const map of [this.patients, this.actors]) {
      for (const [key, list] of map) {
        while (list.length > 0 && list[list.length - 1]! >= count) list.pop();
        if (list.length === 0) map.delete(key);
      }
    }
    this.size = count;
  }

  offsetOf(position: number): number {
    return this.offsets[position]!;
  }

  lengthOf(position: number): number {
    return this.lengths[position]!;
  }

  /** The leaf hash at `position` (a view: copy before handing it out). */
  leafHash(position: number): Buffer {
    return this.hashes.subarray(position * 32, position * 32 + 32);
  }

  /** Copies of the leaf hashes of positions [from, to). */
  leafHashes(from: number, to: number): Buffer[] {
    if (to <= from) return [];
    const copy = Buffer.from(this.hashes.subarray(from * 32, to * 32));
    const out: Buffer[] = new Array<Buffer>(to - from);
    for (let i = 0; i < out.length; i++) out[i] = copy.subarray(i * 32, i * 32 + 32);
    return out;
  }

  /**
   * Positions below `visible` matching every criterion of `filter`, increasing, at most `limit`.
   * The posting lists narrow the candidates; the typed arrays check the rest.
   */
  select(filter: AuditSearch, visible: number, limit: number): number[] {
    const start = filter.afterIndex === undefined ? 0 : Math.max(0, Math.floor(filter.afterIndex) + 1);
    const lists: number[][] = [];
    for (const [key, map] of [[filter.patient, this.patients], [filter.actor, this.actors]] as const) {
      if (key === undefined) continue;
      const list = map.get(key);
      if (!list) return [];
      lists.push(list);
    }
    lists.sort((a, b) => a.length - b.length);
    const matches = (p: number): boolean =>
      (filter.from === undefined || this.recorded[p]! >= filter.from) &&
      (filter.to === undefined || this.recorded[p]! < filter.to) &&
      (filter.outcome === undefined || this.outcomes[p] === filter.outcome) &&
      (filter.breakGlass === undefined || (this.breakGlass[p] === 1) === filter.breakGlass);

    const found: number[] = [];
    const [driver, ...others] = lists;
    if (driver) {
      for (let i = lowerBound(driver, start); i < driver.length && found.length < limit; i++) {
        const p = driver[i]!;
        if (p >= visible) break;
        if (others.every((list) => contains(list, p)) && matches(p)) found.push(p);
      }
    } else {
      for (let p = start; p < visible && found.length < limit; p++) if (matches(p)) found.push(p);
    }
    return found;
  }
}

function post(map: Map<string, number[]>, key: string, position: number): void {
  const list = map.get(key);
  if (!list) map.set(key, [position]);
  else if (list[list.length - 1] !== position) list.push(position);
}
