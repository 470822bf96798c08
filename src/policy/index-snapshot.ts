/**
 * Ports for the consent index's shared state across gateway replicas (ARCHITECTURE.md: Redis holds
 * the consent-index snapshot and its change fan-out), plus their in-memory implementation.
 *
 * - IndexSnapshotStore: a restarting replica resumes from the last snapshot instead of replaying
 *   the chain from the registry's deployment block. The snapshot is only a starting point: the
 *   indexer checks its cursor against the chain and re-applies everything after it.
 * - IndexChangeFeed: "the index moved to block N", so replicas poll the chain now instead of at
 *   their next interval. A hint only; nobody takes consent state from a message.
 *
 * The Redis adapter (src/adapters/store/redis-index-snapshot.ts) implements both.
 */
import { CustosError } from '../errors.js';
import type { ConsentModel } from './consent-model.js';
import type { ConsentIndexState } from './consent-index-state.js';
import type { BlockRef } from './consents.js';
import { isBytes32, isUint } from './consent-checks.js';

export interface IndexSnapshot {
  readonly version: 1;
  /** The deployment this state belongs to: a snapshot for another model or start block is ignored. */
  readonly model: ConsentModel;
  readonly startBlock: number;
  /** The last block applied; on load it must still be on the canonical chain. */
  readonly cursor: BlockRef;
  /** Milliseconds since the epoch, by the saving indexer's clock. */
  readonly savedAt: number;
  readonly index: ConsentIndexState;
}

export interface IndexSnapshotStore {
  /** The last snapshot saved, or null. Callers validate it (parseIndexSnapshot): stores are shared. */
  load(): Promise<IndexSnapshot | null>;
  /** Replaces the stored snapshot (last writer wins: any snapshot on the canonical chain is a valid start). */
  save(snapshot: IndexSnapshot): Promise<void>;
}

export interface IndexChange {
  /** The publishing indexer's instance id, so it can ignore its own messages. */
  readonly origin: string;
  readonly cursor: BlockRef;
}

export type Unsubscribe = () => Promise<void>;

export interface IndexChangeFeed {
  publishChange(change: IndexChange): Promise<void>;
  /** Calls `onChange` for every change published (its own included) until unsubscribed. */
  subscribeChanges(onChange: (change: IndexChange) => void): Promise<Unsubscribe>;
}

function malformed(what: string): CustosError {
  return new CustosError('INTERNAL', `consent index snapshot: ${what}`);
}

function isBlockRef(value: unknown): value is BlockRef {
  if (typeof value !== 'object' || value === null) return false;
  const ref = value as Record<string, unknown>;
  return isUint(ref.number) && isBytes32(ref.hash);
}

/** Checks a snapshot's envelope (ConsentIndex.restore validates the grants). Throws CustosError('INTERNAL'). */
export function parseIndexSnapshot(value: unknown): IndexSnapshot {
  if (typeof value !== 'object' || value === null) throw malformed('not an object');
  const s = value as Record<string, unknown>;
  if (s.version !== 1) throw malformed('unknown version');
  if (s.model !== 'opt-in' && s.model !== 'opt-out') throw malformed('bad model');
  if (!isUint(s.startBlock)) throw malformed('bad startBlock');
  if (!isBlockRef(s.cursor) || s.cursor.number < s.startBlock) throw malformed('bad cursor');
  if (!isUint(s.savedAt)) throw malformed('bad savedAt');
  if (typeof s.index !== 'object' || s.index === null) throw malformed('no index');
  return {
    version: 1,
    model: s.model,
    startBlock: s.startBlock,
    cursor: { number: s.cursor.number, hash: s.cursor.hash },
    savedAt: s.savedAt,
    index: s.index as ConsentIndexState,
  };
}

/**
 * The in-memory store and feed: one instance shared by several indexers stands in for a Redis
 * they share. It keeps the snapshot as JSON text, so nothing is shared by reference and what
 * comes back has been through the same serialization as with Redis.
 */
export class MemoryIndexSnapshotStore implements IndexSnapshotStore, IndexChangeFeed {
  private json: string | null = null;
  private readonly listeners = new Set<(change: IndexChange) => void>();
  /** Test hook: how many times save() was called. */
  saves = 0;

  async load(): Promise<IndexSnapshot | null> {
    return this.json === null ? null : (JSON.parse(this.json) as IndexSnapshot);
  }

  async save(snapshot: IndexSnapshot): Promise<void> {
    this.json = JSON.stringify(snapshot);
    this.saves++;
  }

  /** Test hook: what a store holds, e.g. an older snapshot put back by an attacker or a restore. */
  setRaw(json: string | null): void {
    this.json = json;
  }

  raw(): string | null {
    return this.json;
  }

  async publishChange(change: IndexChange): Promise<void> {
    const message = JSON.parse(JSON.stringify(change)) as IndexChange;
    // Delivered later, like a pub/sub message, never inside the publisher's call.
    for (const listener of this.listeners) setImmediate(() => listener(message));
  }

  async subscribeChanges(onChange: (change: IndexChange) => void): Promise<Unsubscribe> {
    const listener = (change: IndexChange): void => onChange(change);
    this.listeners.add(listener);
    return async () => {
      this.listeners.delete(listener);
    };
  }
}
