/**
 * The port to the chain's AuditAnchor contract, as the audit core needs it (the ethers adapter,
 * `src/adapters/ledger/ethers-audit-anchor.ts`, implements it). Roots are `0x`-prefixed hex.
 */
export interface ChainCheckpoint {
  readonly index: number;
  readonly treeSize: bigint;
  readonly root: string;
  readonly blockNumber: number;
  readonly timestamp: number;
}

export interface AnchorResult {
  readonly index: number;
  readonly treeSize: bigint;
  readonly root: string;
  readonly transactionHash: string;
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly gasUsed: bigint;
}

export interface AuditAnchorPort {
  readonly chainId: number;
  readonly anchorAddress: string;
  /** Sends one checkpoint transaction and waits for its receipt. */
  anchor(treeSize: bigint, root: string): Promise<AnchorResult>;
  latest(): Promise<ChainCheckpoint | null>;
  count(): Promise<number>;
  /** Checkpoints with index in [from, to), clamped. */
  checkpoints(from: number, to: number): Promise<ChainCheckpoint[]>;
  findBySize(treeSize: bigint): Promise<ChainCheckpoint | null>;
  /** Where a checkpoint's transaction landed (from the contract's Checkpoint event), or null. */
  transactionOf(checkpoint: ChainCheckpoint): Promise<{ transactionHash: string; blockHash: string } | null>;
}
