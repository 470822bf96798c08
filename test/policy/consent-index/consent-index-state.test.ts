import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCustosError } from '../../../src/errors.js';
import { ConsentIndex } from '../../../src/policy/consent-index.js';
import { broadGrant, EventFactory, mask, pseudonym, query, TYPE } from './helpers.js';

const alice = pseudonym('subject alice');
const drHouse = pseudonym('actor dr house');

function sample(): { index: ConsentIndex; revokedId: string; keptId: string } {
  const f = new EventFactory();
  const kept = f.granted(broadGrant(alice, drHouse, { resourceTypes: mask(TYPE('VisionPrescription'), TYPE('Observation')), notAfter: 4_000_000_000 }), 'patient-signature');
  const gone = f.granted(broadGrant(alice, drHouse, { effect: 'deny', resourceTypes: mask(TYPE('Condition')) }));
  const index = new ConsentIndex();
  for (const e of [kept, gone, f.revoked(gone)]) index.apply(e);
  return { index, revokedId: gone.grant.id, keptId: kept.grant.id };
}

const isInternal = (error: unknown): boolean => isCustosError(error) && error.code === 'INTERNAL';

describe('ConsentIndex snapshots', () => {
  it('round-trips through JSON (bigints as hex) with the same grants, history and decisions', () => {
    const { index, revokedId, keptId } = sample();
    const json = JSON.stringify(index.serialize());
    assert.ok(json.includes(`"0x${((1n << 66n) | (1n << 50n)).toString(16)}"`)); // bits 66 and 50, as hex
    const restored = ConsentIndex.restore(JSON.parse(json));
    assert.equal(JSON.stringify(restored.serialize()), json);
    assert.deepEqual(restored.grant(keptId), index.grant(keptId));
    assert.equal(restored.grant(revokedId)?.status, 'revoked');
    for (const typeBit of [TYPE('Observation'), TYPE('Condition'), TYPE('VisionPrescription'), TYPE('Goal')]) {
      for (const model of ['opt-in', 'opt-out'] as const) {
        const q = query(alice, [drHouse], { resourceTypeBit: typeBit });
        assert.deepEqual(restored.decide(q, model), index.decide(q, model));
      }
    }
  });

  it('keeps revocations revoked after a restore (a revoked grant never comes back)', () => {
    const f = new EventFactory();
    const g = f.granted(broadGrant(alice, drHouse));
    const index = new ConsentIndex();
    index.apply(g);
    index.apply(f.revoked(g));
    const restored = ConsentIndex.restore(JSON.parse(JSON.stringify(index.serialize())));
    assert.equal(restored.decide(query(alice, [drHouse]), 'opt-in').permitted, false);
  });

  it('is compact: grantees, recorders and block hashes are listed once', () => {
    const f = new EventFactory();
    const index = new ConsentIndex();
    for (let i = 0; i < 10; i++) index.apply(f.granted(broadGrant(pseudonym(`subject ${i}`), drHouse)));
    const state = index.serialize();
    assert.equal(state.grantees.length, 1);
    assert.equal(state.recorders.length, 1);
    assert.equal(state.grants.length, 10);
    // Here every grant has a block of its own; the bytes are mostly the subject and the two hashes.
    const perGrant = JSON.stringify(state).length / 10;
    assert.ok(perGrant < 400, `${perGrant} bytes per grant`);
  });

  it('refuses malformed or tampered state, field by field', () => {
    const good = JSON.parse(JSON.stringify(sample().index.serialize())) as { grants: unknown[][]; [k: string]: unknown };
    const withGrant = (s: typeof good, field: number, value: unknown): unknown => {
      const grant = [...s.grants[0]!];
      grant[field] = value;
      return { ...s, grants: [grant, ...s.grants.slice(1)] };
    };
    const variants: Array<[string, (s: typeof good) => unknown]> = [
      ['not an object', () => 'nope'],
      ['the older, object-per-grant version', (s) => ({ ...s, version: 1 })],
      ['grants not a list', (s) => ({ ...s, grants: {} })],
      ['a grant not a tuple', (s) => ({ ...s, grants: [{}] })],
      ['a short tuple', (s) => ({ ...s, grants: [s.grants[0]!.slice(0, 13)] })],
      ['duplicate id', (s) => ({ ...s, grants: [s.grants[0], s.grants[0]] })],
      ['non-decimal id', (s) => withGrant(s, 0, '0x1')],
      ['upper-case subject', (s) => withGrant(s, 1, alice.toUpperCase())],
      ['grantee out of range', (s) => withGrant(s, 2, 5)],
      ['unknown effect', (s) => withGrant(s, 3, 2)],
      ['mask not hex', (s) => withGrant(s, 4, 12)],
      ['mask wider than uint256', (s) => withGrant(s, 6, '0x1' + '0'.repeat(64))],
      ['negative mask', (s) => withGrant(s, 5, '-0x1')],
      ['fractional time', (s) => withGrant(s, 8, 1.5)],
      ['bad policy hash', (s) => withGrant(s, 9, '0x12')],
      ['recorder out of range', (s) => withGrant(s, 10, 9)],
      ['block out of range', (s) => withGrant(s, 12, [99, '0x' + '1'.repeat(64), 0])],
      ['bad revocation position', (s) => withGrant(s, 13, [0, 'x', 0])],
      ['malformed grantee table', (s) => ({ ...s, grantees: ['Practitioner/1'] })],
      ['malformed block table', (s) => ({ ...s, blocks: [[1, 'x']] })],
    ];
    for (const [why, mutate] of variants) assert.throws(() => ConsentIndex.restore(mutate(structuredClone(good))), isInternal, why);
    assert.doesNotThrow(() => ConsentIndex.restore(good));
  });
});
