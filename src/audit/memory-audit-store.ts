/**
 * An `AuditStore` in memory, for unit tests (after medplum's MemoryRepository): the same contract
 * as the real stores (`test/support/audit-store-conformance.ts`), including that appended events
 * stay invisible until `sequence` gives them an index. Nothing survives the process.
 *
 * Tests simulate an outage with `setAvailable(false)` (every call rejects with UNAVAILABLE, as a
 * store that cannot be reached) or `failNextAppends(n)` (the next n appends reject and store
 * nothing, as a write that could not be committed).
 */
import { CustosError } from '../errors.js';
import type { AuditRecord, AuditSearch, AuditStore, CheckpointQuery, CheckpointRecord, SequencedLeaf, StoredAuditEvent } from './store.js';
import { checkBatch, clampRange, searchLimit, selectCheckpoints } from './store-queries.js';

const ZERO_HASH = Buffer.alloc(32);

function copyRecord(record: AuditRecord): AuditRecord {
  return {
    canonical: Buffer.from(record.canonical),
    leafHash: Buffer.from(record.leafHash),
    facts: { ...record.facts, patients: [...record.facts.patients] },
  };
}

function copyEvent(event: StoredAuditEvent): StoredAuditEvent {
  return { ...copyRecord(event), index: event.index, previousLeafHash: Buffer.from(event.previousLeafHash) };
}

export class MemoryAuditStore implements AuditStore {
  private pending: AuditRecord[] = [];
  private readonly events: StoredAuditEvent[] = [];
  private readonly anchored = new Map<number, CheckpointRecord>();
  private available = true;
  private failures = 0;
  private closed = false;
  /** How many `append` calls committed (for tests of group commit). */
  appends = 0;

  /** While false, every call rejects with UNAVAILABLE: the store is down. */
  setAvailable(available: boolean): void {
    this.available = available;
  }

  /** The next `count` appends reject with UNAVAILABLE and store nothing. */
  failNextAppends(count: number): void {
    this.failures = count;
  }

  async append(batch: readonly AuditRecord[]): Promise<void> {
    this.check();
    if (this.failures > 0) {
      this.failures--;
      throw new CustosError('UNAVAILABLE', 'the audit store (memory) failed this write as the test asked');
    }
    checkBatch(batch);
    this.pending.push(...batch.map(copyRecord));
    this.appends++;
  }

  async sequence(limit: number): Promise<SequencedLeaf[]> {
    this.check();
    const taken = this.pending.splice(0, Math.max(0, Math.floor(limit) || 0));
    return taken.map((record) => {
      const index = this.events.length;
      const previousLeafHash = index === 0 ? ZERO_HASH : this.events[index - 1]!.leafHash;
      this.events.push({ ...record, index, previousLeafHash: Buffer.from(previousLeafHash) });
      return { index, leafHash: Buffer.from(record.leafHash) };
    });
  }

  async size(): Promise<number> {
    this.check();
    return this.events.length;
  }

  async leaves(from: number, limit: number): Promise<Buffer[]> {
    this.check();
    const [start, end] = clampRange(from, from + limit, this.events.length);
    return this.events.slice(start, end).map((e) => Buffer.from(e.leafHash));
  }

  async event(index: number): Promise<StoredAuditEvent | null> {
    this.check();
    const event = Number.isInteger(index) && index >= 0 ? this.events[index] : undefined;
    return event ? copyEvent(event) : null;
  }

  async search(filter: AuditSearch): Promise<StoredAuditEvent[]> {
    this.check();
    const limit = searchLimit(filter.limit);
    const found: StoredAuditEvent[] = [];
    for (const e of this.events) {
      if (found.length >= limit) break;
      const f = e.facts;
      if (filter.afterIndex !== undefined && e.index <= filter.afterIndex) continue;
      if (filter.patient !== undefined && !f.patients.includes(filter.patient)) continue;
      if (filter.actor !== undefined && f.actor !== filter.actor && f.clientId !== filter.actor) continue;
      if (filter.from !== undefined && f.recorded < filter.from) continue;
      if (filter.to !== undefined && f.recorded >= filter.to) continue;
      if (filter.outcome !== undefined && f.outcome !== filter.outcome) continue;
      if (filter.breakGlass !== undefined && f.breakGlass !== filter.breakGlass) continue;
      found.push(copyEvent(e));
    }
    return found;
  }

  async *scan(from: number, to: number): AsyncIterable<StoredAuditEvent> {
    this.check();
    const [start, end] = clampRange(from, to, this.events.length);
    for (let i = start; i < end; i++) yield copyEvent(this.events[i]!);
  }

  async recordCheckpoint(checkpoint: CheckpointRecord): Promise<void> {
    this.check();
    this.anchored.set(checkpoint.treeSize, { ...checkpoint });
  }

  async checkpoints(): Promise<CheckpointRecord[]> {
    this.check();
    return [...this.anchored.values()].sort((a, b) => a.treeSize - b.treeSize).map((c) => ({ ...c }));
  }

  async checkpointsWhere(query: CheckpointQuery): Promise<CheckpointRecord[]> {
    this.check();
    return selectCheckpoints([...this.anchored.values()].sort((a, b) => a.treeSize - b.treeSize), query);
  }

  async dropCheckpoint(treeSize: number): Promise<void> {
    this.check();
    this.anchored.delete(treeSize);
  }

  async acquireSequencer(): Promise<boolean> {
    return this.available && !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(): void {
    if (this.closed) throw new CustosError('UNAVAILABLE', 'the audit store (memory) is closed');
    if (!this.available) throw new CustosError('UNAVAILABLE', 'the audit store (memory) is unavailable, as the test asked');
  }
}
