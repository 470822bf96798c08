/**
 * The ConsentLedger port: what the policy core needs from the chain. The ethers adapter
 * (src/adapters/ledger/) implements it against the ConsentRegistry contract; an in-memory
 * implementation (memory-consent-ledger.ts) serves unit tests, and both pass one conformance suite.
 */
import type { Bytes32, ConsentEvent, ConsentModel, GrantInput } from './consent-model.js';

export interface Receipt {
  readonly grantId?: string;
  readonly transactionHash: Bytes32;
  readonly blockNumber: number;
}

/** EIP-712 signature of a patient over a grant, relayed by the gateway. */
export interface SignedGrant {
  readonly grant: GrantInput;
  /** The patient's account (the signer), bound to the subject on chain at first use. */
  readonly signer: string;
  readonly nonce: bigint;
  /** Unix seconds after which the signature is void. */
  readonly deadline: number;
  readonly signature: string;
}

export interface BlockRef {
  readonly number: number;
  readonly hash: Bytes32;
}

export interface ConsentLedger {
  /** The model the deployed registry was configured with. */
  model(): Promise<ConsentModel>;
  /** Records a grant as a registrar (the gateway's signer holds the registrar role). */
  grant(input: GrantInput): Promise<Receipt>;
  /** Relays a patient-signed grant. */
  grantBySignature(signed: SignedGrant): Promise<Receipt>;
  /** Revokes a grant (registrar, or the patient who signed it, via the same relay). */
  revoke(grantId: string): Promise<Receipt>;
  /** The next nonce the contract expects from a patient's account. */
  nonceOf(account: string): Promise<bigint>;

  // What the index reads.
  head(): Promise<BlockRef>;
  blockHash(number: number): Promise<Bytes32 | null>;
  /** Events in [fromBlock, toBlock], in chain order. */
  events(fromBlock: number, toBlock: number): Promise<ConsentEvent[]>;
}
