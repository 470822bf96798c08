/**
 * Client of the AuditAnchor contract: anchors (treeSize, root) checkpoints of the audit log's RFC
 * 9162 Merkle tree and reads them back for verification. Tree sizes are bigints (uint64 on chain),
 * like the Merkle code's indices.
 */
import { Contract, type Result, type TransactionReceipt } from 'ethers';
import type { AuditAnchorPort } from '../../audit/anchor.js';
import type { Bytes32 } from '../../policy/consent-model.js';
import type { ChainConnection } from './chain-connection.js';
import { contractInterface } from './contract-artifacts.js';
import { toLedgerError } from './ledger-errors.js';
import { ANCHORER_ROLE } from './roles.js';

export interface AnchoredCheckpoint {
  /** Position in the contract's checkpoint list (0-based). */
  readonly index: number;
  readonly treeSize: bigint;
  readonly root: Bytes32;
  /** The block that anchored it, and that block's timestamp (Unix seconds). */
  readonly blockNumber: number;
  readonly timestamp: number;
}

export interface AnchorReceipt {
  readonly index: number;
  readonly treeSize: bigint;
  readonly root: Bytes32;
  readonly transactionHash: Bytes32;
  readonly blockNumber: number;
  readonly blockHash: Bytes32;
  readonly gasUsed: bigint;
}

export interface RoleReceipt {
  readonly transactionHash: Bytes32;
  readonly blockNumber: number;
}

export class EthersAuditAnchor implements AuditAnchorPort {
  readonly anchorAddress: string;
  readonly chainId: number;
  private readonly connection: ChainConnection;
  private readonly contract: Contract;

  constructor(options: { readonly connection: ChainConnection; readonly anchorAddress: string }) {
    this.connection = options.connection;
    this.anchorAddress = options.anchorAddress;
    this.chainId = options.connection.chainId;
    this.contract = new Contract(options.anchorAddress, contractInterface('AuditAnchor'), options.connection.signer);
  }

  /** Anchors a tree head; the size must exceed the latest anchored one (else CONFLICT). */
  async anchor(treeSize: bigint | number, root: Bytes32): Promise<AnchorReceipt> {
    const size = BigInt(treeSize);
    const receipt = await this.connection.sender.call(this.contract, 'anchor', [size, root], `anchor checkpoint ${size}`);
    const event = this.contract.interface.getEvent('Checkpoint')!;
    const log = receipt.logs.find((l) => l.topics[0] === event.topicHash);
    const index = log ? Number(BigInt(log.topics[2]!)) : -1;
    return { index, treeSize: size, root, transactionHash: receipt.hash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, gasUsed: receipt.gasUsed };
  }

  /** The latest checkpoint, or null before the first. */
  async latest(): Promise<AnchoredCheckpoint | null> {
    const count = await this.count();
    return count === 0 ? null : this.at(count - 1);
  }

  async count(): Promise<number> {
    return Number(await this.read<bigint>('count checkpoints', 'checkpointCount'));
  }

  async at(index: number): Promise<AnchoredCheckpoint> {
    return toCheckpoint(index, await this.read<Result>(`read checkpoint ${index}`, 'checkpointAt', index));
  }

  /** Checkpoints with index in [from, to), like Array.prototype.slice, clamped to what exists. */
  async checkpoints(from: number, to: number): Promise<AnchoredCheckpoint[]> {
    const range = await this.read<Result>('read checkpoints', 'checkpointRange', from, to);
    return Array.from(range, (entry, i) => toCheckpoint(from + i, entry as Result));
  }

  /** The checkpoint anchored for exactly this tree size, or null (what a verifier checks a report against). */
  async findBySize(treeSize: bigint | number): Promise<AnchoredCheckpoint | null> {
    const [found, index, checkpoint] = await this.read<Result>('find a checkpoint', 'findBySize', BigInt(treeSize));
    return found ? toCheckpoint(Number(index), checkpoint as Result) : null;
  }

  /** The transaction that anchored a checkpoint, found through its Checkpoint event (indexed by tree size and index). */
  async transactionOf(checkpoint: { readonly index: number; readonly treeSize: bigint; readonly blockNumber: number }): Promise<{ transactionHash: string; blockHash: string } | null> {
    try {
      const filter = this.contract.filters['Checkpoint']!(checkpoint.treeSize, null, checkpoint.index);
      const logs = await this.contract.queryFilter(filter, checkpoint.blockNumber, checkpoint.blockNumber);
      const log = logs[0];
      return log ? { transactionHash: log.transactionHash, blockHash: log.blockHash } : null;
    } catch (error) {
      throw toLedgerError(error, 'find a checkpoint transaction', this.contract.interface);
    }
  }

  // Roles: only the contract admin may change them.
  async addAnchorer(account: string): Promise<RoleReceipt> {
    return toRoleReceipt(await this.connection.sender.call(this.contract, 'grantRole', [ANCHORER_ROLE, account], 'add the anchorer'));
  }

  async removeAnchorer(account: string): Promise<RoleReceipt> {
    return toRoleReceipt(await this.connection.sender.call(this.contract, 'revokeRole', [ANCHORER_ROLE, account], 'remove the anchorer'));
  }

  async isAnchorer(account: string): Promise<boolean> {
    return this.read<boolean>('read the anchorer role', 'hasRole', ANCHORER_ROLE, account);
  }

  private async read<T>(what: string, method: string, ...args: unknown[]): Promise<T> {
    try {
      return (await this.contract.getFunction(method).staticCall(...args)) as T;
    } catch (error) {
      throw toLedgerError(error, what, this.contract.interface);
    }
  }
}

/** One entry of the contract's checkpoint list as the chain returns it (also read by checkpoint-reader.ts). */
export function toCheckpoint(index: number, raw: Result): AnchoredCheckpoint {
  return {
    index,
    root: String(raw[0]).toLowerCase(),
    treeSize: BigInt(raw[1] as bigint),
    blockNumber: Number(raw[2]),
    timestamp: Number(raw[3]),
  };
}

function toRoleReceipt(receipt: TransactionReceipt): RoleReceipt {
  return { transactionHash: receipt.hash, blockNumber: receipt.blockNumber };
}
