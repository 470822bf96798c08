/**
 * Access volume over time for the console's chart: how many requests, how many were refused
 * (401/403), how many failed (AuditEvent outcome 8/12), and how many asked to break the glass,
 * per time bucket.
 *
 * Cost: computed from `AuditStore.search` pages (1,000 events each) over [from, to), so it reads
 * every event of the range, canonical bytes included: fine for a dev gateway or a day of a small
 * site, linear in the log for anything larger. `maxEvents` bounds one call; past it the answer says
 * `truncated`. A store-side count (SQL `GROUP BY` / the file index) is the way to scale it.
 */
import type { AuditSearch, StoredAuditEvent } from '../audit/store.js';
import { AUDIT_PHASE_SYSTEM } from '../audit/audit-event.js';

export interface ActivityRange {
  /** Unix ms, inclusive. */
  readonly from: number;
  /** Unix ms, exclusive. */
  readonly to: number;
  /** How many equal buckets [from, to) is cut into. */
  readonly buckets: number;
}

export interface ActivityBucket {
  /** ISO 8601 start of the bucket. */
  readonly start: string;
  readonly total: number;
  /** Refused: the gateway answered 401 or 403 (unauthenticated, scope, consent, break-glass refused). */
  readonly denied: number;
  /** AuditEvent outcome 8 or 12: upstream failures, client gone, internal errors. */
  readonly failed: number;
  /** Requests that asked to break the glass (granted or refused). */
  readonly breakGlass: number;
}

export interface Activity {
  readonly from: string;
  readonly to: string;
  readonly bucketMs: number;
  readonly buckets: readonly ActivityBucket[];
  /** Events read to compute it. */
  readonly scanned: number;
  /** True when the range held more than `maxEvents`: the later buckets are incomplete. */
  readonly truncated: boolean;
}

const PAGE = 1000;
export const DEFAULT_MAX_ACTIVITY_EVENTS = 100_000;

/**
 * The status an event's answer had, read from its canonical bytes. RFC 8785 escapes every quote
 * inside string values, so `"outcomeDesc":"` can only be the member itself.
 */
const OUTCOME_DESC = /"outcomeDesc":"(\d{3})\b/;

export async function countActivity(
  store: { search(filter: AuditSearch): Promise<StoredAuditEvent[]> },
  range: ActivityRange,
  maxEvents = DEFAULT_MAX_ACTIVITY_EVENTS,
): Promise<Activity> {
  const width = Math.max(1, Math.ceil((range.to - range.from) / range.buckets));
  const counts = Array.from({ length: range.buckets }, () => ({ total: 0, denied: 0, failed: 0, breakGlass: 0 }));
  let scanned = 0;
  let after: number | undefined;
  let truncated = false;
  for (;;) {
    const page = await store.search({ from: range.from, to: range.to, limit: PAGE, ...(after !== undefined ? { afterIndex: after } : {}) });
    for (const event of page) {
      if (scanned >= maxEvents) {
        truncated = true;
        break;
      }
      scanned++;
      if (isAttempt(event)) continue; // a change's write-ahead event: its final event is counted
      const slot = counts[Math.min(range.buckets - 1, Math.max(0, Math.floor((event.facts.recorded - range.from) / width)))]!;
      slot.total++;
      if (event.facts.outcome >= 8) slot.failed++;
      else if (event.facts.outcome === 4 && isRefusal(event)) slot.denied++;
      if (event.facts.breakGlass) slot.breakGlass++;
    }
    if (truncated || page.length < PAGE) break;
    after = page.at(-1)!.index;
  }
  return {
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    bucketMs: width,
    buckets: counts.map((c, i) => ({ start: new Date(range.from + i * width).toISOString(), ...c })),
    scanned,
    truncated,
  };
}

function isRefusal(event: StoredAuditEvent): boolean {
  const status = OUTCOME_DESC.exec(event.canonical.toString('utf8'))?.[1];
  return status === '401' || status === '403';
}

const ATTEMPT_MARK = Buffer.from(`"system":"${AUDIT_PHASE_SYSTEM}"`);

/** A write-ahead attempt event (audit-event.ts `phase`): the only events with the audit-phase subtype. */
function isAttempt(event: StoredAuditEvent): boolean {
  return event.canonical.includes(ATTEMPT_MARK);
}
