import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { isCustosError } from '../../../src/errors.js';
import { CONSENT_INDEXER_DEFAULTS, monotonicNow, resolveIndexerOptions } from '../../../src/policy/consent-indexer-options.js';
import { ConsentIndexer } from '../../../src/policy/consent-indexer.js';
import { broadGrant, indexerFor, memoryLedger, pseudonym, query, spyLedger, wrapLedger } from './helpers.js';

const alice = pseudonym('subject alice');
const bob = pseudonym('subject bob');
const drHouse = pseudonym('actor dr house');
const STALE = { permitted: false, grantId: null, rule: 'index-stale' };

describe('ConsentIndexer: following the ledger', () => {
  it('answers index-stale until its first poll completes', async () => {
    const { indexer } = indexerFor(memoryLedger());
    assert.deepEqual(indexer.decide(query(alice, [drHouse])), STALE);
    assert.equal(indexer.status().stale, true);
    assert.match(indexer.status().reason ?? '', /no poll has completed yet/);
    await indexer.pollOnce();
    assert.deepEqual(indexer.decide(query(alice, [drHouse])), { permitted: false, grantId: null, rule: 'no-grant' });
  });

  it('makes a grant visible within one poll', async () => {
    const ledger = memoryLedger();
    const { indexer } = indexerFor(ledger);
    await indexer.pollOnce();
    const { grantId } = await ledger.grant(broadGrant(alice, drHouse));
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, false, 'not before the poll');
    await indexer.pollOnce();
    assert.deepEqual(indexer.decide(query(alice, [drHouse])), { permitted: true, grantId, rule: 'grant' });
  });

  it('makes a revocation take effect within one poll', async () => {
    const ledger = memoryLedger();
    const { indexer } = indexerFor(ledger);
    const { grantId } = await ledger.grant(broadGrant(alice, drHouse));
    await indexer.pollOnce();
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, true);
    await ledger.revoke(grantId!);
    await indexer.pollOnce();
    assert.deepEqual(indexer.decide(query(alice, [drHouse])), { permitted: false, grantId: null, rule: 'no-grant' });
    assert.equal(indexer.grant(grantId!)?.status, 'revoked');
  });

  it('with confirmations: a grant counts N blocks later, a revocation bites at once', async () => {
    const ledger = memoryLedger();
    const { indexer } = indexerFor(ledger, { confirmations: 2 });
    const granted = await ledger.grant(broadGrant(alice, drHouse));
    await indexer.pollOnce();
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, false, 'unconfirmed');
    assert.equal(indexer.status().lagBlocks, 2);
    ledger.mine(2);
    await indexer.pollOnce();
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, true, 'confirmed');

    const revoked = await ledger.revoke(granted.grantId!);
    await indexer.pollOnce();
    assert.equal(indexer.status().cursor!.number, revoked.blockNumber - 2, 'the revocation itself is not applied yet');
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, false, 'but it already denies');
    ledger.mine(2);
    await indexer.pollOnce();
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, false);
    assert.equal(indexer.grant(granted.grantId!)?.status, 'revoked');
  });

  it('reads long histories in pages of pageSize blocks', async () => {
    const ledger = memoryLedger();
    const spy = spyLedger(ledger);
    for (let i = 0; i < 10; i++) await ledger.grant(broadGrant(pseudonym(`subject ${i}`), drHouse));
    const { indexer } = indexerFor(spy.ledger, { pageSize: 3 });
    await indexer.pollOnce();
    assert.equal(indexer.status().grants, 10);
    assert.deepEqual(spy.ranges, [[0, 2], [3, 5], [6, 8], [9, 10]]);
  });

  it('shares a poll in progress between concurrent callers, plus at most one more', async () => {
    const ledger = memoryLedger();
    let heads = 0;
    const counting = wrapLedger(ledger, { head: () => (heads++, ledger.head()) });
    const { indexer } = indexerFor(counting);
    await Promise.all([indexer.pollOnce(), indexer.pollOnce(), indexer.pollOnce(), indexer.pollOnce()]);
    assert.equal(heads, 2);
  });

  it('ignores blocks before startBlock, and fails closed if they were needed', async () => {
    const ledger = memoryLedger();
    const early = await ledger.grant(broadGrant(alice, drHouse));
    const late = await ledger.grant(broadGrant(bob, drHouse));
    const { indexer } = indexerFor(ledger, { startBlock: late.blockNumber });
    await indexer.pollOnce();
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, false);
    assert.equal(indexer.decide(query(bob, [drHouse])).permitted, true);
    // A revocation of a grant the index never saw means startBlock is wrong: stop, never guess.
    await ledger.revoke(early.grantId!);
    const status = await indexer.pollOnce();
    assert.match(status.reason ?? '', /INTERNAL: consent index: grant \d+ was revoked but never recorded/);
  });

  it('refuses to run against a registry configured for the other model', async () => {
    const { indexer } = indexerFor(memoryLedger({ model: 'opt-out' }), { model: 'opt-in' });
    const status = await indexer.pollOnce();
    assert.equal(status.stale, true);
    assert.match(status.reason ?? '', /CONFIG_INVALID: the consent registry runs the opt-out model/);
    assert.deepEqual(indexer.decide(query(alice, [drHouse])), STALE);
  });

  it('rejects options that would make it stale between polls', () => {
    const ledger = memoryLedger();
    assert.throws(
      () => new ConsentIndexer({ ledger, model: 'opt-in', startBlock: 0, pollIntervalMs: 5_000, maxStalenessMs: 5_000 }),
      (e: unknown) => isCustosError(e) && e.code === 'CONFIG_INVALID' && /maxStalenessMs must exceed pollIntervalMs/.test(e.message),
    );
    assert.throws(() => new ConsentIndexer({ ledger, model: 'opt-in', startBlock: -1 }), /startBlock/);
    assert.throws(() => new ConsentIndexer({ ledger, model: 'opt-in', startBlock: 0, confirmations: 1.5 }), /confirmations/);
  });

  it('fills in defaults, also for options passed as undefined (config values passed straight through)', () => {
    const resolved = resolveIndexerOptions({ ledger: memoryLedger(), model: 'opt-in', startBlock: 5, confirmations: undefined, pollIntervalMs: undefined });
    assert.equal(resolved.confirmations, CONSENT_INDEXER_DEFAULTS.confirmations);
    assert.equal(resolved.pollIntervalMs, CONSENT_INDEXER_DEFAULTS.pollIntervalMs);
    assert.equal(resolved.maxStalenessMs, CONSENT_INDEXER_DEFAULTS.maxStalenessMs);
    assert.equal(resolved.clock, monotonicNow);
    assert.match(resolved.instanceId, /^[0-9a-f-]{36}$/);
    const a = monotonicNow();
    assert.ok(Math.abs(a - Date.now()) < 60_000 && monotonicNow() >= a, 'epoch-like and never going back');
  });

  it('polls by itself once started, and stops', async () => {
    const ledger = memoryLedger();
    const indexer = new ConsentIndexer({ ledger, model: 'opt-in', startBlock: 0, pollIntervalMs: 10, maxStalenessMs: 1_000 });
    await indexer.start();
    assert.equal(indexer.status().stale, false);
    await ledger.grant(broadGrant(alice, drHouse));
    for (let i = 0; i < 100 && !indexer.decide(query(alice, [drHouse])).permitted; i++) await sleep(10);
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, true);
    await indexer.stop();
    await ledger.grant(broadGrant(bob, drHouse));
    await sleep(50);
    assert.equal(indexer.decide(query(bob, [drHouse])).permitted, false, 'no polls after stop()');
  });
});

describe('ConsentIndexer: staleness', () => {
  it('keeps serving the last state within maxStalenessMs of a successful poll, then fails closed and says why', async () => {
    const ledger = memoryLedger();
    const { indexer, clock, changes } = indexerFor(ledger, { maxStalenessMs: 5_000 });
    await ledger.grant(broadGrant(alice, drHouse));
    await indexer.pollOnce();
    const okAt = clock.ms;

    ledger.setReachable(false);
    clock.advance(1_000);
    const degraded = await indexer.pollOnce();
    assert.equal(degraded.stale, false);
    assert.match(degraded.reason ?? '', /last poll failed: LEDGER_UNAVAILABLE/);
    assert.equal(degraded.lastSuccessfulPollAt, okAt);

    // With a hand-moved clock the deadline timer (real time) cannot fire: status() re-checks it.
    clock.ms = okAt + 5_000; // exactly the bound: still fresh
    assert.equal(indexer.status().stale, false);
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, true);
    clock.ms = okAt + 5_001;
    assert.equal(indexer.status().stale, true);
    assert.deepEqual(indexer.decide(query(alice, [drHouse])), STALE);
    const status = await indexer.pollOnce();
    assert.equal(status.stale, true);
    assert.match(status.reason ?? '', /LEDGER_UNAVAILABLE.*no successful poll for 500\d ms \(maxStalenessMs 5000\)/);
    assert.deepEqual(changes.filter((c) => c.kind === 'freshness').map((c) => c.kind === 'freshness' && c.stale), [false, true]);

    ledger.setReachable(true);
    const recovered = await indexer.pollOnce();
    assert.equal(recovered.stale, false);
    assert.equal(recovered.reason, undefined);
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, true);
  });

  it('goes stale by itself at the deadline, without a poll or a status() call', async () => {
    const ledger = memoryLedger();
    const indexer = new ConsentIndexer({ ledger, model: 'opt-in', startBlock: 0, pollIntervalMs: 10, maxStalenessMs: 60 });
    const freshness: boolean[] = [];
    indexer.onChange((c) => c.kind === 'freshness' && freshness.push(c.stale));
    await ledger.grant(broadGrant(alice, drHouse));
    await indexer.pollOnce();
    assert.equal(indexer.decide(query(alice, [drHouse])).permitted, true);
    ledger.setReachable(false); // and nobody polls: only the timer can end freshness
    await sleep(120);
    assert.deepEqual(indexer.decide(query(alice, [drHouse])), STALE);
    assert.deepEqual(freshness, [false, true]);
  });

  it('measures freshness from the start of the poll, not its end', async () => {
    const ledger = memoryLedger();
    let tick = (): void => undefined;
    const slow = wrapLedger(ledger, {
      events: async (from, to) => {
        tick(); // the ledger takes 3 s to answer
        return ledger.events(from, to);
      },
    });
    const { indexer, clock } = indexerFor(slow);
    tick = () => clock.advance(3_000);
    const startedAt = clock.ms;
    const status = await indexer.pollOnce();
    assert.equal(status.lastSuccessfulPollAt, startedAt);
    assert.equal(clock.ms, startedAt + 3_000);
  });

  it('reports cursor, head and lag', async () => {
    const ledger = memoryLedger();
    const { indexer } = indexerFor(ledger, { confirmations: 1 });
    await ledger.grant(broadGrant(alice, drHouse));
    ledger.mine(3);
    const status = await indexer.pollOnce();
    const head = await ledger.head();
    assert.deepEqual(status.head, head);
    assert.deepEqual(status.cursor, { number: head.number - 1, hash: await ledger.blockHash(head.number - 1) });
    assert.equal(status.lagBlocks, 1);
    assert.equal(status.grants, 1);
  });

  it('tells listeners what changed, and survives a listener that throws', async () => {
    const ledger = memoryLedger();
    const { indexer, changes } = indexerFor(ledger);
    indexer.onChange(() => {
      throw new Error('listener bug');
    });
    await ledger.grant(broadGrant(alice, drHouse));
    await ledger.grant(broadGrant(bob, drHouse));
    await indexer.pollOnce();
    await indexer.pollOnce(); // nothing new: no 'applied'
    const head = await ledger.head();
    assert.deepEqual(changes, [
      { kind: 'applied', cursor: head, events: 2 },
      { kind: 'freshness', stale: false },
    ]);
  });
});
