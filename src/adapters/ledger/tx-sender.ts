/**
 * Sends the gateway's transactions one after another from one account, so no two ever share a
 * nonce, and waits for their receipts concurrently.
 *
 * Why not ethers' NonceManager: it increments its nonce before populating the transaction, so a
 * call that reverts during gas estimation (AlreadyRevoked, MissingRole, ... which we expect) leaves
 * a gap and every later transaction waits forever behind it. Here the nonce is read ('pending')
 * inside the critical section, after estimation succeeded, and the provider must not cache it
 * (`cacheTimeout: -1`, see chain-connection.ts). The section ends once the node has accepted the
 * transaction, so throughput is bounded by a few RPC round trips, not by block time.
 */
import type { BaseContract, ContractTransactionResponse, InterfaceAbi, TransactionReceipt, Wallet } from 'ethers';
import { ContractFactory } from 'ethers';
import { CustosError } from '../../errors.js';
import { toLedgerError } from './ledger-errors.js';

export interface TransactionSenderOptions {
  /** Blocks to wait for (at least 1: the transaction is mined). */
  readonly confirmations?: number;
  /** How long to wait for a receipt before giving up (the transaction may still be mined later). */
  readonly receiptTimeoutMs?: number;
}

export class TransactionSender {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly confirmations: number;
  private readonly receiptTimeoutMs: number;

  constructor(
    readonly signer: Wallet,
    options: TransactionSenderOptions = {},
  ) {
    this.confirmations = Math.max(1, options.confirmations ?? 1);
    this.receiptTimeoutMs = options.receiptTimeoutMs ?? 60_000;
  }

  /**
   * Calls `method` on `contract` as a transaction and resolves with its successful receipt; a revert
   * (at estimation, or after mining) rejects with the contract's custom error as a CustosError.
   */
  async call(contract: BaseContract, method: string, args: readonly unknown[], what: string): Promise<TransactionReceipt> {
    const fn = contract.getFunction(method);
    let response: ContractTransactionResponse;
    try {
      response = await this.exclusive(async () => fn.send(...args, { nonce: await this.pendingNonce() }));
    } catch (error) {
      throw toLedgerError(error, what, contract.interface);
    }
    const receipt = await this.receiptOf(response, what);
    if (receipt.status !== 1) {
      // Mined but reverted (state changed between estimation and mining): replay it at that block
      // to learn which custom error it hit.
      try {
        await fn.staticCall(...args, { blockTag: receipt.blockNumber, from: this.signer.address });
      } catch (error) {
        throw toLedgerError(error, what, contract.interface);
      }
      throw new CustosError('LEDGER_UNAVAILABLE', `cannot ${what}: the transaction reverted on chain`);
    }
    return receipt;
  }

  /** Deploys a contract; resolves with its address and deployment receipt. */
  async deploy(abi: InterfaceAbi, bytecode: string, args: readonly unknown[], what: string): Promise<{ address: string; receipt: TransactionReceipt }> {
    const factory = new ContractFactory(abi, bytecode, this.signer);
    let response: ContractTransactionResponse | null;
    try {
      const contract = await this.exclusive(async () => factory.deploy(...args, { nonce: await this.pendingNonce() }));
      response = contract.deploymentTransaction();
    } catch (error) {
      throw toLedgerError(error, what, factory.interface);
    }
    if (!response) throw new CustosError('INTERNAL', `cannot ${what}: no deployment transaction`);
    const receipt = await this.receiptOf(response, what);
    if (receipt.status !== 1 || !receipt.contractAddress) throw new CustosError('LEDGER_UNAVAILABLE', `cannot ${what}: the deployment reverted`);
    return { address: receipt.contractAddress, receipt };
  }

  private pendingNonce(): Promise<number> {
    return this.signer.getNonce('pending');
  }

  private async receiptOf(response: ContractTransactionResponse, what: string): Promise<TransactionReceipt> {
    try {
      const receipt = await response.wait(this.confirmations, this.receiptTimeoutMs);
      if (!receipt) throw new CustosError('LEDGER_UNAVAILABLE', `cannot ${what}: no receipt for transaction ${response.hash}`);
      return receipt;
    } catch (error) {
      const receipt = (error as { receipt?: TransactionReceipt | null }).receipt;
      // ethers rejects a mined-but-reverted transaction; hand its receipt back for decoding.
      if (receipt && receipt.status === 0) return receipt;
      const wrapped = toLedgerError(error, what);
      if (wrapped.code === 'LEDGER_UNAVAILABLE') {
        throw new CustosError('LEDGER_UNAVAILABLE', `${wrapped.message}; transaction ${response.hash} was submitted and may still be mined`, undefined, { cause: error });
      }
      throw wrapped;
    }
  }

  /** Runs tasks strictly one at a time, in call order; a failed task does not block the next. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
