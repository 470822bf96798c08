/**
 * The ConsentLedger port (src/policy/consents.ts) on a deployed ConsentRegistry, through ethers.
 * Writes go through the connection's TransactionSender (one nonce sequence per account) and resolve
 * once mined; contract errors arrive as CustosErrors (ledger-errors.ts). Reads for the consent
 * index (`head`, `blockHash`, `events`) are plain RPC calls: the index decides about confirmations
 * and reorgs.
 */
import { Contract, type TransactionReceipt } from 'ethers';
import { CustosError } from '../../errors.js';
import type { Bytes32, ConsentEvent, ConsentModel, GrantInput } from '../../policy/consent-model.js';
import type { BlockRef, ConsentLedger, Receipt, SignedGrant } from '../../policy/consents.js';
import type { ChainConnection } from './chain-connection.js';
import { contractInterface } from './contract-artifacts.js';
import {
  type Eip712Domain,
  type GrantTypedData,
  type RevokeTypedData,
  buildGrantTypedData,
  buildRevokeTypedData,
  registryDomain,
} from './eip712.js';
import { decodeConsentLog, toGrantRequest } from './grant-codec.js';
import { toLedgerError } from './ledger-errors.js';
import { REGISTRAR_ROLE } from './roles.js';

/** A patient's EIP-712 `Revoke` signature, relayed by the gateway (counterpart of SignedGrant). */
export interface SignedRevoke {
  readonly grantId: string;
  /** The patient account the grant's subject is bound to. */
  readonly signer: string;
  readonly nonce: bigint;
  /** Unix seconds after which the signature is void. */
  readonly deadline: number;
  readonly signature: string;
}

/** What the adapter returns beyond the port's Receipt (gas for the operators' numbers). */
export interface LedgerReceipt extends Receipt {
  readonly blockHash: Bytes32;
  readonly gasUsed: bigint;
}

export interface EthersConsentLedgerOptions {
  readonly connection: ChainConnection;
  readonly registryAddress: string;
  /** Widest block range per eth_getLogs (Besu caps ranges; 1000 suits it and anvil alike). */
  readonly maxLogRange?: number;
}

const MODELS: readonly ConsentModel[] = ['opt-in', 'opt-out'];

export class EthersConsentLedger implements ConsentLedger {
  readonly registryAddress: string;
  private readonly connection: ChainConnection;
  private readonly registry: Contract;
  private readonly maxLogRange: number;
  private readonly eventTopics: string[];
  private cachedModel: ConsentModel | undefined;

  constructor(options: EthersConsentLedgerOptions) {
    this.connection = options.connection;
    this.registryAddress = options.registryAddress;
    const iface = contractInterface('ConsentRegistry');
    this.registry = new Contract(options.registryAddress, iface, options.connection.signer);
    this.maxLogRange = Math.max(1, options.maxLogRange ?? 1000);
    this.eventTopics = [iface.getEvent('ConsentGranted')!.topicHash, iface.getEvent('ConsentRevoked')!.topicHash];
  }

  /** Fixed at deployment, so read once. */
  async model(): Promise<ConsentModel> {
    if (!this.cachedModel) {
      const ordinal = Number(await this.read('read the consent model', () => this.registry.getFunction('model').staticCall()));
      const model = MODELS[ordinal];
      if (!model) throw new CustosError('LEDGER_UNAVAILABLE', `the registry reports an unknown consent model (${ordinal})`);
      this.cachedModel = model;
    }
    return this.cachedModel;
  }

  async grant(input: GrantInput): Promise<LedgerReceipt> {
    const receipt = await this.send('grant', [toGrantRequest(input)], 'record the grant');
    return this.withGrantId(receipt);
  }

  async grantBySignature(signed: SignedGrant): Promise<LedgerReceipt> {
    const args = [toGrantRequest(signed.grant), signed.signer, signed.nonce, signed.deadline, signed.signature];
    const receipt = await this.send('grantBySignature', args, 'record the patient-signed grant');
    return this.withGrantId(receipt);
  }

  async revoke(grantId: string): Promise<LedgerReceipt> {
    return { grantId, ...toReceipt(await this.send('revoke', [parseId(grantId)], `revoke grant ${grantId}`)) };
  }

  async revokeBySignature(signed: SignedRevoke): Promise<LedgerReceipt> {
    const args = [parseId(signed.grantId), signed.signer, signed.nonce, signed.deadline, signed.signature];
    return { grantId: signed.grantId, ...toReceipt(await this.send('revokeBySignature', args, `revoke grant ${signed.grantId} by the patient's signature`)) };
  }

  async nonceOf(account: string): Promise<bigint> {
    return this.read('read the signer nonce', () => this.registry.getFunction('nonces').staticCall(account));
  }

  /** The patient account a subject is bound to, or null before her first signed grant. */
  async subjectAccount(subject: Bytes32): Promise<string | null> {
    const account: string = await this.read('read the subject binding', () => this.registry.getFunction('patientOf').staticCall(subject));
    return /^0x0{40}$/.test(account) ? null : account;
  }

  domain(): Eip712Domain {
    return registryDomain(this.connection.chainId, this.registryAddress);
  }

  /** The typed data a patient signs for `grant` (feed `nonce` from nonceOf(her account)). */
  grantTypedData(grant: GrantInput, nonce: bigint, deadline: number): GrantTypedData {
    return buildGrantTypedData(this.domain(), grant, nonce, deadline);
  }

  revokeTypedData(grantId: string, nonce: bigint, deadline: number): RevokeTypedData {
    return buildRevokeTypedData(this.domain(), grantId, nonce, deadline);
  }

  // Roles: only the registry admin may change them.
  async addRegistrar(account: string): Promise<LedgerReceipt> {
    return toReceipt(await this.send('grantRole', [REGISTRAR_ROLE, account], 'add the registrar'));
  }

  async removeRegistrar(account: string): Promise<LedgerReceipt> {
    return toReceipt(await this.send('revokeRole', [REGISTRAR_ROLE, account], 'remove the registrar'));
  }

  async isRegistrar(account: string): Promise<boolean> {
    return this.read('read the registrar role', () => this.registry.getFunction('hasRole').staticCall(REGISTRAR_ROLE, account));
  }

  async head(): Promise<BlockRef> {
    const block = await this.read('read the latest block', () => this.connection.provider.getBlock('latest'));
    if (!block?.hash) throw new CustosError('LEDGER_UNAVAILABLE', 'the chain node returned no latest block');
    return { number: block.number, hash: block.hash };
  }

  async blockHash(number: number): Promise<Bytes32 | null> {
    const block = await this.read('read a block hash', () => this.connection.provider.getBlock(number));
    return block?.hash ?? null;
  }

  /** ConsentGranted and ConsentRevoked logs in [fromBlock, toBlock], in chain order; blocks beyond the head have none. */
  async events(fromBlock: number, toBlock: number): Promise<ConsentEvent[]> {
    if (!Number.isSafeInteger(fromBlock) || !Number.isSafeInteger(toBlock) || fromBlock < 0) {
      throw new CustosError('INVALID_REQUEST', 'block numbers must be non-negative integers');
    }
    if (fromBlock > toBlock) return [];
    // anvil refuses ranges past its head (Besu answers them empty): clamp to one behaviour.
    const last = Math.min(toBlock, await this.read('read the block number', () => this.connection.provider.getBlockNumber()));
    const iface = this.registry.interface;
    const events: ConsentEvent[] = [];
    for (let start = fromBlock; start <= last; start += this.maxLogRange) {
      const end = Math.min(last, start + this.maxLogRange - 1);
      const logs = await this.read('read consent events', () =>
        this.connection.provider.getLogs({ address: this.registryAddress, fromBlock: start, toBlock: end, topics: [this.eventTopics] }),
      );
      // Nodes return logs in chain order already; sorting makes that a guarantee, not an assumption.
      logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
      for (const log of logs) {
        const event = decodeConsentLog(iface, log);
        if (event) events.push(event);
      }
    }
    return events;
  }

  private send(method: string, args: readonly unknown[], what: string): Promise<TransactionReceipt> {
    return this.connection.sender.call(this.registry, method, args, what);
  }

  private async read<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw toLedgerError(error, what, this.registry.interface);
    }
  }

  private withGrantId(receipt: TransactionReceipt): LedgerReceipt {
    const granted = this.registry.interface.getEvent('ConsentGranted')!;
    for (const log of receipt.logs) {
      if (log.topics[0] !== granted.topicHash || log.address.toLowerCase() !== this.registryAddress.toLowerCase()) continue;
      return { grantId: BigInt(log.topics[1]!).toString(), ...toReceipt(receipt) };
    }
    throw new CustosError('INTERNAL', `transaction ${receipt.hash} recorded no ConsentGranted event`);
  }
}

function toReceipt(receipt: TransactionReceipt): LedgerReceipt {
  return { transactionHash: receipt.hash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, gasUsed: receipt.gasUsed };
}

function parseId(grantId: string): bigint {
  if (!/^\d{1,78}$/.test(grantId)) throw new CustosError('INVALID_REQUEST', 'a grant id is a decimal number');
  return BigInt(grantId);
}
