/**
 * A real anvil node per test file, in a temporary data directory, with both contracts deployed by
 * dev account 0 (admin, registrar and anchorer, like the embedded gateway). Other dev accounts play
 * outsiders; patients are fresh random wallets (they sign, the gateway relays and pays).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { type ChainConnection, connectChain } from '../../../src/adapters/ledger/chain-connection.js';
import { ensureDeployment } from '../../../src/adapters/ledger/deploy.js';
import { type DeploymentRecord, localDeploymentFile } from '../../../src/adapters/ledger/deployment-record.js';
import { EthersAuditAnchor } from '../../../src/adapters/ledger/ethers-audit-anchor.js';
import { EthersConsentLedger } from '../../../src/adapters/ledger/ethers-consent-ledger.js';
import { type LocalChain, startLocalChain } from '../../../src/adapters/ledger/local-chain.js';
import { CustosError, type CustosErrorCode } from '../../../src/errors.js';
import { CONSENT_PURPOSES, CONSENT_RESOURCE_TYPES, allBits } from '../../../src/policy/consent-codes.js';
import type { ConsentModel, GrantInput } from '../../../src/policy/consent-model.js';

export interface LedgerFixture {
  readonly dataDir: string;
  readonly chain: LocalChain;
  readonly record: DeploymentRecord;
  /** Dev account 0: admin of both contracts, registrar, anchorer. */
  readonly gateway: ChainConnection;
  readonly ledger: EthersConsentLedger;
  readonly anchor: EthersAuditAnchor;
  /** A connection for dev account `index` (closed after the file's tests). */
  connect(index: number): Promise<ChainConnection>;
}

export function useLedgerFixture(options: { model?: ConsentModel } = {}): LedgerFixture {
  const fixture = {} as { -readonly [K in keyof LedgerFixture]: LedgerFixture[K] };
  const connections: ChainConnection[] = [];
  before(async () => {
    fixture.dataDir = mkdtempSync(join(tmpdir(), 'custos-ledger-'));
    fixture.chain = await startLocalChain({ dataDir: fixture.dataDir });
    fixture.connect = async (index) => {
      const connection = await connectChain({ rpcUrl: fixture.chain.rpcUrl, privateKey: fixture.chain.devKey(index), chainId: fixture.chain.chainId });
      connections.push(connection);
      return connection;
    };
    fixture.gateway = await fixture.connect(0);
    const { record } = await ensureDeployment({ connection: fixture.gateway, model: options.model ?? 'opt-in', file: localDeploymentFile(fixture.dataDir) });
    fixture.record = record;
    fixture.ledger = new EthersConsentLedger({ connection: fixture.gateway, registryAddress: record.consentRegistry });
    fixture.anchor = new EthersAuditAnchor({ connection: fixture.gateway, anchorAddress: record.auditAnchor });
  });
  after(async () => {
    for (const connection of connections) connection.close();
    await fixture.chain?.close();
    if (fixture.dataDir) rmSync(fixture.dataDir, { recursive: true, force: true });
  });
  return fixture;
}

export function randomPseudonym(): string {
  return `0x${randomBytes(32).toString('hex')}`;
}

/** A read-only, every-type, any-purpose permit for a fresh subject and grantee, unless overridden. */
export function sampleGrant(overrides: Partial<GrantInput> = {}): GrantInput {
  return {
    subject: randomPseudonym(),
    grantee: randomPseudonym(),
    effect: 'permit',
    resourceTypes: allBits(CONSENT_RESOURCE_TYPES),
    actions: 1n,
    purposes: allBits(CONSENT_PURPOSES),
    notBefore: 0,
    notAfter: 0,
    policyHash: `0x${'ab'.repeat(32)}`,
    ...overrides,
  };
}

/** Asserts the exact CustosError code and, for contract reverts, the decoded custom error. */
export async function rejectsWith(promise: Promise<unknown>, code: CustosErrorCode, ledgerError?: string): Promise<CustosError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CustosError, `expected a CustosError, got ${String(error)}`);
    assert.equal(error.code, code, `code (message: ${error.message})`);
    if (ledgerError !== undefined) assert.equal(error.details?.['ledgerError'], ledgerError, `custom error (message: ${error.message})`);
    return error;
  }
  assert.fail(`expected ${code}${ledgerError ? ` (${ledgerError})` : ''}, but it succeeded`);
}

/** The chain's current time (anvil's block timestamps follow the wall clock, but ask the chain). */
export async function chainNow(connection: ChainConnection): Promise<number> {
  const block = await connection.provider.getBlock('latest');
  return block!.timestamp;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
