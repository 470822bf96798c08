/**
 * The consent indexer's options: what each one means, its default, and the one check at
 * construction that turns a bad value into a CONFIG_INVALID naming it (the composition root
 * passes config values straight through).
 */
import { randomUUID } from 'node:crypto';
import { CustosError } from '../errors.js';
import type { ConsentModel } from './consent-model.js';
import type { ConsentLedger } from './consents.js';
import type { IndexChangeFeed, IndexSnapshotStore } from './index-snapshot.js';

export interface ConsentIndexerOptions {
  readonly ledger: ConsentLedger;
  /** The deployment's model; checked against ledger.model() on the first poll. */
  readonly model: ConsentModel;
  /** The registry's deployment block: nothing before it is read. */
  readonly startBlock: number;
  /** Blocks a grant waits below the head before it counts. Default 0 (QBFT and anvil are final at once). */
  readonly confirmations?: number;
  /** Default 1000. */
  readonly pollIntervalMs?: number;
  /** Decisions answer `index-stale` when the last successful poll is older. Default 30000; must exceed pollIntervalMs. */
  readonly maxStalenessMs?: number;
  readonly snapshotStore?: IndexSnapshotStore;
  /** Replicas sharing a store: publish after applying events, poll at once on others' messages. */
  readonly changeFeed?: IndexChangeFeed;
  /** Minimum time between snapshot saves (each serializes the whole index). Default 60000. */
  readonly snapshotIntervalMs?: number;
  /** How many recent blocks a reorg can be undone across in place. Default 64. */
  readonly reorgWindow?: number;
  /** Blocks per events() call. Default 2000 (a common eth_getLogs range limit). */
  readonly pageSize?: number;
  /** Milliseconds since the epoch. Default: monotonicNow. */
  readonly clock?: () => number;
  /** Tags this replica's change messages. Default: a random UUID. */
  readonly instanceId?: string;
}

export const CONSENT_INDEXER_DEFAULTS = Object.freeze({
  confirmations: 0,
  pollIntervalMs: 1_000,
  maxStalenessMs: 30_000,
  snapshotIntervalMs: 60_000,
  reorgWindow: 64,
  pageSize: 2_000,
});

export type ResolvedIndexerOptions = Required<Omit<ConsentIndexerOptions, 'snapshotStore' | 'changeFeed'>> &
  Pick<ConsentIndexerOptions, 'snapshotStore' | 'changeFeed'>;

/**
 * Epoch milliseconds that never go backwards: the process start time plus a monotonic timer.
 * Staleness must not be measured on the wall clock: an NTP step back by an hour would keep an
 * index "fresh" for an hour without a single successful poll.
 */
export const monotonicNow = (): number => Math.floor(performance.timeOrigin + performance.now());

/** Fills in the defaults and checks every value; throws CustosError('CONFIG_INVALID'). */
export function resolveIndexerOptions(options: ConsentIndexerOptions): ResolvedIndexerOptions {
  const o = { ...CONSENT_INDEXER_DEFAULTS, clock: monotonicNow, instanceId: randomUUID(), ...stripUndefined(options) };
  const bad = (message: string): never => {
    throw new CustosError('CONFIG_INVALID', `consent indexer: ${message}`);
  };
  const uint = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (o.model !== 'opt-in' && o.model !== 'opt-out') bad('model must be "opt-in" or "opt-out"');
  if (!uint(o.startBlock)) bad('startBlock must be a block number');
  if (!uint(o.confirmations)) bad('confirmations must be an integer ≥ 0');
  if (!uint(o.pollIntervalMs) || o.pollIntervalMs < 1) bad('pollIntervalMs must be a positive integer');
  if (!uint(o.maxStalenessMs) || o.maxStalenessMs <= o.pollIntervalMs) bad('maxStalenessMs must exceed pollIntervalMs, or the index goes stale between polls');
  if (!uint(o.snapshotIntervalMs)) bad('snapshotIntervalMs must be an integer ≥ 0');
  if (!uint(o.reorgWindow) || o.reorgWindow < 1) bad('reorgWindow must be a positive integer');
  if (!uint(o.pageSize) || o.pageSize < 1) bad('pageSize must be a positive integer');
  return o;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
