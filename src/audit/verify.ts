/**
 * Verification of an audit log against its on-chain checkpoints, as `custos audit verify` runs it
 * (on the live store or on an exported file, trusting neither the operator nor the store):
 *
 * 1. every event's leaf hash is recomputed from its stored canonical bytes (RFC 9162 §2.1.1) and
 *    compared with the hash stored beside it (an edit that did not fix it is named exactly);
 * 2. indices must run 0, 1, 2, … (a deleted, duplicated or moved row is named), and each event's
 *    `previousLeafHash` link must equal its predecessor's hash (a swap or a deletion breaks it);
 * 3. the Merkle tree is rebuilt from the recomputed leaves, in log order;
 * 4. every on-chain checkpoint `(treeSize, root)` must equal the rebuilt tree's head at that size
 *    (a rewrite that fixed every hash and link is still caught here; a truncated log cannot reach
 *    the anchored size);
 * 5. consecutive checkpoints must be consistent (RFC 9162 §2.1.4): the log only ever grew.
 *
 * Problems are collected, not thrown: the report says exactly which event or checkpoint fails.
 */
import { MerkleTree } from './merkle-tree.js';
import { leafHash, verifyConsistency } from './merkle.js';
import { toHex } from './audit-log.js';
import type { ChainCheckpoint } from './anchor.js';
import { eventFacts } from './reports/event-facts.js';
import type { AuditFacts } from './store.js';

export interface VerifiableEvent {
  readonly index: number;
  readonly canonical: Buffer;
  readonly leafHash: Buffer;
  readonly previousLeafHash: Buffer;
  /** The search fields stored beside the event (from a store; an export has none). */
  readonly facts?: AuditFacts;
}

export type ProblemKind =
  | 'event-altered'
  | 'event-missing'
  | 'event-out-of-order'
  | 'link-broken'
  | 'checkpoint-mismatch'
  | 'checkpoint-beyond-log'
  | 'checkpoints-inconsistent'
  | 'not-anchored'
  | 'wrong-chain'
  | 'search-fields-altered';

export interface VerifyProblem {
  readonly kind: ProblemKind;
  /** The event's position (leaf index), when the problem is one event's. */
  readonly index?: number;
  /** The on-chain checkpoint's position in the contract, when the problem is a checkpoint's. */
  readonly checkpoint?: number;
  readonly message: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  /** Events read and the size of the rebuilt tree. */
  readonly events: number;
  readonly root: string;
  readonly checkpointsChecked: number;
  /** The largest anchored tree size the log matches (everything up to it is proven untouched). */
  readonly verifiedUpTo: number;
  readonly problems: readonly VerifyProblem[];
  /** Problems beyond this many are counted, not listed. */
  readonly problemsOmitted: number;
}

const ZERO = Buffer.alloc(32);

const MAX_LISTED = 200;

export async function verifyAuditLog(events: AsyncIterable<VerifiableEvent>, checkpoints: readonly ChainCheckpoint[]): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  let omitted = 0;
  const report = (p: VerifyProblem) => (problems.length < MAX_LISTED ? problems.push(p) : omitted++);
  const tree = new MerkleTree();
  let previousStored: Buffer = ZERO;

  const positions = new IndexList();
  for await (const event of events) {
    positions.push(event.index);
    const recomputed = leafHash(event.canonical);
    if (!recomputed.equals(event.leafHash)) {
      report({ kind: 'event-altered', index: event.index, message: `event ${event.index} was altered: its content no longer hashes to the leaf hash recorded with it` });
    }
    if (!event.previousLeafHash.equals(previousStored)) {
      report({ kind: 'link-broken', index: event.index, message: `event ${event.index} does not follow the event before it (its link to the previous leaf does not match): an event before it was removed, replaced or moved, or this one was` });
    }
    if (event.facts) {
      const wrong = alteredFacts(event.index, event.canonical, event.facts);
      if (wrong.length > 0) report({ kind: 'search-fields-altered', index: event.index, message: `event ${event.index}'s stored search fields (${wrong.join(', ')}) do not match its content: searches and reports would select it wrongly` });
    }
    previousStored = event.leafHash;
    tree.append(recomputed);
  }
  for (const p of placementProblems(positions.values())) report(p);
  problems.sort((a, b) => rank(a) - rank(b));

  let verifiedUpTo = 0;
  let allMatchedSoFar = true;
  const sorted = [...checkpoints].sort((a, b) => a.index - b.index);
  let previous: ChainCheckpoint | undefined;
  for (const checkpoint of sorted) {
    const size = Number(checkpoint.treeSize);
    const label = `checkpoint ${checkpoint.index} (tree size ${size}, block ${checkpoint.blockNumber})`;
    let matches = false;
    if (size > tree.size) {
      allMatchedSoFar = false;
      report({ kind: 'checkpoint-beyond-log', checkpoint: checkpoint.index, message: `${label} covers ${size} events but the log holds ${tree.size}: events from ${tree.size} on were removed (the log was truncated)` });
    } else if (toHex(tree.root(size)) !== checkpoint.root.toLowerCase()) {
      const where = allMatchedSoFar ? `the change lies in events ${verifiedUpTo} to ${size - 1}` : 'an earlier checkpoint fails too';
      allMatchedSoFar = false;
      report({ kind: 'checkpoint-mismatch', checkpoint: checkpoint.index, message: `${label} does not match the log: the first ${size} events are not those that were anchored (${where})` });
    } else {
      matches = true;
      if (allMatchedSoFar) verifiedUpTo = size;
    }
    // Consistency with the previous checkpoint, witnessed by the log where the log matches this one:
    // it tells a forked anchor (two on-chain roots that no single growing log explains) from a
    // tampered log (already reported above, and then the log cannot witness anything).
    if (previous) {
      const size1 = Number(previous.treeSize);
      if (size1 > size) {
        report({ kind: 'checkpoints-inconsistent', checkpoint: checkpoint.index, message: `${label} is smaller than checkpoint ${previous.index} (size ${size1}): anchored sizes must grow` });
      } else if (matches) {
        const proof = tree.consistencyProof(size1, size);
        const check = verifyConsistency({ size1, size2: size, root1: hexBytes(previous.root), root2: hexBytes(checkpoint.root), proof });
        if (!check.ok) {
          report({ kind: 'checkpoints-inconsistent', checkpoint: checkpoint.index, message: `checkpoint ${previous.index} (size ${size1}) and ${label} are not consistent: the log did not only grow between them (${check.reason})` });
        }
      }
    }
    previous = checkpoint;
  }

  if (problems.length === 0 && tree.size > 0 && verifiedUpTo === 0) {
    // Hashes and links can be rebuilt by whoever holds the database: without an anchored checkpoint
    // the log proves nothing, so it does not pass.
    report({ kind: 'not-anchored', message: `no on-chain checkpoint covers any of the ${tree.size} events: nothing is proven (is this the right contract? has anchoring run?)` });
  }
  return {
    ok: problems.length === 0 && omitted === 0,
    events: tree.size,
    root: toHex(tree.root()),
    checkpointsChecked: sorted.length,
    verifiedUpTo: firstFailure(problems, verifiedUpTo),
    problems,
    problemsOmitted: omitted,
  };
}

/**
 * Which stored indices are missing or out of place. Position p should hold index p + offset, where
 * the offset grows by the size of each gap of indices that appear nowhere (deleted events) and
 * shrinks by one for each duplicate; anything else is an event out of place (moved or swapped).
 */
function placementProblems(indices: Float64Array): VerifyProblem[] {
  const out: VerifyProblem[] = [];
  const n = indices.length;
  const counts = new Uint8Array(n + 1);
  let beyond = false;
  for (const i of indices) {
    if (Number.isInteger(i) && i >= 0 && i <= n) counts[i] = Math.min(255, counts[i]! + 1);
    else beyond = true;
  }
  const seen = (i: number) => i <= n && counts[i]! > 0;
  let offset = 0;
  for (let p = 0; p < n; p++) {
    const i = indices[p]!;
    const expected = p + offset;
    if (i === expected) continue;
    if (Number.isInteger(i) && i > expected && (beyond || i <= n)) {
      let gap = true;
      for (let k = expected; k < i && gap; k++) if (seen(k)) gap = false;
      if (gap) {
        const missing = i - expected;
        out.push({ kind: 'event-missing', index: expected, message: missing === 1 ? `event ${expected} is missing (the next stored event is ${i})` : `events ${expected} to ${i - 1} are missing (${missing} events)` });
        offset += missing;
        continue;
      }
    }
    if (Number.isInteger(i) && i >= 0 && i < expected && i <= n && counts[i]! > 1) {
      out.push({ kind: 'event-out-of-order', index: p, message: `position ${p} holds a second copy of event ${i}` });
      offset--;
      continue;
    }
    out.push({ kind: 'event-out-of-order', index: p, message: `position ${p} holds event ${i}: events were moved or re-numbered (this one belongs at ${i})` });
  }
  return out;
}

/** Event problems in log order, then checkpoint problems in chain order. */
function rank(p: VerifyProblem): number {
  return p.index !== undefined ? p.index : 1e15 + (p.checkpoint ?? 0);
}

/** A growable list of stored indices (8 bytes each: a million events cost 8 MB). */
class IndexList {
  private data = new Float64Array(1024);
  private length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/**
 * Which stored search fields differ from what the event's own bytes say. Reports choose their
 * events through these fields, so an operator who edits them could hide an event from a patient's
 * report without touching the log itself.
 */
function alteredFacts(index: number, canonical: Buffer, stored: AuditFacts): string[] {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(canonical.toString('utf8')) as Record<string, unknown>;
  } catch {
    return []; // the content itself is reported (its hash, or the anchors)
  }
  const f = eventFacts(index, event);
  const wrong: string[] = [];
  if ([...stored.patients].sort().join(' ') !== [...f.patients].sort().join(' ')) wrong.push('patients');
  if ((stored.actor ?? '') !== f.actor) wrong.push('actor');
  if ((stored.clientId ?? '') !== f.clientId) wrong.push('client');
  if (stored.recorded !== Date.parse(f.recorded)) wrong.push('time');
  if (stored.outcome !== f.outcome) wrong.push('outcome');
  if (stored.breakGlass !== f.breakGlass) wrong.push('break-glass');
  if (stored.eventId !== event['id']) wrong.push('event id');
  return wrong;
}

/** Only what precedes the first bad event counts as verified, whatever the checkpoints say. */
function firstFailure(problems: readonly VerifyProblem[], verifiedUpTo: number): number {
  let first = verifiedUpTo;
  for (const p of problems) if (p.index !== undefined && p.index < first) first = p.index;
  return first;
}

function hexBytes(hex: string): Buffer {
  return Buffer.from(hex.replace(/^0x/, ''), 'hex');
}
