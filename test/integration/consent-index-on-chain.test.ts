/**
 * The consent index following the real ConsentRegistry on a real anvil node: a reorg made with
 * anvil's evm_snapshot / evm_revert is rewound, and an unreachable chain makes decisions fail
 * closed once the staleness bound has passed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectChain, type ChainConnection } from '../../src/adapters/ledger/chain-connection.js';
import { ensureDeployment } from '../../src/adapters/ledger/deploy.js';
import { localDeploymentFile, type DeploymentRecord } from '../../src/adapters/ledger/deployment-record.js';
import { EthersConsentLedger } from '../../src/adapters/ledger/ethers-consent-ledger.js';
import { startLocalChain, type LocalChain } from '../../src/adapters/ledger/local-chain.js';
import { CONSENT_ACTIONS, CONSENT_PURPOSES, CONSENT_RESOURCE_TYPES, allBits, bitOf } from '../../src/policy/consent-codes.js';
import { ConsentIndexer } from '../../src/policy/consent-indexer.js';
import type { GrantInput } from '../../src/policy/consent-model.js';
import { Pseudonymizer } from '../../src/policy/pseudonym.js';

const pseudonyms = new Pseudonymizer('integration-test-key-integration-test-key');
const subject = pseudonyms.of('subject', 'Patient/pat-001');
const grantee = (who: string) => pseudonyms.of('actor', who);
const grant = (who: string): GrantInput => ({
  subject, grantee: grantee(who), effect: 'permit',
  resourceTypes: allBits(CONSENT_RESOURCE_TYPES), actions: 1n, purposes: allBits(CONSENT_PURPOSES),
  notBefore: 0, notAfter: 0, policyHash: '0x' + '0'.repeat(64),
});

describe('consent index on a real chain', () => {
  let dataDir: string;
  let chain: LocalChain;
  let connection: ChainConnection;
  let deployment: DeploymentRecord;
  let ledger: EthersConsentLedger;
  let now = Date.now();

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'custos-index-chain-'));
    chain = await startLocalChain({ dataDir });
    connection = await connectChain({ rpcUrl: chain.rpcUrl, privateKey: chain.devKey(0) });
    deployment = (await ensureDeployment({ connection, model: 'opt-in', file: localDeploymentFile(dataDir) })).record;
    ledger = new EthersConsentLedger({ connection, registryAddress: deployment.consentRegistry });
  });
  after(async () => {
    connection.close();
    await chain.close();
  });

  const indexerFor = () => new ConsentIndexer({ ledger, model: 'opt-in', startBlock: deployment.deployedAtBlock, pollIntervalMs: 500, maxStalenessMs: 1_000, clock: () => now });
  const may = (indexer: ConsentIndexer, who: string) =>
    indexer.decide({
      subject, grantees: [grantee(who)], now: Math.floor(now / 1000),
      resourceTypeBit: bitOf(CONSENT_RESOURCE_TYPES, 'Observation'), actionBit: bitOf(CONSENT_ACTIONS, 'read'), purposeBit: bitOf(CONSENT_PURPOSES, 'TREAT'),
    });

  it('rewinds a reorg made with evm_snapshot / evm_revert', async () => {
    const indexer = indexerFor();
    await ledger.grant(grant('Practitioner/kept'));
    await indexer.pollOnce();
    assert.equal(may(indexer, 'Practitioner/kept').permitted, true);

    const snapshot = await connection.provider.send('evm_snapshot', []);
    await ledger.grant(grant('Practitioner/orphaned'));
    await indexer.pollOnce();
    assert.equal(may(indexer, 'Practitioner/orphaned').permitted, true, 'seen before the reorg');

    await connection.provider.send('evm_revert', [snapshot]);
    await ledger.grant(grant('Practitioner/replacement')); // same height, different block
    await indexer.pollOnce();
    const orphaned = may(indexer, 'Practitioner/orphaned');
    assert.equal(orphaned.permitted, false, 'a grant that only existed on the dropped fork no longer permits');
    assert.equal(may(indexer, 'Practitioner/replacement').permitted, true);
    assert.equal(may(indexer, 'Practitioner/kept').permitted, true, 'history before the fork is kept');
  });

  it('fails closed when the chain is unreachable beyond the staleness bound, and says why', async () => {
    const indexer = indexerFor();
    await indexer.pollOnce();
    assert.equal(may(indexer, 'Practitioner/kept').permitted, true);
    await chain.close(); // the chain goes away
    now += 500;
    await indexer.pollOnce();
    assert.equal(may(indexer, 'Practitioner/kept').permitted, true, 'within the bound: last confirmed state');
    now += 1_000;
    await indexer.pollOnce();
    const answer = may(indexer, 'Practitioner/kept');
    assert.deepEqual([answer.permitted, answer.rule], [false, 'index-stale']);
    const status = indexer.status();
    assert.equal(status.stale, true);
    assert.ok(status.reason && status.reason.length > 0, 'the status says why');
  });
});
