/**
 * Shared fixtures for the consent-index tests: a memory ledger whose "signatures" are a named
 * mock (a SHA-256 over the signed fields: src/policy cannot do EIP-712), a manual clock, a spy
 * that records which blocks a ledger was asked for, and query builders.
 */
import { createHash } from 'node:crypto';
import { allBits, bitOf, CONSENT_ACTIONS, CONSENT_PURPOSES, CONSENT_RESOURCE_TYPES } from '../../../src/policy/consent-codes.js';
import type { Bytes32, ChainPosition, ConsentEvent, ConsentQuery, GrantInput } from '../../../src/policy/consent-model.js';
import type { ConsentLedger, SignedGrant } from '../../../src/policy/consents.js';
import { ConsentIndexer, type ConsentIndexerChange, type ConsentIndexerOptions } from '../../../src/policy/consent-indexer.js';
import { MemoryConsentLedger, type MemoryConsentLedgerOptions } from '../../../src/policy/memory-consent-ledger.js';
import type { TestPatient } from '../../support/consent-ledger-conformance.js';

/** MOCK signature: binds signer, nonce, deadline and every grant field, like EIP-712, without keys. */
export function mockSignature(signer: string, grant: GrantInput, nonce: bigint, deadline: number): string {
  const fields = [signer.toLowerCase(), nonce, deadline, grant.subject, grant.grantee, grant.effect, grant.resourceTypes,
    grant.actions, grant.purposes, grant.notBefore, grant.notAfter, grant.policyHash];
  return 'mock:' + createHash('sha256').update(fields.join('|')).digest('hex');
}

export const mockVerifySignature = (s: SignedGrant): boolean =>
  s.signature === mockSignature(s.signer, s.grant, s.nonce, s.deadline);

export function mockPatient(account: string): TestPatient {
  return {
    account,
    sign: async (grant, nonce, deadline) => ({ grant, signer: account, nonce, deadline, signature: mockSignature(account, grant, nonce, deadline) }),
  };
}

export function memoryLedger(options: MemoryConsentLedgerOptions = {}): MemoryConsentLedger {
  return new MemoryConsentLedger({ verifySignature: mockVerifySignature, ...options });
}

/** A clock the test moves by hand (milliseconds, like Date.now). */
export class ManualClock {
  constructor(public ms = 1_700_000_000_000) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A ledger that delegates to `inner` except for the methods given. */
export function wrapLedger(inner: ConsentLedger, overrides: Partial<ConsentLedger> = {}): ConsentLedger {
  return {
    model: () => inner.model(),
    grant: (i) => inner.grant(i),
    grantBySignature: (s) => inner.grantBySignature(s),
    revoke: (id) => inner.revoke(id),
    nonceOf: (a) => inner.nonceOf(a),
    head: () => inner.head(),
    blockHash: (n) => inner.blockHash(n),
    events: (from, to) => inner.events(from, to),
    ...overrides,
  };
}

/** Wraps a ledger and records every events() range asked for. */
export function spyLedger(inner: ConsentLedger): { ledger: ConsentLedger; ranges: Array<[number, number]> } {
  const ranges: Array<[number, number]> = [];
  const ledger = wrapLedger(inner, {
    events: (from, to) => {
      ranges.push([from, to]);
      return inner.events(from, to);
    },
  });
  return { ledger, ranges };
}

/** Readable pseudonyms: pseudonym('alice') is a valid, stable bytes32. */
export function pseudonym(label: string): Bytes32 {
  return '0x' + createHash('sha256').update(label).digest('hex');
}

export const TYPE = (name: string): number => bitOf(CONSENT_RESOURCE_TYPES, name);
export const ACTION = (name: string): number => bitOf(CONSENT_ACTIONS, name);
export const PURPOSE = (name: string): number => bitOf(CONSENT_PURPOSES, name);
export const mask = (...bits: number[]): bigint => bits.reduce((m, b) => m | (1n << BigInt(b)), 0n);

/** A permit of everything (every type, both actions, any purpose, no time bounds), then overrides. */
export function broadGrant(subject: Bytes32, grantee: Bytes32, overrides: Partial<GrantInput> = {}): GrantInput {
  return {
    subject,
    grantee,
    effect: 'permit',
    resourceTypes: allBits(CONSENT_RESOURCE_TYPES),
    actions: allBits(CONSENT_ACTIONS),
    purposes: allBits(CONSENT_PURPOSES),
    notBefore: 0,
    notAfter: 0,
    policyHash: '0x' + '00'.repeat(32),
    ...overrides,
  };
}

/** A read of Observations for treatment, now = 1_800_000_000 unless overridden. */
export function query(subject: Bytes32, grantees: readonly Bytes32[], overrides: Partial<ConsentQuery> = {}): ConsentQuery {
  return {
    subject,
    grantees,
    resourceTypeBit: TYPE('Observation'),
    actionBit: ACTION('read'),
    purposeBit: PURPOSE('TREAT'),
    now: 1_800_000_000,
    ...overrides,
  };
}

/** Builds ConsentEvents by hand, one per block, for the pure index tests. */
export class EventFactory {
  private block = 100;
  private id = 0;

  position(): ChainPosition {
    const n = this.block++;
    return { blockNumber: n, blockHash: pseudonym(`block ${n}`), transactionHash: pseudonym(`tx ${n}`), logIndex: 0 };
  }

  granted(input: GrantInput, via: 'registrar' | 'patient-signature' = 'registrar'): Extract<ConsentEvent, { kind: 'granted' }> {
    const position = this.position();
    const grant = { ...input, id: String(++this.id), recordedBy: '0x' + 'ab'.repeat(20), via, granted: position };
    return { kind: 'granted', grant, position };
  }

  revoked(granted: Extract<ConsentEvent, { kind: 'granted' }>): ConsentEvent {
    return { kind: 'revoked', grantId: granted.grant.id, subject: granted.grant.subject, position: this.position() };
  }
}

/** An indexer over `ledger` with test-friendly defaults: manual clock, 1 s polls, 5 s staleness bound. */
export function indexerFor(
  ledger: ConsentLedger,
  overrides: Partial<ConsentIndexerOptions> = {},
): { indexer: ConsentIndexer; clock: ManualClock; changes: ConsentIndexerChange[] } {
  const clock = new ManualClock();
  const indexer = new ConsentIndexer({
    ledger,
    model: 'opt-in',
    startBlock: 0,
    pollIntervalMs: 1_000,
    maxStalenessMs: 5_000,
    snapshotIntervalMs: 0,
    clock: clock.now,
    ...overrides,
  });
  const changes: ConsentIndexerChange[] = [];
  indexer.onChange((c) => changes.push(c));
  return { indexer, clock, changes };
}

/** The state an indexer built from scratch on `ledger` reaches: what any rewind must end up equal to. */
export async function freshState(ledger: ConsentLedger, overrides: Partial<ConsentIndexerOptions> = {}): Promise<string> {
  const { indexer } = indexerFor(ledger, { ...overrides, snapshotStore: undefined, changeFeed: undefined });
  const status = await indexer.pollOnce();
  if (status.stale) throw new Error(`fresh indexer failed: ${status.reason}`);
  return stateOf(indexer);
}

/** Every grant an indexer knows, with history, as comparable JSON. */
export function stateOf(indexer: ConsentIndexer): string {
  return JSON.stringify(indexer.exportState());
}
