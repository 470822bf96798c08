/**
 * The ConsentLedger port's in-memory implementation, for unit tests (the embedded gateway runs a
 * real chain, anvil). It mines its own "blocks" with hashes chained from their parents, applies the
 * ConsentRegistry's rules (grant-rules.ts, ids sequential from 1, revoking twice is a CONFLICT, an
 * unknown grant NOT_FOUND, the EIP-712 nonce and subject binding), and passes the same conformance
 * suite as the ethers adapter (test/support/consent-ledger-conformance.ts).
 *
 * Test hooks, named as such: manual mining (`setAutoMine(false)` + `mine()` to put several
 * transactions in one block, `mine(n)` for empty blocks), `dropBlocks(n)` to simulate a reorg (the
 * dropped transactions come back so a test can re-include some on the new fork), and
 * `setReachable(false)` to simulate an outage.
 *
 * It cannot check EIP-712 signatures (that needs ethers, and src/policy stays free of it): pass
 * `verifySignature`. Without one, every signed grant is refused: failing closed, even in a fake.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CustosError } from '../errors.js';
import type { Bytes32, ChainPosition, ConsentEvent, ConsentModel, GrantInput } from './consent-model.js';
import type { BlockRef, ConsentLedger, Receipt, SignedGrant } from './consents.js';
import { isGrantId, isUint } from './consent-checks.js';
import { checkGrantInput } from './grant-rules.js';

export interface MemoryConsentLedgerOptions {
  /** Default 'opt-in'. */
  readonly model?: ConsentModel;
  /** Block time, unix seconds. Default: the wall clock. */
  readonly clock?: () => number;
  /** The gateway's registrar account, recorded as `recordedBy` of registrar grants. */
  readonly registrar?: string;
  /** Stands in for EIP-712 recovery: true when `signed.signature` is `signed.signer`'s over the grant. */
  readonly verifySignature?: (signed: SignedGrant) => boolean;
}

/** A transaction a simulated reorg dropped; re-submit `input` to include it on the new fork. */
export type DroppedTransaction =
  | { readonly kind: 'grant'; readonly grantId: string; readonly input: GrantInput; readonly via: 'patient-signature' | 'registrar' }
  | { readonly kind: 'revoke'; readonly grantId: string };

type GrantedEvent = Extract<ConsentEvent, { kind: 'granted' }>;
type RecordedGrant = GrantedEvent['grant'];
/** What a transaction does, before mining gives it a position. */
type Intent =
  | { readonly kind: 'granted'; readonly grant: Omit<RecordedGrant, 'granted'> }
  | { readonly kind: 'revoked'; readonly grantId: string; readonly subject: Bytes32 };

interface Block {
  readonly number: number;
  readonly hash: Bytes32;
  readonly events: readonly ConsentEvent[];
}

interface PendingTransaction {
  readonly intent: Intent;
  readonly transactionHash: Bytes32;
  readonly settle: (receipt: Receipt) => void;
}

/** The contract's storage, rebuilt from the surviving blocks after a simulated reorg. */
class RegistryState {
  readonly grants = new Map<string, { subject: Bytes32; revoked: boolean }>();
  readonly nonces = new Map<string, bigint>();
  readonly patientOf = new Map<Bytes32, string>();
  grantCount = 0n;

  apply(intent: Intent): void {
    if (intent.kind === 'revoked') {
      this.grants.get(intent.grantId)!.revoked = true;
      return;
    }
    const { grant } = intent;
    this.grantCount = BigInt(grant.id);
    this.grants.set(grant.id, { subject: grant.subject, revoked: false });
    if (grant.via === 'patient-signature') {
      this.nonces.set(grant.recordedBy, (this.nonces.get(grant.recordedBy) ?? 0n) + 1n);
      this.patientOf.set(grant.subject, grant.recordedBy);
    }
  }
}

const DEFAULT_REGISTRAR = '0x00000000000000000000000000000000c0575e55';

function sha256(...parts: Array<string | number>): Bytes32 {
  return '0x' + createHash('sha256').update(parts.join('|')).digest('hex');
}

function unavailable(): CustosError {
  return new CustosError('LEDGER_UNAVAILABLE', 'the consent ledger is unreachable (simulated outage)');
}

export class MemoryConsentLedger implements ConsentLedger {
  private readonly consentModel: ConsentModel;
  private readonly clock: () => number;
  private readonly registrar: string;
  private readonly verifySignature: (signed: SignedGrant) => boolean;
  /** Makes this instance's hashes unlike any other's, as two chains' would be. */
  private readonly chainSeed = randomBytes(8).toString('hex');
  private readonly blocks: Block[] = [];
  private pending: PendingTransaction[] = [];
  private state = new RegistryState();
  private mined = 0;
  private autoMine = true;
  private reachable = true;

  constructor(options: MemoryConsentLedgerOptions = {}) {
    this.consentModel = options.model ?? 'opt-in';
    this.clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
    this.registrar = (options.registrar ?? DEFAULT_REGISTRAR).toLowerCase();
    this.verifySignature = options.verifySignature ?? (() => false);
    this.mine(); // genesis, block 0
  }

  async model(): Promise<ConsentModel> {
    this.assertReachable();
    return this.consentModel;
  }

  async grant(input: GrantInput): Promise<Receipt> {
    this.assertReachable();
    checkGrantInput(input, this.clock());
    return this.submit({ kind: 'granted', grant: this.recordOf(input, this.registrar, 'registrar') });
  }

  async grantBySignature(signed: SignedGrant): Promise<Receipt> {
    this.assertReachable();
    const now = this.clock();
    // Same order of checks as the contract (_useSignature, then the binding, then _record).
    if (!isUint(signed.deadline) || now > signed.deadline) throw new CustosError('INVALID_REQUEST', 'the signature has expired: sign again with a later deadline');
    if (!this.verifySignature(signed)) throw new CustosError('FORBIDDEN', 'the signature is not the signer\'s signature over this grant');
    const signer = signed.signer.toLowerCase();
    const expected = this.state.nonces.get(signer) ?? 0n;
    if (signed.nonce !== expected) throw new CustosError('CONFLICT', `the signature uses nonce ${signed.nonce}, the registry expects ${expected}: sign again`);
    const bound = this.state.patientOf.get(signed.grant.subject);
    if (bound !== undefined && bound !== signer) throw new CustosError('FORBIDDEN', 'this subject is bound to another patient account');
    checkGrantInput(signed.grant, now);
    return this.submit({ kind: 'granted', grant: this.recordOf(signed.grant, signer, 'patient-signature') });
  }

  async revoke(grantId: string): Promise<Receipt> {
    this.assertReachable();
    const grant = isGrantId(grantId) ? this.state.grants.get(grantId) : undefined;
    if (grant === undefined) throw new CustosError('NOT_FOUND', `there is no grant ${String(grantId).slice(0, 80)}`);
    if (grant.revoked) throw new CustosError('CONFLICT', `grant ${grantId} is already revoked`);
    return this.submit({ kind: 'revoked', grantId, subject: grant.subject });
  }

  async nonceOf(account: string): Promise<bigint> {
    this.assertReachable();
    return this.state.nonces.get(account.toLowerCase()) ?? 0n;
  }

  async head(): Promise<BlockRef> {
    this.assertReachable();
    const last = this.blocks[this.blocks.length - 1]!;
    return { number: last.number, hash: last.hash };
  }

  async blockHash(number: number): Promise<Bytes32 | null> {
    this.assertReachable();
    return (Number.isSafeInteger(number) && this.blocks[number]?.hash) || null;
  }

  async events(fromBlock: number, toBlock: number): Promise<ConsentEvent[]> {
    this.assertReachable();
    if (!Number.isSafeInteger(fromBlock) || !Number.isSafeInteger(toBlock)) {
      throw new CustosError('INVALID_REQUEST', 'block numbers must be integers');
    }
    const out: ConsentEvent[] = [];
    const last = Math.min(toBlock, this.blocks.length - 1);
    for (let n = Math.max(fromBlock, 0); n <= last; n++) out.push(...this.blocks[n]!.events);
    return out;
  }

  // ---- test hooks ------------------------------------------------------------------------------

  /** Off: transactions wait in a pending block until `mine()`, so several land in one block. */
  setAutoMine(on: boolean): void {
    this.autoMine = on;
    if (on && this.pending.length > 0) this.mine();
  }

  /** Mines `count` blocks; the first holds every pending transaction, the others are empty. */
  mine(count = 1): void {
    for (let i = 0; i < count; i++) {
      const txs = this.pending;
      this.pending = [];
      const number = this.blocks.length;
      const parent = this.blocks[number - 1]?.hash ?? '0x';
      const hash = sha256('block', this.chainSeed, parent, number, this.mined++);
      const events = txs.map((tx, logIndex) =>
        withPosition(tx.intent, { blockNumber: number, blockHash: hash, transactionHash: tx.transactionHash, logIndex }),
      );
      this.blocks.push(Object.freeze({ number, hash, events: Object.freeze(events) }));
      for (const tx of txs) {
        const grantId = tx.intent.kind === 'granted' ? tx.intent.grant.id : undefined;
        tx.settle({ ...(grantId !== undefined && { grantId }), transactionHash: tx.transactionHash, blockNumber: number });
      }
    }
  }

  /**
   * Simulates a reorg: forgets the last `depth` blocks, as if the chain had switched to a fork
   * without them, and returns their transactions in chain order. Blocks mined afterwards get new
   * hashes, so the heights are reused with different blocks, as on a real fork.
   */
  dropBlocks(depth: number): DroppedTransaction[] {
    if (this.pending.length > 0) throw new Error('mine the pending transactions before dropping blocks');
    if (!Number.isSafeInteger(depth) || depth < 1 || depth >= this.blocks.length) {
      throw new RangeError(`can drop 1..${this.blocks.length - 1} blocks (the genesis block stays)`);
    }
    const dropped = this.blocks.splice(this.blocks.length - depth, depth);
    this.state = new RegistryState();
    for (const block of this.blocks) for (const event of block.events) this.state.apply(event);
    return dropped.flatMap((block) => block.events.map(toDropped));
  }

  /** Off: every port method throws CustosError('LEDGER_UNAVAILABLE'); the hooks keep working. */
  setReachable(reachable: boolean): void {
    this.reachable = reachable;
  }

  // ---- internals -------------------------------------------------------------------------------

  private assertReachable(): void {
    if (!this.reachable) throw unavailable();
  }

  private recordOf(input: GrantInput, recordedBy: string, via: RecordedGrant['via']): Omit<RecordedGrant, 'granted'> {
    return {
      id: String(this.state.grantCount + 1n),
      subject: input.subject,
      grantee: input.grantee,
      effect: input.effect,
      resourceTypes: input.resourceTypes,
      actions: input.actions,
      purposes: input.purposes,
      notBefore: input.notBefore,
      notAfter: input.notAfter,
      policyHash: input.policyHash,
      recordedBy,
      via,
    };
  }

  /** Executes the transaction now (later ones see its effects, as in a block) and waits for mining. */
  private submit(intent: Intent): Promise<Receipt> {
    this.state.apply(intent);
    const transactionHash = sha256('tx', this.chainSeed, this.mined, this.pending.length, intent.kind);
    const receipt = new Promise<Receipt>((settle) => this.pending.push({ intent, transactionHash, settle }));
    if (this.autoMine) this.mine();
    return receipt;
  }
}

function withPosition(intent: Intent, position: ChainPosition): ConsentEvent {
  if (intent.kind === 'revoked') return Object.freeze({ ...intent, position });
  return Object.freeze({ kind: 'granted', grant: Object.freeze({ ...intent.grant, granted: position }), position });
}

function toDropped(event: ConsentEvent): DroppedTransaction {
  if (event.kind === 'revoked') return { kind: 'revoke', grantId: event.grantId };
  const { id, recordedBy: _by, via, granted: _at, ...input } = event.grant;
  return { kind: 'grant', grantId: id, input, via };
}
