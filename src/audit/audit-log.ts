/**
 * The sequenced audit log as this gateway sees it: a Merkle tree mirror of the store's sequenced
 * leaf hashes, kept current by a background loop. The one instance holding the sequencer role
 * (`AuditStore.acquireSequencer`, elected through the database) gives new events their indices;
 * every other instance only follows. Proofs and tree heads are served from the mirror.
 *
 * Behind the request path (tessera's "append is not integrate"): a request waits for its event to
 * be durable, never for it to be sequenced or anchored.
 */
import { MerkleTree } from './merkle-tree.js';
import type { AuditStore } from './store.js';

export interface AuditLogOptions {
  readonly store: AuditStore;
  readonly intervalMs: number;
  /** Leaves sequenced or read per step. */
  readonly batch?: number;
  readonly onError?: (error: unknown) => void;
}

export interface TreeHead {
  readonly treeSize: number;
  /** `0x` + hex SHA-256. */
  readonly root: string;
}

export class AuditLog {
  readonly tree = new MerkleTree();
  private timer: NodeJS.Timeout | undefined;
  /** Every step runs after the previous one: two steps interleaving would append leaves twice. */
  private serial: Promise<unknown> = Promise.resolve();
  private nudged = false;
  private leader = false;
  private stopped = false;
  private lastError: unknown;

  constructor(private readonly options: AuditLogOptions) {}

  /** Loads every sequenced leaf, then keeps up in the background. */
  async start(): Promise<void> {
    await this.catchUp();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.serial;
  }

  get isSequencer(): boolean {
    return this.leader;
  }

  get size(): number {
    return this.tree.size;
  }

  head(size = this.tree.size): TreeHead {
    return { treeSize: size, root: toHex(this.tree.root(size)) };
  }

  /** False while the last step failed (the store is unreachable): for readiness and the console. */
  get healthy(): boolean {
    return this.lastError === undefined;
  }

  /** Runs a step soon (after a commit, so fresh events get their index without waiting a tick). */
  nudge(): void {
    if (this.stopped || this.nudged) return;
    this.nudged = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    void this.exclusive(async () => {
      this.nudged = false;
      await this.step();
    }).finally(() => this.schedule());
  }

  /** Sequences (as leader) or follows until nothing is left, then resolves; errors propagate. */
  catchUp(): Promise<void> {
    return this.exclusive(async () => {
      while (!this.stopped && (await this.stepOnce()) > 0);
    });
  }

  private exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.serial.then(fn, fn);
    this.serial = run.catch(() => undefined);
    return run;
  }

  private schedule(): void {
    if (this.stopped || this.timer || this.nudged) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.nudge();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  private async step(): Promise<void> {
    try {
      while (!this.stopped && (await this.stepOnce()) > 0);
      this.lastError = undefined;
    } catch (error) {
      if (this.lastError === undefined) this.options.onError?.(error);
      this.lastError = error;
    }
  }

  /** One batch: returns how many leaves joined the mirror. Only ever runs inside `exclusive`. */
  private async stepOnce(): Promise<number> {
    const { store } = this.options;
    const batch = this.options.batch ?? 5000;
    // Leaves sequenced by anyone (an earlier leader, another instance) come first.
    const size = await store.size();
    if (size < this.tree.size) throw new Error(`the audit store holds ${size} sequenced events, fewer than the ${this.tree.size} already in the log`);
    if (size > this.tree.size) {
      const want = Math.min(batch, size - this.tree.size);
      const leaves = await store.leaves(this.tree.size, want);
      if (leaves.length !== want) throw new Error(`the audit store returned ${leaves.length} leaves from ${this.tree.size}, ${want} expected`);
      this.tree.appendMany(leaves);
      return leaves.length;
    }
    this.leader = await store.acquireSequencer();
    if (!this.leader) return 0;
    const sequenced = await store.sequence(batch);
    for (const leaf of sequenced) {
      if (leaf.index !== this.tree.size) throw new Error(`the store sequenced leaf ${leaf.index} while the log holds ${this.tree.size}`);
      this.tree.append(leaf.leafHash);
    }
    return sequenced.length;
  }
}

export function toHex(hash: Uint8Array): string {
  return '0x' + Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex');
}
