import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCustosError } from '../../../src/errors.js';
import { ConsentIndex } from '../../../src/policy/consent-index.js';
import type { ConsentModel } from '../../../src/policy/consent-model.js';
import { ACTION, broadGrant, EventFactory, mask, pseudonym, PURPOSE, query, TYPE } from './helpers.js';

const alice = pseudonym('subject alice');
const bob = pseudonym('subject bob');
const drHouse = pseudonym('actor dr house');
const drWho = pseudonym('actor dr who');
const stMary = pseudonym('organization st mary');

function build(...events: Array<Parameters<ConsentIndex['apply']>[0]>): ConsentIndex {
  const index = new ConsentIndex();
  for (const e of events) index.apply(e);
  return index;
}

const isInternal = (error: unknown): boolean => isCustosError(error) && error.code === 'INTERNAL';

describe('ConsentIndex decisions', () => {
  it('opt-in: denies without a grant, permits with a matching permit and names it', () => {
    const f = new EventFactory();
    const g = f.granted(broadGrant(alice, drHouse));
    assert.deepEqual(new ConsentIndex().decide(query(alice, [drHouse]), 'opt-in'), { permitted: false, grantId: null, rule: 'no-grant' });
    assert.deepEqual(build(g).decide(query(alice, [drHouse]), 'opt-in'), { permitted: true, grantId: g.grant.id, rule: 'grant' });
  });

  it('opt-out: permits without a grant, denies on a matching deny and names it', () => {
    const f = new EventFactory();
    const d = f.granted(broadGrant(alice, drHouse, { effect: 'deny' }));
    assert.deepEqual(new ConsentIndex().decide(query(alice, [drHouse]), 'opt-out'), { permitted: true, grantId: null, rule: 'opt-out-default' });
    assert.deepEqual(build(d).decide(query(alice, [drHouse]), 'opt-out'), { permitted: false, grantId: d.grant.id, rule: 'denial' });
  });

  for (const model of ['opt-in', 'opt-out'] as ConsentModel[]) {
    it(`${model}: a matching deny overrides any permit, whichever came first`, () => {
      const f = new EventFactory();
      const permitFirst = f.granted(broadGrant(alice, drHouse));
      const deny = f.granted(broadGrant(alice, stMary, { effect: 'deny', resourceTypes: mask(TYPE('Observation')) }));
      const permitAfter = f.granted(broadGrant(alice, drHouse));
      const index = build(permitFirst, deny, permitAfter);
      assert.deepEqual(index.decide(query(alice, [drHouse, stMary]), model), { permitted: false, grantId: deny.grant.id, rule: 'denial' });
      // The deny covers Observations only: a Condition read is permitted by the first permit.
      assert.deepEqual(index.decide(query(alice, [drHouse, stMary], { resourceTypeBit: TYPE('Condition') }), model), {
        permitted: true,
        grantId: permitFirst.grant.id,
        rule: 'grant',
      });
    });
  }

  it('opt-out: a deny for another type, action or purpose does not deny', () => {
    const f = new EventFactory();
    const index = build(
      f.granted(broadGrant(alice, drHouse, { effect: 'deny', resourceTypes: mask(TYPE('Condition')) })),
      f.granted(broadGrant(alice, drHouse, { effect: 'deny', actions: mask(ACTION('write')) })),
      f.granted(broadGrant(alice, drHouse, { effect: 'deny', purposes: mask(PURPOSE('HMARKT')) })),
    );
    assert.equal(index.decide(query(alice, [drHouse]), 'opt-out').permitted, true);
    assert.equal(index.decide(query(alice, [drHouse], { actionBit: ACTION('write') }), 'opt-out').permitted, false);
    assert.equal(index.decide(query(alice, [drHouse], { purposeBit: PURPOSE('HMARKT') }), 'opt-out').permitted, false);
  });

  it('tests each scope bit, including bits in the upper 32-bit words of the masks', () => {
    const f = new EventFactory();
    const vision = TYPE('VisionPrescription'); // bit 66: third word
    const goal = TYPE('Goal'); // bit 34: second word
    const account = TYPE('Account'); // bit 0
    const lastPurpose = PURPOSE('ERTREAT'); // bit 23
    const g = f.granted(broadGrant(alice, drHouse, { resourceTypes: mask(vision, 31, account), purposes: mask(lastPurpose) }));
    const index = build(g);
    const ask = (typeBit: number, purposeBit = lastPurpose): boolean =>
      index.decide(query(alice, [drHouse], { resourceTypeBit: typeBit, purposeBit }), 'opt-in').permitted;
    assert.equal(ask(vision), true);
    assert.equal(ask(31), true); // the sign bit of word 0
    assert.equal(ask(account), true);
    assert.equal(ask(goal), false);
    assert.equal(ask(32), false);
    assert.equal(ask(vision, PURPOSE('TREAT')), false);
  });

  it('applies time windows with exact boundaries: notBefore ≤ now < notAfter, 0 = unbounded', () => {
    const f = new EventFactory();
    const windowed = build(f.granted(broadGrant(alice, drHouse, { notBefore: 1_000, notAfter: 2_000 })));
    const at = (now: number): boolean => windowed.decide(query(alice, [drHouse], { now }), 'opt-in').permitted;
    assert.deepEqual([at(999), at(999.999), at(1_000), at(1_999), at(1_999.999), at(2_000), at(2_001)], [false, false, true, true, true, false, false]);

    const openEnded = build(f.granted(broadGrant(alice, drHouse, { notBefore: 1_000, notAfter: 0 })));
    assert.equal(openEnded.decide(query(alice, [drHouse], { now: 999 }), 'opt-in').permitted, false);
    assert.equal(openEnded.decide(query(alice, [drHouse], { now: 4_000_000_000 }), 'opt-in').permitted, true);
    const openStart = build(f.granted(broadGrant(alice, drHouse, { notBefore: 0, notAfter: 2_000 })));
    assert.equal(openStart.decide(query(alice, [drHouse], { now: 0 }), 'opt-in').permitted, true);
    assert.equal(openStart.decide(query(alice, [drHouse], { now: 2_000 }), 'opt-in').permitted, false);
  });

  it('opt-out: an expired deny no longer denies, a future one not yet', () => {
    const f = new EventFactory();
    const index = build(f.granted(broadGrant(alice, drHouse, { effect: 'deny', notBefore: 1_000, notAfter: 2_000 })));
    assert.equal(index.decide(query(alice, [drHouse], { now: 500 }), 'opt-out').permitted, true);
    assert.equal(index.decide(query(alice, [drHouse], { now: 1_500 }), 'opt-out').permitted, false);
    assert.equal(index.decide(query(alice, [drHouse], { now: 2_000 }), 'opt-out').permitted, true);
  });

  it('a grant to an organization applies to an actor who presents it, and only then', () => {
    const f = new EventFactory();
    const g = f.granted(broadGrant(alice, stMary));
    const index = build(g);
    assert.deepEqual(index.decide(query(alice, [drHouse, stMary]), 'opt-in'), { permitted: true, grantId: g.grant.id, rule: 'grant' });
    assert.equal(index.decide(query(alice, [drHouse]), 'opt-in').permitted, false);
  });

  it('never leaks a grant to another grantee or another subject', () => {
    const f = new EventFactory();
    const index = build(f.granted(broadGrant(alice, drHouse)), f.granted(broadGrant(bob, drWho, { effect: 'deny' })));
    assert.equal(index.decide(query(alice, [drWho]), 'opt-in').permitted, false);
    assert.equal(index.decide(query(bob, [drHouse]), 'opt-in').permitted, false);
    assert.equal(index.decide(query(alice, []), 'opt-in').permitted, false);
    assert.equal(index.decide(query(pseudonym('subject carol'), [drHouse]), 'opt-in').permitted, false);
    // A subject that differs from alice's pseudonym in one digit is another subject.
    const almostAlice = alice.slice(0, -1) + (alice.endsWith('0') ? '1' : '0');
    assert.equal(index.decide(query(almostAlice, [drHouse]), 'opt-in').permitted, false);
    // Bob's deny is his, and dr who's: it does not deny dr house on alice, nor dr who on alice.
    assert.equal(index.decide(query(alice, [drHouse, drWho]), 'opt-out').permitted, true);
    assert.equal(index.decide(query(bob, [drWho]), 'opt-out').permitted, false);
  });

  it('forgets a revoked permit and a revoked deny', () => {
    const f = new EventFactory();
    const permit = f.granted(broadGrant(alice, drHouse));
    const deny = f.granted(broadGrant(bob, drHouse, { effect: 'deny' }));
    const index = build(permit, deny, f.revoked(permit), f.revoked(deny));
    assert.deepEqual(index.decide(query(alice, [drHouse]), 'opt-in'), { permitted: false, grantId: null, rule: 'no-grant' });
    assert.deepEqual(index.decide(query(bob, [drHouse]), 'opt-out'), { permitted: true, grantId: null, rule: 'opt-out-default' });
  });

  it('refuses a malformed query instead of guessing, and treats an unknown model as opt-in', () => {
    const index = new ConsentIndex();
    for (const bad of [{ resourceTypeBit: -1 }, { resourceTypeBit: 67 }, { actionBit: 2 }, { purposeBit: 24 }, { purposeBit: 1.5 }, { now: Number.NaN }]) {
      assert.throws(() => index.decide(query(alice, [drHouse], bad), 'opt-out'), isInternal, JSON.stringify(bad));
    }
    assert.equal(index.decide(query(alice, [drHouse]), 'opt-maybe' as ConsentModel).permitted, false);
  });

  it('suspends grants whose revocation is not yet confirmed, and lifts the suspension', () => {
    const f = new EventFactory();
    const g = f.granted(broadGrant(alice, drHouse));
    const index = build(g);
    index.suspend([g.grant.id]);
    assert.equal(index.decide(query(alice, [drHouse]), 'opt-in').permitted, false);
    index.suspend([]);
    assert.equal(index.decide(query(alice, [drHouse]), 'opt-in').permitted, true);
    // A suspended id that arrives later starts suspended.
    const later = f.granted(broadGrant(bob, drHouse));
    index.suspend([later.grant.id]);
    index.apply(later);
    assert.equal(index.decide(query(bob, [drHouse]), 'opt-in').permitted, false);
  });
});

describe('ConsentIndex bookkeeping', () => {
  it('lists a subject\'s grants with their history, revoked ones included', () => {
    const f = new EventFactory();
    const a = f.granted(broadGrant(alice, drHouse));
    const b = f.granted(broadGrant(alice, stMary, { effect: 'deny' }));
    const revocation = f.revoked(a);
    const index = build(a, f.granted(broadGrant(bob, drHouse)), b, revocation);
    const grants = index.grantsOf(alice);
    assert.deepEqual(grants.map((g) => [g.id, g.status]), [[a.grant.id, 'revoked'], [b.grant.id, 'active']]);
    assert.deepEqual(grants[0]!.granted, a.position);
    assert.deepEqual(grants[0]!.revoked, revocation.position);
    assert.deepEqual(index.grant(b.grant.id), { ...b.grant, status: 'active' });
    assert.equal(index.grant('999'), undefined);
    assert.deepEqual(index.grantsOf(pseudonym('nobody')), []);
    assert.equal(index.size, 3);
  });

  it('refuses events that contradict its state, and changes nothing', () => {
    const f = new EventFactory();
    const a = f.granted(broadGrant(alice, drHouse));
    const index = build(a);
    const before = JSON.stringify(index.serialize());
    assert.throws(() => index.apply(a), isInternal); // recorded twice
    assert.throws(() => index.apply({ kind: 'revoked', grantId: '77', subject: alice, position: f.position() }), isInternal);
    assert.throws(() => index.apply({ kind: 'revoked', grantId: a.grant.id, subject: bob, position: f.position() }), isInternal);
    index.apply(f.revoked(a));
    const revoked = JSON.stringify(index.serialize());
    assert.notEqual(revoked, before);
    assert.throws(() => index.apply(f.revoked(a)), isInternal); // revoked twice
    assert.equal(JSON.stringify(index.serialize()), revoked);
  });

  it('undoes events exactly, newest first (what a reorg rewind relies on)', () => {
    const f = new EventFactory();
    const a = f.granted(broadGrant(alice, drHouse));
    const b = f.granted(broadGrant(alice, drWho, { effect: 'deny' }));
    const c = f.granted(broadGrant(alice, stMary));
    const events = [a, b, f.revoked(b), c, f.revoked(a)];
    const index = new ConsentIndex();
    const states = [JSON.stringify(index.serialize())];
    for (const e of events) {
      index.apply(e);
      states.push(JSON.stringify(index.serialize()));
    }
    for (let i = events.length - 1; i >= 0; i--) {
      index.unapply(events[i]!);
      assert.equal(JSON.stringify(index.serialize()), states[i], `after undoing event ${i}`);
    }
    // Chain order survives an undone revocation: a (permit) then c (permit) → a's id is named.
    index.apply(a);
    index.apply(c);
    const revokeA = f.revoked(a);
    index.apply(revokeA);
    index.unapply(revokeA);
    assert.equal(index.decide(query(alice, [drHouse, stMary]), 'opt-in').grantId, a.grant.id);
    assert.deepEqual(index.grantsOf(alice).map((g) => g.id), [a.grant.id, c.grant.id]);
  });
});
