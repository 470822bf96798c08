/**
 * Group commit in front of the AuditStore: every request awaits `record(event)`, and the recorder
 * writes whatever has queued up while the previous write was syncing as ONE batch (one write, one
 * sync). With nothing in flight a record is written at once, so a lone request pays one sync and
 * no timer; under load, batches grow by themselves and the syncs per second stay flat.
 *
 * Failure is explicit (ARCHITECTURE.md "Fail closed"; tessera's push-back): a batch the store
 * rejects fails every request in it with AUDIT_UNAVAILABLE (503 + Retry-After, no data served);
 * for `retryAfterSeconds` after a failure new records are refused at once instead of piling onto a
 * store that is down; and beyond `maxPending` queued events new ones are refused too.
 */
import { CustosError } from '../errors.js';
import type { AuditRecord, AuditStore } from './store.js';

export interface AuditRecorderOptions {
  readonly maxBatch: number;
  /**
   * When the last write carried more than one event (the gateway is busy), wait this long for more
   * before the next write (PostgreSQL's commit_delay): each sync costs ~150-250 µs of CPU on these
   * VMs, so fuller batches buy throughput for at most this much latency. 0: never wait.
   */
  readonly commitDelayMs?: number;
  /** With a commit delay, write at once when this many events are waiting. */
  readonly fullBatch?: number;
  readonly maxPending: number;
  readonly retryAfterSeconds: number;
  /** Told about each failed batch (for the log: never event contents). */
  readonly onFailure?: (error: unknown, events: number) => void;
  /** Told after each committed batch (the sequencer wakes up on it). */
  readonly onCommit?: (events: number) => void;
  readonly now?: () => number;
}

interface Waiting {
  readonly record: AuditRecord;
  resolve(): void;
  reject(error: unknown): void;
}

export interface AuditRecorderStats {
  readonly committed: number;
  readonly batches: number;
  readonly failed: number;
  readonly refused: number;
  readonly pending: number;
}

export class AuditRecorder {
  private queue: Waiting[] = [];
  private writing = false;
  private lingering: NodeJS.Timeout | undefined;
  private lastBatch = 0;
  private refuseUntil = 0;
  private readonly now: () => number;
  private counts = { committed: 0, batches: 0, failed: 0, refused: 0 };

  constructor(
    private readonly store: AuditStore,
    private readonly options: AuditRecorderOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Resolves once the event is durable; rejects with AUDIT_UNAVAILABLE if it might not be. */
  record(record: AuditRecord): Promise<void> {
    if (this.now() < this.refuseUntil || this.queue.length >= this.options.maxPending) {
      this.counts.refused++;
      const why = this.queue.length >= this.options.maxPending ? 'too many audit events are waiting to be written' : 'the audit store failed moments ago';
      return Promise.reject(this.refusal(why));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (!this.writing) this.flush();
      else if (this.lingering && this.queue.length >= (this.options.fullBatch ?? 32)) {
        clearTimeout(this.lingering);
        this.lingering = undefined;
        this.write();
      }
    });
  }

  /** False while records would be refused at once (a recent store failure, or a full queue). */
  accepting(): boolean {
    return this.now() >= this.refuseUntil && this.queue.length < this.options.maxPending;
  }

  stats(): AuditRecorderStats {
    return { ...this.counts, pending: this.queue.length };
  }

  /** Waits until everything queued so far is written (or failed): for a graceful stop. */
  async drain(): Promise<void> {
    while (this.writing || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private flush(): void {
    if (this.queue.length === 0) {
      this.writing = false;
      return;
    }
    this.writing = true;
    const delay = this.options.commitDelayMs ?? 0;
    if (delay > 0 && this.lastBatch > 1 && !this.lingering && this.queue.length < (this.options.fullBatch ?? 32)) {
      this.lingering = setTimeout(() => {
        this.lingering = undefined;
        this.write();
      }, delay);
      return;
    }
    this.write();
  }

  private write(): void {
    const batch = this.queue.length <= this.options.maxBatch ? this.queue : this.queue.slice(0, this.options.maxBatch);
    this.queue = batch === this.queue ? [] : this.queue.slice(batch.length);
    const records = batch.map((w) => w.record);
    this.lastBatch = batch.length;
    this.store.append(records).then(
      () => {
        this.counts.committed += batch.length;
        this.counts.batches++;
        for (const w of batch) w.resolve();
        this.options.onCommit?.(batch.length);
        this.flush();
      },
      (error: unknown) => {
        this.counts.failed += batch.length;
        this.refuseUntil = this.now() + this.options.retryAfterSeconds * 1000;
        this.options.onFailure?.(error, batch.length);
        const refusal = this.refusal('the audit store could not commit the event');
        for (const w of batch) w.reject(refusal);
        // What queued behind the failed write would only fail the same way: refuse it now.
        const behind = this.queue;
        this.queue = [];
        for (const w of behind) w.reject(refusal);
        this.counts.failed += behind.length;
        this.lastBatch = 0;
        this.writing = false;
      },
    );
  }

  private refusal(why: string): CustosError {
    return new CustosError('AUDIT_UNAVAILABLE', `${why}; no data is served without its audit record, retry in ${this.options.retryAfterSeconds} s`, {
      retryAfter: this.options.retryAfterSeconds,
    });
  }
}
