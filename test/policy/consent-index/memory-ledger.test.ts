import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consentLedgerConformance, grantInput, rejectsWithCode } from '../../support/consent-ledger-conformance.js';
import { memoryLedger, mockPatient } from './helpers.js';

consentLedgerConformance('memory', async () => ({
  ledger: memoryLedger(),
  close: async () => undefined,
  patients: [mockPatient('0x' + '11'.repeat(20)), mockPatient('0x' + '22'.repeat(20))],
}));

describe('MemoryConsentLedger test hooks', () => {
  it('puts several transactions in one block when auto-mining is off', async () => {
    const ledger = memoryLedger();
    ledger.setAutoMine(false);
    const a = ledger.grant(grantInput());
    const b = ledger.grant(grantInput());
    ledger.mine();
    const [ra, rb] = await Promise.all([a, b]);
    assert.equal(ra.blockNumber, rb.blockNumber);
    const events = await ledger.events(ra.blockNumber, ra.blockNumber);
    assert.deepEqual(events.map((e) => e.position.logIndex), [0, 1]);
  });

  it('sees a pending revocation when validating the next transaction, as the contract would in one block', async () => {
    const ledger = memoryLedger();
    const { grantId } = await ledger.grant(grantInput());
    ledger.setAutoMine(false);
    const first = ledger.revoke(grantId!);
    await rejectsWithCode(ledger.revoke(grantId!), 'CONFLICT');
    ledger.mine();
    await first;
  });

  it('mines empty blocks on demand', async () => {
    const ledger = memoryLedger();
    const before = await ledger.head();
    ledger.mine(3);
    const after = await ledger.head();
    assert.equal(after.number, before.number + 3);
    assert.deepEqual(await ledger.events(before.number + 1, after.number), []);
  });

  it('simulates a reorg: dropped blocks vanish, their heights get new hashes, their transactions come back', async () => {
    const ledger = memoryLedger();
    const kept = await ledger.grant(grantInput());
    const dropped = await ledger.grant(grantInput());
    await ledger.revoke(kept.grantId!);
    const oldHash = await ledger.blockHash(dropped.blockNumber);

    const txs = ledger.dropBlocks(2);
    assert.deepEqual(txs.map((t) => t.kind), ['grant', 'revoke']);
    assert.equal((await ledger.head()).number, kept.blockNumber);
    assert.equal(await ledger.blockHash(dropped.blockNumber), null);
    // The registry state rolled back: the revocation and the second grant never happened.
    await rejectsWithCode(ledger.revoke(dropped.grantId!), 'NOT_FOUND');
    ledger.mine();
    assert.notEqual(await ledger.blockHash(dropped.blockNumber), oldHash);
    const regrant = txs[0]!.kind === 'grant' ? await ledger.grant(txs[0]!.input) : assert.fail();
    assert.equal(regrant.grantId, dropped.grantId, 'ids are counted on the new fork too');
    assert.equal(regrant.blockNumber, dropped.blockNumber + 1);
    await ledger.revoke(kept.grantId!);
  });

  it('throws LEDGER_UNAVAILABLE from every port method while unreachable', async () => {
    const ledger = memoryLedger();
    ledger.setReachable(false);
    await rejectsWithCode(ledger.head(), 'LEDGER_UNAVAILABLE');
    await rejectsWithCode(ledger.events(0, 1), 'LEDGER_UNAVAILABLE');
    await rejectsWithCode(ledger.blockHash(0), 'LEDGER_UNAVAILABLE');
    await rejectsWithCode(ledger.grant(grantInput()), 'LEDGER_UNAVAILABLE');
    await rejectsWithCode(ledger.model(), 'LEDGER_UNAVAILABLE');
    ledger.setReachable(true);
    assert.equal((await ledger.head()).number, 0);
  });

  it('refuses every signed grant when no signature verifier is configured (fails closed)', async () => {
    const { MemoryConsentLedger } = await import('../../../src/policy/memory-consent-ledger.js');
    const ledger = new MemoryConsentLedger();
    const patient = mockPatient('0x' + '33'.repeat(20));
    await rejectsWithCode(ledger.grantBySignature(await patient.sign(grantInput(), 0n, 4_000_000_000)), 'FORBIDDEN');
  });

  it('uses its clock as block time for the "notAfter in the past" rule', async () => {
    let now = 1_000;
    const ledger = memoryLedger({ clock: () => now });
    await ledger.grant(grantInput({ notAfter: 1_001 }));
    now = 1_001;
    await rejectsWithCode(ledger.grant(grantInput({ notAfter: 1_001 })), 'INVALID_REQUEST');
  });
});
