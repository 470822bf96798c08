import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GrantInput } from '../../../src/policy/consent-model.js';
import type { DroppedTransaction } from '../../../src/policy/memory-consent-ledger.js';
import { broadGrant, freshState, indexerFor, memoryLedger, pseudonym, query, spyLedger, stateOf, wrapLedger } from './helpers.js';

const alice = pseudonym('subject alice');
const bob = pseudonym('subject bob');
const carol = pseudonym('subject carol');
const drHouse = pseudonym('actor dr house');

function inputOf(tx: DroppedTransaction | undefined): GrantInput {
  assert.ok(tx && tx.kind === 'grant');
  return tx.input;
}

describe('ConsentIndexer: reorgs', () => {
  it('rewinds a dropped fork: a fork-only grant disappears, a grant that moved to another block still counts', async () => {
    const ledger = memoryLedger();
    const { indexer, changes } = indexerFor(ledger);
    await ledger.grant(broadGrant(alice, drHouse)); // block 1, stays
    await indexer.pollOnce();
    const forkOnly = await ledger.grant(broadGrant(bob, drHouse)); // block 2, dropped for good
    await ledger.grant(broadGrant(carol, drHouse)); // block 3, dropped, then re-included
    await indexer.pollOnce();
    assert.equal(indexer.decide(query(bob, [drHouse])).permitted, true);

    const dropped = ledger.dropBlocks(2);
    ledger.mine(); // the new fork's block 2 is empty
    const moved = await ledger.grant(inputOf(dropped[1])); // carol's grant lands in block 3' (with bob's old id!)
    assert.equal(moved.grantId, forkOnly.grantId, 'ids are re-assigned on the new fork');

    const status = await indexer.pollOnce();
    assert.equal(status.stale, false);
    assert.equal(indexer.decide(query(bob, [drHouse])).permitted, false, 'the fork-only grant is gone');
    assert.deepEqual(indexer.decide(query(carol, [drHouse])), { permitted: true, grantId: moved.grantId, rule: 'grant' });
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, true);
    assert.deepEqual(indexer.grant(moved.grantId!)?.granted.blockHash, await ledger.blockHash(moved.blockNumber));
    assert.ok(changes.some((c) => c.kind === 'rewound' && c.to?.number === 1 && c.undone === 2));
    assert.equal(stateOf(indexer), await freshState(ledger), 'same state as an index built from scratch');
  });

  it('lifts a revocation that was dropped, and applies it again when it is re-included', async () => {
    const ledger = memoryLedger();
    const { indexer } = indexerFor(ledger);
    const { grantId } = await ledger.grant(broadGrant(alice, drHouse));
    await ledger.revoke(grantId!);
    await indexer.pollOnce();
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, false);

    ledger.dropBlocks(1);
    ledger.mine(); // the new fork has no revocation (yet), and is as long as the old one
    await indexer.pollOnce();
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, true, 'on this chain the grant was never revoked');
    await ledger.revoke(grantId!);
    await indexer.pollOnce();
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, false);
    assert.equal(stateOf(indexer), await freshState(ledger));
  });

  it('with confirmations: an unconfirmed revocation bites, and lifts if its block is dropped', async () => {
    const ledger = memoryLedger();
    const { indexer } = indexerFor(ledger, { confirmations: 3 });
    const { grantId } = await ledger.grant(broadGrant(alice, drHouse));
    ledger.mine(3);
    await indexer.pollOnce();
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, true);
    await ledger.revoke(grantId!);
    await indexer.pollOnce();
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, false, 'suspended before confirmation');
    ledger.dropBlocks(1);
    ledger.mine();
    await indexer.pollOnce();
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, true, 'the revocation is not on this chain');
    assert.equal(indexer.grant(grantId!)?.status, 'active');
  });

  it('follows a chain that got shorter', async () => {
    const ledger = memoryLedger();
    const { indexer } = indexerFor(ledger);
    await ledger.grant(broadGrant(alice, drHouse));
    await ledger.grant(broadGrant(bob, drHouse));
    await indexer.pollOnce();
    ledger.dropBlocks(1);
    const status = await indexer.pollOnce();
    assert.equal(status.cursor?.number, 1);
    assert.equal(indexer.decide(query(bob, [drHouse])).permitted, false);
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, true);
  });

  it('answers index-stale while it is rewinding (opt-out: a deny that moved must not lapse meanwhile)', async () => {
    const ledger = memoryLedger({ model: 'opt-out' });
    let gate: Promise<void> | undefined;
    let reached = (): void => undefined;
    const gated = wrapLedger(ledger, {
      events: async (from, to) => {
        reached();
        await gate;
        return ledger.events(from, to);
      },
    });
    const { indexer } = indexerFor(gated, { model: 'opt-out' });
    await ledger.grant(broadGrant(alice, drHouse, { effect: 'deny' }));
    await indexer.pollOnce();
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, false);

    const dropped = ledger.dropBlocks(1);
    ledger.mine();
    await ledger.grant(inputOf(dropped[0])); // the deny moves from block 1 to block 2
    let release = (): void => undefined;
    gate = new Promise((resolve) => (release = resolve));
    const atEvents = new Promise<void>((resolve) => (reached = resolve));
    const polling = indexer.pollOnce();
    await atEvents; // rewound (the deny is undone), not yet re-applied
    assert.deepEqual(indexer.decide(query(alice, [drHouse])), { permitted: false, grantId: null, rule: 'index-stale' });
    assert.match(indexer.status().reason ?? '', /a reorg replaced block 1: rewinding/);
    release();
    await polling;
    assert.equal(indexer.decide(query(alice, [drHouse])).rule, 'denial');
  });

  it('rebuilds from the start block when the fork is deeper than its reorg window', async () => {
    const ledger = memoryLedger();
    const spy = spyLedger(ledger);
    const { indexer, changes } = indexerFor(spy.ledger, { reorgWindow: 2 });
    for (const s of [alice, bob, carol]) await ledger.grant(broadGrant(s, drHouse));
    ledger.mine(5);
    await indexer.pollOnce();
    ledger.dropBlocks(7); // back to block 1: bob's and carol's grants are gone
    ledger.mine(8);
    spy.ranges.length = 0;
    const status = await indexer.pollOnce();
    assert.equal(status.stale, false);
    assert.equal(spy.ranges[0]![0], 0, 'replayed from the start block');
    assert.ok(changes.some((c) => c.kind === 'rebuilding'));
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, true);
    assert.equal(indexer.decide(query(carol, [drHouse])).permitted, false);
    assert.equal(stateOf(indexer), await freshState(ledger));
  });

  it('catches a reorg that happens while it reads, and converges on the new fork', async () => {
    const ledger = memoryLedger();
    let strike: (() => Promise<void>) | undefined;
    const racy = wrapLedger(ledger, {
      events: async (from, to) => {
        const hit = strike;
        strike = undefined;
        await hit?.();
        return ledger.events(from, to);
      },
    });
    const { indexer } = indexerFor(racy);
    await ledger.grant(broadGrant(alice, drHouse));
    await indexer.pollOnce();
    await ledger.grant(broadGrant(bob, drHouse)); // block 2, about to be replaced
    strike = async () => {
      // Between the indexer's blockHash(2) and its events(2, 2): block 2 is replaced by carol's.
      ledger.dropBlocks(1);
      await ledger.grant(broadGrant(carol, drHouse));
    };
    await indexer.pollOnce();
    await indexer.pollOnce();
    assert.equal(indexer.status().stale, false);
    assert.equal(indexer.decide(query(bob, [drHouse])).permitted, false);
    assert.equal(indexer.decide(query(carol, [drHouse])).permitted, true);
    assert.equal(stateOf(indexer), await freshState(ledger));
  });
});
