/**
 * Keeps a ConsentIndex in step with the ConsentLedger, and answers decisions from it only while
 * it is known to be fresh (ARCHITECTURE.md: fail closed; serve on the last confirmed state within
 * a staleness bound when the chain is unreachable).
 *
 * Every poll: read the head, check the cursor block is still canonical, apply events up to
 * head − confirmations page by page (ledger-page.ts), mark grants revoked in the unconfirmed
 * blocks as suspended, save a snapshot now and then, tell other replicas.
 *
 * Reorgs. The indexer keeps checkpoints of the last `reorgWindow` blocks with the events each
 * brought (rewind-journal.ts). When the cursor's hash is no longer the ledger's, it walks the
 * checkpoints back to the newest still-canonical one, undoes everything after it and re-applies
 * from there. A fork deeper than the window (or a snapshot whose cursor is no longer canonical
 * after a restart) rebuilds from the snapshot store when its cursor is canonical, else from
 * `startBlock`. While a rewind or rebuild is in progress, and until the first poll completes,
 * decisions answer `index-stale`: a half-rewound index must not decide.
 */
import { CustosError } from '../errors.js';
import type { Bytes32, ConsentAnswer, ConsentGrant, ConsentQuery } from './consent-model.js';
import type { BlockRef } from './consents.js';
import { ConsentIndex } from './consent-index.js';
import type { ConsentIndexState } from './consent-index-state.js';
import { resolveIndexerOptions, type ConsentIndexerOptions, type ResolvedIndexerOptions } from './consent-indexer-options.js';
import { parseIndexSnapshot, type Unsubscribe } from './index-snapshot.js';
import { readLedgerPage } from './ledger-page.js';
import { RewindJournal, type Cursor } from './rewind-journal.js';
import { INDEX_STALE, describe, toBlockRef, type ConsentIndexerChange, type ConsentIndexerStatus } from './consent-indexer-status.js';

export type { ConsentIndexerOptions } from './consent-indexer-options.js';
export type { ConsentIndexerChange, ConsentIndexerStatus } from './consent-indexer-status.js';

export class ConsentIndexer {
  private readonly o: ResolvedIndexerOptions;
  private readonly listeners = new Set<(change: ConsentIndexerChange) => void>();

  private index = new ConsentIndex();
  /** Undefined until the first poll initializes from a snapshot or the start block. */
  private journal: RewindJournal | undefined;
  private modelChecked = false;
  private lastHead: BlockRef | null = null;
  private lastSuccessfulPollAt: number | null = null;
  /**
   * What decide() checks: true from a successful poll until lastSuccessfulPollAt + maxStalenessMs.
   * A timer clears it at that deadline (status() and every poll also re-check it against the
   * clock), so the hot path reads a boolean instead of the clock: a clock read costs ~50 ns here
   * and, worse, serializes the CPU, which halves decisions per second in a loop over a Bundle.
   */
  private fresh = false;
  private staleTimer: NodeJS.Timeout | undefined;
  private lastError: unknown;
  /** Set while a rewind or rebuild has left the index between two consistent states. */
  private unsettled: string | undefined;
  private lastReportedStale: boolean | undefined;
  private lastSavedAt = -Infinity;
  private savedCursor: Cursor | undefined;

  private running: Promise<ConsentIndexerStatus> | undefined;
  private next: Promise<ConsentIndexerStatus> | undefined;
  private started = false;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: Unsubscribe | undefined;

  constructor(options: ConsentIndexerOptions) {
    this.o = resolveIndexerOptions(options);
  }

  /**
   * The hot path: the index's answer, or `index-stale` (deny) when freshness is not proven: before
   * the first successful poll, while a reorg is being undone, and from maxStalenessMs after the
   * last successful poll (to within one event-loop turn: the deadline timer's resolution).
   */
  decide(query: ConsentQuery): ConsentAnswer {
    if (!this.fresh) return INDEX_STALE;
    return this.index.decide(query, this.o.model);
  }

  grantsOf(subject: Bytes32): ConsentGrant[] {
    return this.index.grantsOf(subject);
  }

  grant(id: string): ConsentGrant | undefined {
    return this.index.grant(id);
  }

  /** The whole index as a snapshot would save it (serializes every grant: for tests and admin exports). */
  exportState(): ConsentIndexState {
    return this.index.serialize();
  }

  status(): ConsentIndexerStatus {
    const cursor = this.journal ? toBlockRef(this.journal.cursor) : null;
    const head = this.lastHead;
    const last = this.lastSuccessfulPollAt;
    const age = last === null ? null : this.o.clock() - last;
    const stale = age === null || age > this.o.maxStalenessMs;
    if (stale) this.fresh = false; // in case the deadline timer is late
    const reasons: string[] = [];
    if (this.lastError !== undefined) reasons.push(`last poll failed: ${describe(this.lastError)}`);
    if (this.unsettled !== undefined) reasons.push(this.unsettled);
    else if (age === null) reasons.push('no poll has completed yet');
    else if (stale) reasons.push(`no successful poll for ${age} ms (maxStalenessMs ${this.o.maxStalenessMs})`);
    return {
      cursor,
      head,
      lagBlocks: head && this.journal ? head.number - this.journal.cursor.number : null,
      lastSuccessfulPollAt: last,
      stale,
      ...(reasons.length > 0 && (stale || this.lastError !== undefined) && { reason: reasons.join('; ') }),
      grants: this.index.size,
    };
  }

  /** Calls `listener` on every change; returns the function that removes it. Listener errors are ignored. */
  onChange(listener: (change: ConsentIndexerChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Polls every pollIntervalMs (and on other replicas' change messages) until stop(); resolves after the first poll. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.o.changeFeed !== undefined) {
      try {
        this.unsubscribe = await this.o.changeFeed.subscribeChanges((change) => {
          if (change.origin !== this.o.instanceId) void this.pollOnce();
        });
      } catch (error) {
        this.emit({ kind: 'warning', message: `cannot subscribe to index changes (polling only): ${describe(error)}` });
      }
    }
    await this.pollOnce();
    this.schedule();
  }

  /** Stops polling, waits for a poll in progress and saves a last snapshot when there is news. */
  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    await unsubscribe?.().catch(() => undefined);
    await (this.next ?? this.running);
    if (this.lastError === undefined && this.lastSuccessfulPollAt !== null) await this.saveSnapshot(true);
  }

  /**
   * One poll (tests drive the indexer with it). Concurrent calls share the poll in progress plus at
   * most one more, which starts after it: a change announced mid-poll is never missed.
   */
  pollOnce(): Promise<ConsentIndexerStatus> {
    if (this.running === undefined) {
      this.running = this.poll().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.next ??= this.running.then(() => {
      this.next = undefined;
      return this.pollOnce();
    });
    return this.next;
  }

  private schedule(): void {
    if (!this.started) return;
    this.timer = setTimeout(() => void this.pollOnce().finally(() => this.schedule()), this.o.pollIntervalMs);
    this.timer.unref();
  }

  private async poll(): Promise<ConsentIndexerStatus> {
    const startedAt = this.o.clock();
    let applied = 0;
    let rewound = false;
    try {
      if (this.journal === undefined) await this.initialize();
      const head = await this.o.ledger.head();
      // Same tip as the last clean poll: no new block and no reorg (either changes the tip's
      // hash), so nothing to read or check. Keeps an idle poll at one RPC call: a full poll cost
      // ~20 ms of CPU, ~30 µs per request at the 250 ms embedded interval (measured in bench/).
      const previous = this.lastHead;
      if (previous !== null && previous.hash === head.hash && previous.number === head.number && this.lastError === undefined && this.unsettled === undefined) {
        this.setLastSuccess(startedAt);
        await this.saveSnapshot(false); // a throttled save may have come due
        this.reportFreshness();
        return this.status();
      }
      this.lastHead = head;
      const target = head.number - this.o.confirmations;
      rewound = await this.followForks();
      while (this.journal!.cursor.number < target) {
        const from = Math.max(this.journal!.cursor.number + 1, this.o.startBlock);
        const to = Math.min(target, from + this.o.pageSize - 1);
        applied += this.applyPage(await readLedgerPage(this.o.ledger, from, to, head.number - this.o.reorgWindow));
      }
      await this.suspendUnconfirmedRevocations(target, head);
      this.setLastSuccess(startedAt);
      this.lastError = undefined;
      this.unsettled = undefined;
      const cursor = toBlockRef(this.journal!.cursor);
      if (cursor !== null && (applied > 0 || rewound)) {
        this.emit({ kind: 'applied', cursor, events: applied });
        await this.publish(cursor);
      }
      await this.saveSnapshot(false);
    } catch (error) {
      this.lastError = error;
    }
    this.reportFreshness();
    return this.status();
  }

  /** Loads the base state: a snapshot still on the canonical chain, or nothing at startBlock − 1. */
  private async initialize(): Promise<void> {
    if (!this.modelChecked) {
      const model = await this.o.ledger.model();
      if (model !== this.o.model) {
        throw new CustosError('CONFIG_INVALID', `the consent registry runs the ${model} model, the gateway is configured for ${this.o.model}`);
      }
      this.modelChecked = true;
    }
    this.setLastSuccess(null);
    const base = await this.loadSnapshot();
    this.index = base?.index ?? new ConsentIndex();
    this.journal = new RewindJournal(this.o.reorgWindow, base?.cursor ?? { number: this.o.startBlock - 1, hash: null });
    this.savedCursor = base?.cursor;
  }

  private async loadSnapshot(): Promise<{ index: ConsentIndex; cursor: BlockRef } | null> {
    if (this.o.snapshotStore === undefined) return null;
    let raw: unknown;
    try {
      raw = await this.o.snapshotStore.load();
    } catch (error) {
      this.emit({ kind: 'warning', message: `cannot load the index snapshot (replaying from the chain): ${describe(error)}` });
      return null;
    }
    if (raw === null) return null;
    let snapshot;
    let index: ConsentIndex;
    try {
      snapshot = parseIndexSnapshot(raw);
      if (snapshot.model !== this.o.model || snapshot.startBlock !== this.o.startBlock) {
        this.emit({ kind: 'warning', message: 'the index snapshot belongs to another deployment (model or start block); ignored' });
        return null;
      }
      index = ConsentIndex.restore(snapshot.index);
    } catch (error) {
      this.emit({ kind: 'warning', message: `the index snapshot is unusable; ignored: ${describe(error)}` });
      return null;
    }
    // Ledger errors propagate: without the chain the snapshot cannot be validated.
    if ((await this.o.ledger.blockHash(snapshot.cursor.number)) !== snapshot.cursor.hash) {
      this.emit({ kind: 'warning', message: `the index snapshot's block ${snapshot.cursor.number} is no longer canonical (a reorg across the restart); ignored` });
      return null;
    }
    return { index, cursor: snapshot.cursor };
  }

  /** Detects that the applied blocks left the canonical chain and rewinds; true when it did. */
  private async followForks(): Promise<boolean> {
    const journal = this.journal!;
    const targets = journal.targets();
    const cursor = targets[0]!;
    if (cursor.hash === null || (await this.o.ledger.blockHash(cursor.number)) === cursor.hash) return false;

    this.setLastSuccess(null);
    this.unsettled = `a reorg replaced block ${cursor.number}: rewinding`;
    for (const target of targets.slice(1)) {
      if (target.hash === null || (await this.o.ledger.blockHash(target.number)) === target.hash) {
        const undone = journal.rewindTo(target, this.index);
        this.emit({ kind: 'rewound', from: toBlockRef(cursor)!, to: toBlockRef(target), undone });
        return true;
      }
    }
    const reason = `a reorg deeper than the ${this.o.reorgWindow}-block window replaced block ${cursor.number}: rebuilding`;
    this.unsettled = reason;
    this.emit({ kind: 'rebuilding', reason });
    await this.initialize();
    return true;
  }

  /** Applies a page all or nothing (the journal must match the index); returns the event count. */
  private applyPage(page: Awaited<ReturnType<typeof readLedgerPage>>): number {
    let done = 0;
    try {
      for (const event of page.events) {
        this.index.apply(event);
        done++;
      }
    } catch (error) {
      for (let i = done - 1; i >= 0; i--) this.index.unapply(page.events[i]!);
      throw error;
    }
    this.journal!.record(page.blocks);
    return done;
  }

  /** Revocations in blocks not yet confirmed bite at once; they are re-read every poll, so a dropped one lifts. */
  private async suspendUnconfirmedRevocations(target: number, head: BlockRef): Promise<void> {
    const from = Math.max(target, this.journal!.cursor.number) + 1;
    if (from > head.number) {
      this.index.suspend([]);
      return;
    }
    const pending = await this.o.ledger.events(from, head.number);
    this.index.suspend(pending.flatMap((e) => (e.kind === 'revoked' ? [e.grantId] : [])));
  }

  private async saveSnapshot(force: boolean): Promise<void> {
    const cursor = this.journal && toBlockRef(this.journal.cursor);
    if (this.o.snapshotStore === undefined || !cursor) return;
    if (this.savedCursor?.number === cursor.number && this.savedCursor.hash === cursor.hash) return;
    const now = this.o.clock();
    if (!force && now - this.lastSavedAt < this.o.snapshotIntervalMs) return;
    try {
      await this.o.snapshotStore.save({ version: 1, model: this.o.model, startBlock: this.o.startBlock, cursor, savedAt: now, index: this.index.serialize() });
      this.lastSavedAt = now;
      this.savedCursor = cursor;
    } catch (error) {
      this.emit({ kind: 'warning', message: `cannot save the index snapshot: ${describe(error)}` });
    }
  }

  private async publish(cursor: BlockRef): Promise<void> {
    if (this.o.changeFeed === undefined) return;
    try {
      await this.o.changeFeed.publishChange({ origin: this.o.instanceId, cursor });
    } catch (error) {
      this.emit({ kind: 'warning', message: `cannot publish the index change: ${describe(error)}` });
    }
  }

  /**
   * Records a successful poll (or forgets it: null) and arms the timer that ends freshness at the
   * deadline. The timer re-checks the clock when it fires (timers and clocks round differently)
   * and keeps running after stop(): a stopped indexer must go stale too.
   */
  private setLastSuccess(at: number | null): void {
    this.lastSuccessfulPollAt = at;
    clearTimeout(this.staleTimer);
    const check = (): void => {
      if (this.lastSuccessfulPollAt !== at) return;
      const remaining = at === null ? -1 : at + this.o.maxStalenessMs - this.o.clock();
      this.fresh = remaining >= 0;
      if (this.fresh) {
        this.staleTimer = setTimeout(check, remaining + 1);
        this.staleTimer.unref();
      } else if (at !== null) {
        this.reportFreshness();
      }
    };
    check();
  }

  private reportFreshness(): void {
    const status = this.status();
    if (status.stale === this.lastReportedStale) return;
    this.lastReportedStale = status.stale;
    this.emit({ kind: 'freshness', stale: status.stale, ...(status.reason !== undefined && { reason: status.reason }) });
  }

  private emit(change: ConsentIndexerChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's bug must not stop the index from following the chain.
      }
    }
  }
}
