/**
 * The consent indexer's memory of recently applied blocks, so a shallow reorg is undone in place
 * rather than by replaying the chain: checkpoints (block number + hash) of the last `depth`
 * blocks, each with the events applied since the previous checkpoint, newest last.
 *
 * Rewinding to checkpoint c undoes, newest first, every event recorded after c (ConsentIndex's
 * `unapply` is the exact inverse of `apply`). The oldest checkpoint is the deepest point it can
 * rewind to; a fork older than that means rebuilding from a snapshot or the start block.
 */
import type { ConsentEvent } from './consent-model.js';
import type { ConsentIndex } from './consent-index.js';

/** A block the index has applied up to; hash null = before the start block (nothing applied). */
export interface Cursor {
  readonly number: number;
  readonly hash: string | null;
}

interface Checkpoint {
  readonly ref: Cursor;
  events: readonly ConsentEvent[];
}

export class RewindJournal {
  private checkpoints: Checkpoint[];

  constructor(
    private readonly depth: number,
    base: Cursor,
  ) {
    this.checkpoints = [{ ref: base, events: [] }];
  }

  /** The last block applied. */
  get cursor(): Cursor {
    return this.checkpoints[this.checkpoints.length - 1]!.ref;
  }

  /** Rewind targets, newest first (the cursor first). */
  targets(): Cursor[] {
    return this.checkpoints.map((c) => c.ref).reverse();
  }

  /**
   * Records blocks just applied, in ascending order, each with the events it brought, then forgets
   * checkpoints deeper than `depth` below the newest.
   */
  record(blocks: ReadonlyArray<{ ref: Cursor; events: readonly ConsentEvent[] }>): void {
    for (const block of blocks) this.checkpoints.push({ ref: block.ref, events: block.events });
    const floor = this.cursor.number - this.depth;
    let base = 0;
    while (base + 1 < this.checkpoints.length && this.checkpoints[base + 1]!.ref.number <= floor) base++;
    if (base > 0) {
      this.checkpoints.splice(0, base);
      this.checkpoints[0]!.events = []; // never undone: nothing older to rewind to
    }
  }

  /** Undoes everything after `target` (one of targets()) in `index`; returns how many events were undone. */
  rewindTo(target: Cursor, index: ConsentIndex): number {
    const at = this.checkpoints.findIndex((c) => c.ref === target);
    if (at < 0) throw new RangeError('not a checkpoint of this journal');
    let undone = 0;
    while (this.checkpoints.length - 1 > at) {
      const checkpoint = this.checkpoints.pop()!;
      for (let i = checkpoint.events.length - 1; i >= 0; i--) index.unapply(checkpoint.events[i]!);
      undone += checkpoint.events.length;
    }
    return undone;
  }
}
