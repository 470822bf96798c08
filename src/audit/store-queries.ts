/**
 * What every AuditStore answers alike, in one place: the records a batch may hold, index ranges,
 * the search page size, and checkpoint queries over a list kept in memory. (Each store used to
 * carry its own copy, and the copies differed in what they refused.)
 */
import { CustosError } from '../errors.js';
import type { AuditRecord, CheckpointQuery, CheckpointRecord } from './store.js';

const OUTCOMES = new Set([0, 4, 8, 12]);
// Lower case only: PostgreSQL hands a uuid back in lower case, and the verifier compares the id as text.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The latest instant a JavaScript Date can hold (every store can keep it). */
const MAX_TIME = 8.64e15;

/**
 * Refuses a batch holding a record no store can keep as given (a caller bug), before anything of it
 * is stored; names the record and the field, never a value.
 */
export function checkBatch(batch: readonly AuditRecord[]): void {
  batch.forEach((record, i) => {
    const bad = (what: string): never => {
      throw new CustosError('INVALID_REQUEST', `audit record ${i} of the batch: ${what}`);
    };
    if (!Buffer.isBuffer(record.canonical)) bad('canonical must be a Buffer');
    if (!Buffer.isBuffer(record.leafHash) || record.leafHash.length !== 32) bad('leafHash must be 32 bytes');
    const f = record.facts;
    if (typeof f.eventId !== 'string' || !UUID.test(f.eventId)) bad('eventId must be a UUID in lower case');
    if (typeof f.requestId !== 'string') bad('requestId must be a string');
    if (!OUTCOMES.has(f.outcome)) bad('outcome must be 0, 4, 8 or 12');
    if (!(f.recorded >= 0 && f.recorded <= MAX_TIME)) bad('recorded must be milliseconds since 1970 a Date can hold');
    if (!Array.isArray(f.patients) || f.patients.some((p) => typeof p !== 'string')) bad('patients must be an array of strings');
  });
}

/** The largest page a search returns. */
export const MAX_SEARCH = 1000;

/** [from, to) as integers within [0, size): fractions rounded inwards, NaN and negatives to 0. */
export function clampRange(from: number, to: number, size = Number.MAX_SAFE_INTEGER): [number, number] {
  const start = Math.max(0, Math.ceil(Number.isFinite(from) ? from : 0));
  const end = Math.min(size, Math.floor(Number.isNaN(to) ? 0 : to));
  return [start, Math.max(start, end)];
}

/** The page size a search may ask for: 1..MAX_SEARCH (larger asks are capped). */
export function searchLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new CustosError('INVALID_REQUEST', `an audit search limit must be an integer from 1 to ${MAX_SEARCH}`);
  return Math.min(limit, MAX_SEARCH);
}

/** A query answered from a list already sorted by tree size (the stores that hold it in memory). */
export function selectCheckpoints(sorted: readonly CheckpointRecord[], query: CheckpointQuery): CheckpointRecord[] {
  const from = firstIndexWhere(sorted, (c) => c.treeSize >= (query.minTreeSize ?? 0));
  const to = firstIndexWhere(sorted, (c) => c.treeSize > (query.maxTreeSize ?? Number.MAX_SAFE_INTEGER));
  const start = query.newest ? Math.max(from, to - query.limit) : from;
  const end = query.newest ? to : Math.min(to, from + query.limit);
  return sorted.slice(start, Math.max(start, end)).map((c) => ({ ...c }));
}

/** Binary search: the first index whose element satisfies `at` (false for a prefix, then true). */
function firstIndexWhere<T>(sorted: readonly T[], at: (item: T) => boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(sorted[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
