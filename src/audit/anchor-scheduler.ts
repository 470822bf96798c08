/**
 * Anchors the log's newest tree head `(treeSize, root)` on chain every interval: one transaction
 * per interval however many events arrived, none when nothing did. Only the sequencer anchors.
 *
 * - Chain down: the tick fails, is retried next interval; nothing is lost, since a checkpoint is
 *   derived from the log, not queued.
 * - Reorg: recent checkpoints are re-checked against the chain each tick; one whose transaction
 *   the chain no longer holds is forgotten and the same `(treeSize, root)` is sent again.
 * - A checkpoint anchored but not recorded (crash between the two) is recovered from the chain.
 */
import type { AuditLog } from './audit-log.js';
import type { AuditAnchorPort, ChainCheckpoint } from './anchor.js';
import type { AuditStore, CheckpointRecord } from './store.js';

export interface AnchorSchedulerOptions {
  readonly log: AuditLog;
  readonly store: AuditStore;
  readonly anchor: AuditAnchorPort;
  readonly intervalMs: number;
  /** How many of the newest recorded checkpoints are re-checked for reorgs each tick. */
  readonly recheck?: number;
  readonly onAnchored?: (checkpoint: CheckpointRecord) => void;
  readonly onReorg?: (checkpoint: CheckpointRecord) => void;
  readonly onError?: (error: unknown) => void;
  readonly onRecovered?: () => void;
}

export interface AnchorStatus {
  readonly lastCheckpoint: CheckpointRecord | null;
  /** Events in the log not yet covered by an anchored checkpoint. */
  readonly unanchored: number;
  readonly chainHealthy: boolean;
  readonly lastError: string | null;
}

export class AnchorScheduler {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private failing: unknown;
  private last: CheckpointRecord | null = null;

  constructor(private readonly options: AnchorSchedulerOptions) {}

  async start(): Promise<void> {
    const [newest] = await this.options.store.checkpointsWhere({ limit: 1, newest: true });
    this.last = newest ?? null;
    this.schedule();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  status(): AnchorStatus {
    return {
      lastCheckpoint: this.last,
      unanchored: this.options.log.size - (this.last?.treeSize ?? 0),
      chainHealthy: this.failing === undefined,
      lastError: this.failing === undefined ? null : String((this.failing as Error)?.message ?? this.failing),
    };
  }

  /** One anchoring round now (tests, shutdown, `custos audit anchor`); resolves when it is done. */
  async tick(): Promise<CheckpointRecord | null> {
    while (this.ticking) await this.ticking;
    let anchored: CheckpointRecord | null = null;
    this.ticking = (async () => {
      try {
        anchored = await this.round();
        if (this.failing !== undefined) this.options.onRecovered?.();
        this.failing = undefined;
      } catch (error) {
        if (this.failing === undefined) this.options.onError?.(error);
        this.failing = error;
      }
    })();
    await this.ticking;
    this.ticking = undefined;
    return anchored;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.tick().finally(() => {
        if (this.timer) this.schedule();
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  private async round(): Promise<CheckpointRecord | null> {
    const { log, store, anchor } = this.options;
    if (!log.isSequencer) return null;
    await this.recheckRecent();
    const chainLatest = await anchor.latest();
    const recordedSize = this.last?.treeSize ?? 0;
    if (chainLatest && Number(chainLatest.treeSize) > recordedSize) {
      // Anchored, but the record was lost (crash between the transaction and the store write).
      const recovered = await this.recover(chainLatest);
      if (recovered) return null;
    }
    const size = log.size;
    const anchoredSize = Math.max(recordedSize, chainLatest ? Number(chainLatest.treeSize) : 0);
    if (size <= anchoredSize) return null;
    return this.send(size, log.head(size).root);
  }

  private async send(treeSize: number, root: string): Promise<CheckpointRecord> {
    const { store, anchor } = this.options;
    const receipt = await anchor.anchor(BigInt(treeSize), root);
    const record: CheckpointRecord = {
      treeSize,
      root,
      chainId: anchor.chainId,
      contract: anchor.anchorAddress,
      chainIndex: receipt.index,
      transactionHash: receipt.transactionHash,
      blockNumber: receipt.blockNumber,
      blockHash: receipt.blockHash,
      anchoredAt: Date.now(),
      gasUsed: Number(receipt.gasUsed),
    };
    await store.recordCheckpoint(record);
    this.last = record;
    this.options.onAnchored?.(record);
    return record;
  }

  /** A checkpoint on chain the store has no record of: record it if it is ours (its root matches the log). */
  private async recover(checkpoint: ChainCheckpoint): Promise<boolean> {
    const { log, store, anchor } = this.options;
    const size = Number(checkpoint.treeSize);
    if (size > log.size || log.head(size).root !== checkpoint.root) return false; // not ours: verification will say so
    const tx = await anchor.transactionOf(checkpoint);
    if (!tx) return false;
    const record: CheckpointRecord = {
      treeSize: size, root: checkpoint.root, chainId: anchor.chainId, contract: anchor.anchorAddress, chainIndex: checkpoint.index,
      transactionHash: tx.transactionHash, blockNumber: checkpoint.blockNumber, blockHash: tx.blockHash, anchoredAt: checkpoint.timestamp * 1000, gasUsed: 0,
    };
    await store.recordCheckpoint(record);
    this.last = record;
    return true;
  }

  /** Re-sends recent checkpoints the chain lost in a reorg. */
  private async recheckRecent(): Promise<void> {
    const { store, anchor } = this.options;
    const recent = await store.checkpointsWhere({ limit: this.options.recheck ?? 3, newest: true });
    for (const checkpoint of recent) {
      const onChain = await anchor.findBySize(BigInt(checkpoint.treeSize));
      if (onChain && onChain.root === checkpoint.root && onChain.blockNumber === checkpoint.blockNumber) continue;
      if (onChain && onChain.root === checkpoint.root) {
        // Re-mined in another block: same checkpoint, new place.
        const tx = await anchor.transactionOf(onChain);
        if (tx) await store.recordCheckpoint({ ...checkpoint, chainIndex: onChain.index, blockNumber: onChain.blockNumber, transactionHash: tx.transactionHash, blockHash: tx.blockHash });
        continue;
      }
      this.options.onReorg?.(checkpoint);
      // The recent ones are the newest: every checkpoint after this one is among them.
      const later = recent.filter((c) => c.treeSize >= checkpoint.treeSize);
      for (const c of later) await store.dropCheckpoint(c.treeSize);
      const [remaining] = await store.checkpointsWhere({ limit: 1, newest: true });
      this.last = remaining ?? null;
      for (const c of later) {
        const chainLatest = await anchor.latest();
        if (chainLatest && Number(chainLatest.treeSize) >= c.treeSize) continue;
        await this.send(c.treeSize, c.root);
      }
      return;
    }
  }
}
