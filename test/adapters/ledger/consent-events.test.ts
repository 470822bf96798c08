/**
 * What the consent index reads: events in chain order with exact positions, block hashes, the head,
 * and how a reorganisation looks (simulated with anvil's evm_snapshot / evm_revert).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Wallet } from 'ethers';
import { contractInterface } from '../../../src/adapters/ledger/contract-artifacts.js';
import { signTypedData } from '../../../src/adapters/ledger/eip712.js';
import { EthersConsentLedger } from '../../../src/adapters/ledger/ethers-consent-ledger.js';
import type { ChainPosition, ConsentEvent } from '../../../src/policy/consent-model.js';
import { chainNow, sampleGrant, useLedgerFixture } from './chain-fixture.js';

const fx = useLedgerFixture();

/** The position of the registry's log in a transaction, straight from the node's receipt. */
async function positionIn(transactionHash: string): Promise<ChainPosition> {
  const receipt = await fx.gateway.provider.getTransactionReceipt(transactionHash);
  const iface = contractInterface('ConsentRegistry');
  const topics = [iface.getEvent('ConsentGranted')!.topicHash, iface.getEvent('ConsentRevoked')!.topicHash];
  const log = receipt!.logs.find((l) => l.address === fx.record.consentRegistry && topics.includes(l.topics[0]!));
  assert.ok(log);
  return { blockNumber: log.blockNumber, blockHash: log.blockHash, transactionHash: log.transactionHash, logIndex: log.index };
}

describe('ConsentLedger reads for the index', () => {
  it('returns grants and revocations in chain order with their positions', async () => {
    const from = (await fx.ledger.head()).number + 1;
    const patient = Wallet.createRandom();
    const a = await fx.ledger.grant(sampleGrant());
    const b = await fx.ledger.grant(sampleGrant({ effect: 'deny' }));
    const ra = await fx.ledger.revoke(a.grantId!);
    const input = sampleGrant();
    const nonce = await fx.ledger.nonceOf(patient.address);
    const deadline = (await chainNow(fx.gateway)) + 600;
    const c = await fx.ledger.grantBySignature({
      grant: input, signer: patient.address, nonce, deadline,
      signature: await signTypedData(patient, fx.ledger.grantTypedData(input, nonce, deadline)),
    });
    const to = (await fx.ledger.head()).number;

    const events = await fx.ledger.events(from, to);
    assert.deepEqual(events.map(summary), [`granted ${a.grantId}`, `granted ${b.grantId}`, `revoked ${a.grantId}`, `granted ${c.grantId}`]);

    const [ea, eb, era, ec] = events as [ConsentEvent, ConsentEvent, ConsentEvent, ConsentEvent];
    assert.deepEqual(ea.position, await positionIn(a.transactionHash));
    assert.deepEqual(eb.position, await positionIn(b.transactionHash));
    assert.deepEqual(era.position, await positionIn(ra.transactionHash));
    assert.deepEqual(ec.position, await positionIn(c.transactionHash));
    assert.equal(ea.position.blockHash, a.blockHash);
    assert.equal(await fx.ledger.blockHash(ea.position.blockNumber), ea.position.blockHash);
    assert.ok(ea.kind === 'granted' && eb.kind === 'granted' && era.kind === 'revoked' && ec.kind === 'granted');
    assert.deepEqual(ea.grant.granted, ea.position);
    assert.equal(eb.grant.effect, 'deny');
    assert.equal(era.subject, ea.grant.subject);
    // the SubjectBound log in the same transaction is not a consent event, and the grant's log
    // index counts it
    assert.equal(ec.grant.via, 'patient-signature');
    assert.equal(ec.position.logIndex, 1);
    assert.deepEqual({ ...ec.grant, granted: undefined, id: undefined, recordedBy: undefined, via: undefined }, {
      ...input, granted: undefined, id: undefined, recordedBy: undefined, via: undefined,
    });
  });

  it('splits wide ranges into several getLogs calls without changing the answer', async () => {
    const head = (await fx.ledger.head()).number;
    const narrow = new EthersConsentLedger({ connection: fx.gateway, registryAddress: fx.record.consentRegistry, maxLogRange: 2 });
    assert.deepEqual(await narrow.events(fx.record.deployedAtBlock, head), await fx.ledger.events(fx.record.deployedAtBlock, head));
    assert.deepEqual(await fx.ledger.events(head + 1, head + 5), []);
    assert.deepEqual(await fx.ledger.events(5, 4), []);
  });

  it('reports the head and null for blocks that do not exist yet', async () => {
    const head = await fx.ledger.head();
    assert.match(head.hash, /^0x[0-9a-f]{64}$/);
    assert.equal(await fx.ledger.blockHash(head.number), head.hash);
    assert.equal(await fx.ledger.blockHash(head.number + 1000), null);
  });

  it('shows a reorganisation as a new hash at the same height (evm_snapshot / evm_revert)', async () => {
    const snapshot: string = await fx.gateway.provider.send('evm_snapshot', []);
    const orphaned = await fx.ledger.grant(sampleGrant());
    assert.equal(await fx.gateway.provider.send('evm_revert', [snapshot]), true);
    const replacement = await fx.ledger.grant(sampleGrant());

    assert.equal(replacement.blockNumber, orphaned.blockNumber, 'same height');
    assert.notEqual(replacement.blockHash, orphaned.blockHash, 'different block');
    assert.equal(replacement.grantId, orphaned.grantId, 'the id was handed out again');
    assert.equal(await fx.ledger.blockHash(orphaned.blockNumber), replacement.blockHash);
    const events = await fx.ledger.events(orphaned.blockNumber, orphaned.blockNumber);
    assert.deepEqual(events.map((e) => e.position.transactionHash), [replacement.transactionHash]);
  });
});

function summary(event: ConsentEvent): string {
  return event.kind === 'granted' ? `granted ${event.grant.id}` : `revoked ${event.grantId}`;
}
