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
    assert.ok(json.includes(`"resourceTypes":"0x${((1n << 66n) | (1n << 50n)).toString(16)}"`)); // bits 66 and 50, as hex
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

  it('refuses malformed or tampered state, field by field', () => {
    const good = JSON.parse(JSON.stringify(sample().index.serialize())) as { version: number; grants: Array<Record<string, unknown>> };
    const variants: Array<[string, (s: typeof good) => unknown]> = [
      ['not an object', () => 'nope'],
      ['wrong version', (s) => ({ ...s, version: 2 })],
      ['grants not a list', (s) => ({ ...s, grants: {} })],
      ['duplicate id', (s) => ({ ...s, grants: [s.grants[0], s.grants[0]] })],
      ['bigint-ish mask', (s) => ({ ...s, grants: [{ ...s.grants[0], resourceTypes: 12 }] })],
      ['mask wider than uint256', (s) => ({ ...s, grants: [{ ...s.grants[0], purposes: '0x1' + '0'.repeat(64) }] })],
      ['negative mask', (s) => ({ ...s, grants: [{ ...s.grants[0], actions: '-0x1' }] })],
      ['upper-case subject', (s) => ({ ...s, grants: [{ ...s.grants[0], subject: alice.toUpperCase() }] })],
      ['unknown effect', (s) => ({ ...s, grants: [{ ...s.grants[0], effect: 'allow' }] })],
      ['non-decimal id', (s) => ({ ...s, grants: [{ ...s.grants[0], id: '0x1' }] })],
      ['fractional time', (s) => ({ ...s, grants: [{ ...s.grants[0], notAfter: 1.5 }] })],
      ['bad position', (s) => ({ ...s, grants: [{ ...s.grants[0], granted: { blockNumber: -1 } }] })],
      ['bad revocation position', (s) => ({ ...s, grants: [{ ...s.grants[0], revoked: {} }] })],
    ];
    for (const [why, mutate] of variants) assert.throws(() => ConsentIndex.restore(mutate(structuredClone(good))), isInternal, why);
    assert.doesNotThrow(() => ConsentIndex.restore(good));
  });
});
