/**
 * The index against a reference written straight from the rules (bigint masks, arrays, no
 * layout tricks), over random histories: grants, revocations, undone events (reorg rewinds),
 * suspensions and snapshot round trips. Any divergence in any decision fails with the seed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsentIndex } from '../../../src/policy/consent-index.js';
import type { ConsentAnswer, ConsentEvent, ConsentModel, ConsentQuery } from '../../../src/policy/consent-model.js';
import { broadGrant, EventFactory, pseudonym } from './helpers.js';

type Granted = Extract<ConsentEvent, { kind: 'granted' }>;

function referenceDecide(applied: readonly ConsentEvent[], suspended: ReadonlySet<string>, q: ConsentQuery, model: ConsentModel): ConsentAnswer {
  const revoked = new Set(applied.flatMap((e) => (e.kind === 'revoked' ? [e.grantId] : [])));
  const bit = (mask: bigint, n: number): boolean => ((mask >> BigInt(n)) & 1n) === 1n;
  const matching = applied
    .filter((e): e is Granted => e.kind === 'granted')
    .map((e) => e.grant)
    .filter((g) => !revoked.has(g.id) && !suspended.has(g.id))
    .filter((g) => g.subject === q.subject && q.grantees.includes(g.grantee))
    .filter((g) => bit(g.resourceTypes, q.resourceTypeBit) && bit(g.actions, q.actionBit) && bit(g.purposes, q.purposeBit))
    .filter((g) => g.notBefore <= q.now && (g.notAfter === 0 || q.now < g.notAfter));
  const deny = matching.find((g) => g.effect === 'deny');
  if (deny) return { permitted: false, grantId: deny.id, rule: 'denial' };
  const permit = matching.find((g) => g.effect === 'permit');
  if (permit) return { permitted: true, grantId: permit.id, rule: 'grant' };
  return model === 'opt-out' ? { permitted: true, grantId: null, rule: 'opt-out-default' } : { permitted: false, grantId: null, rule: 'no-grant' };
}

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ConsentIndex against the reference rules', () => {
  const subjects = [0, 1, 2, 3].map((i) => pseudonym(`subject ${i}`));
  const grantees = [0, 1, 2, 3].map((i) => pseudonym(`grantee ${i}`));
  const typeBits = [0, 17, 31, 32, 50, 66];
  const times = [0, 999, 1_000, 1_500, 1_999, 2_000, 5_000];

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`agrees on every decision over a random history (seed ${seed})`, () => {
      const random = prng(seed);
      const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
      const maskOf = (bits: readonly number[]): bigint => bits.filter(() => random() < 0.5).reduce((m, b) => m | (1n << BigInt(b)), 0n) || 1n;
      const f = new EventFactory();
      const index = new ConsentIndex();
      const applied: ConsentEvent[] = [];
      let suspended = new Set<string>();
      let current = index;

      for (let step = 0; step < 150; step++) {
        const roll = random();
        const active = applied.filter((e): e is Granted => e.kind === 'granted' && !applied.some((r) => r.kind === 'revoked' && r.grantId === e.grant.id));
        let event: ConsentEvent | undefined;
        if (roll < 0.5 || active.length === 0) {
          const window = pick([[0, 0], [1_000, 2_000], [0, 1_500], [1_500, 0]] as const);
          event = f.granted(broadGrant(pick(subjects), pick(grantees), {
            effect: random() < 0.3 ? 'deny' : 'permit',
            resourceTypes: maskOf(typeBits),
            actions: maskOf([0, 1]),
            purposes: maskOf([0, 5, 23]),
            notBefore: window[0],
            notAfter: window[1],
          }));
        } else if (roll < 0.7) {
          event = f.revoked(pick(active));
        } else if (roll < 0.85 && applied.length > 0) {
          current.unapply(applied.pop()!); // a rewind undoes the newest event
        } else if (roll < 0.95) {
          suspended = new Set(active.filter(() => random() < 0.2).map((e) => e.grant.id));
          current.suspend(suspended);
        } else {
          current = ConsentIndex.restore(JSON.parse(JSON.stringify(current.serialize())));
          current.suspend(suspended);
        }
        if (event) {
          current.apply(event);
          applied.push(event);
        }
        for (let k = 0; k < 40; k++) {
          const q: ConsentQuery = {
            subject: pick(subjects),
            grantees: grantees.filter(() => random() < 0.4),
            resourceTypeBit: pick(typeBits),
            actionBit: pick([0, 1]),
            purposeBit: pick([0, 5, 23]),
            now: pick(times),
          };
          for (const model of ['opt-in', 'opt-out'] as const) {
            assert.deepEqual(current.decide(q, model), referenceDecide(applied, suspended, q, model), `seed ${seed}, step ${step}, ${JSON.stringify(q)}`);
          }
        }
        for (const subject of subjects) {
          const expected = applied.filter((e): e is Granted => e.kind === 'granted' && e.grant.subject === subject).map((e) => e.grant.id);
          assert.deepEqual(current.grantsOf(subject).map((g) => g.id), expected, `seed ${seed}, step ${step}: grantsOf`);
        }
      }
    });
  }
});
