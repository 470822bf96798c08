/**
 * Consent subjects across sources: identifier-derived subjects, resolution through the source,
 * fail-closed when unresolved, the shared cache in a real Redis (and a forged cache entry refused),
 * and how grants name patients.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { redisSubjectCache } from '../../src/adapters/store/redis-subject-cache.js';
import { subjectOfReference } from '../../src/policy/patient-reference-subject.js';
import { identifierKey, identifierSubjects, perSourceSubjects, sourcePatientKey, type IdentifierLookup } from '../../src/policy/patient-subjects.js';
import { Pseudonymizer } from '../../src/policy/pseudonym.js';

const MRN = 'http://hospital.example.org/mrn';
const pseudonyms = new Pseudonymizer('k'.repeat(40));

/** A source's patients and their MRNs; counts lookups. */
function lookupOf(mrns: Record<string, string | null>): IdentifierLookup & { calls: string[][] } {
  const calls: string[][] = [];
  const lookup = async (ids: readonly string[]) => {
    calls.push([...ids]);
    return new Map(ids.filter((id) => id in mrns).map((id) => [id, mrns[id]!] as const));
  };
  return Object.assign(lookup, { calls });
}

describe('patient subjects', () => {
  it('without an identifier system, subjects are per source (the default source keeps Patient/{id})', () => {
    assert.equal(perSourceSubjects(pseudonyms, 'default').subjectOf('pat-1'), pseudonyms.of('subject', 'Patient/pat-1'));
    assert.equal(perSourceSubjects(pseudonyms, 'clinic').subjectOf('pat-1'), pseudonyms.of('subject', sourcePatientKey('clinic', 'pat-1')));
    assert.notEqual(perSourceSubjects(pseudonyms, 'clinic').subjectOf('pat-1'), perSourceSubjects(pseudonyms, 'default').subjectOf('pat-1'), 'the same id in two sources is two patients');
    assert.equal(perSourceSubjects(pseudonyms, 'default').prepare, undefined, 'nothing to resolve: no prepare step on the request path');
  });

  it('with an identifier system, two sources\' ids of one person meet on one subject; resolved once', async () => {
    const a = lookupOf({ 'pat-1': 'MRN-1' });
    const b = lookupOf({ 'b-pat-1': 'MRN-1' });
    const da = identifierSubjects({ pseudonyms, sourceId: 'default', system: MRN, lookup: a, ttlSeconds: 60 });
    const db = identifierSubjects({ pseudonyms, sourceId: 'clinic', system: MRN, lookup: b, ttlSeconds: 60 });
    await da.prepare(['pat-1', 'pat-1']);
    await db.prepare(['b-pat-1']);
    assert.equal(da.subjectOf('pat-1'), db.subjectOf('b-pat-1'));
    assert.equal(da.subjectOf('pat-1'), pseudonyms.of('subject', identifierKey(MRN, 'MRN-1')));
    assert.equal(da.prepare(['pat-1']), undefined, 'known: no second lookup');
    assert.deepEqual(a.calls, [['pat-1']]);
  });

  it('fails closed: an unresolved patient gets a subject no grant can name; one without an MRN stays per source', async () => {
    const lookup = lookupOf({ 'pat-2': null });
    const d = identifierSubjects({ pseudonyms, sourceId: 'default', system: MRN, lookup, ttlSeconds: 60 });
    const unresolved = d.subjectOf('pat-9');
    assert.notEqual(unresolved, pseudonyms.of('subject', 'Patient/pat-9'));
    await d.prepare(['pat-2', 'pat-9']);
    assert.equal(d.subjectOf('pat-2'), pseudonyms.of('subject', 'Patient/pat-2'));
    assert.equal(d.subjectOf('pat-9'), unresolved, 'the source could not say: still unresolved');
  });

  it('entries expire: a changed identifier is picked up after the TTL', async () => {
    let now = 0;
    const mrns: Record<string, string | null> = { 'pat-1': 'MRN-1' };
    const d = identifierSubjects({ pseudonyms, sourceId: 'default', system: MRN, lookup: lookupOf(mrns), ttlSeconds: 10, nowMs: () => now });
    await d.prepare(['pat-1']);
    mrns['pat-1'] = 'MRN-2';
    now = 11_000;
    assert.notEqual(d.prepare(['pat-1']), undefined, 'expired: resolved again');
    await d.prepare(['pat-1']);
    assert.equal(d.subjectOf('pat-1'), pseudonyms.of('subject', identifierKey(MRN, 'MRN-2')));
  });

  it('a lookup failure rejects the request rather than deciding on a guess', async () => {
    const d = identifierSubjects({ pseudonyms, sourceId: 'default', system: MRN, lookup: async () => { throw new Error('source down'); }, ttlSeconds: 60 });
    await assert.rejects(d.prepare(['pat-1'])!, /source down/);
  });

  describe('the shared cache in Redis', () => {
    let redis: Redis;
    before(async () => {
      redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 2 });
      await redis.connect();
      await redis.del('custos:subject:t-default:pat-1', 'custos:subject:t-default:pat-3');
    });
    after(async () => redis.quit());

    it('a second replica reads the mapping from Redis instead of the source; no identifier is stored', async () => {
      const cache = redisSubjectCache(redis);
      const first = lookupOf({ 'pat-1': 'MRN-1' });
      await identifierSubjects({ pseudonyms, sourceId: 't-default', system: MRN, lookup: first, cache, ttlSeconds: 60 }).prepare(['pat-1']);
      const stored = await redis.get('custos:subject:t-default:pat-1');
      assert.ok(stored && !stored.includes('MRN'), 'a pseudonym, not the MRN');
      assert.ok((await redis.ttl('custos:subject:t-default:pat-1')) > 0, 'entries expire');
      const second = lookupOf({ 'pat-1': 'MRN-1' });
      const replica = identifierSubjects({ pseudonyms, sourceId: 't-default', system: MRN, lookup: second, cache, ttlSeconds: 60 });
      await replica.prepare(['pat-1']);
      assert.deepEqual(second.calls, [], 'served from Redis');
      assert.equal(replica.subjectOf('pat-1'), pseudonyms.of('subject', identifierKey(MRN, 'MRN-1')));
    });

    it('attack: a subject written into Redis by someone without the key is ignored', async () => {
      const victim = pseudonyms.of('subject', identifierKey(MRN, 'MRN-VIP'));
      await redis.set('custos:subject:t-default:pat-3', `${victim}.${'0'.repeat(32)}`, 'EX', 60);
      const lookup = lookupOf({ 'pat-3': 'MRN-3' });
      const d = identifierSubjects({ pseudonyms, sourceId: 't-default', system: MRN, lookup, cache: redisSubjectCache(redis), ttlSeconds: 60 });
      await d.prepare(['pat-3']);
      assert.deepEqual(lookup.calls, [['pat-3']], 'the forged entry was not trusted');
      assert.equal(d.subjectOf('pat-3'), pseudonyms.of('subject', identifierKey(MRN, 'MRN-3')));
    });
  });

  it('grants name patients by id (resolved through their source) or by identifier; both meet the decision', async () => {
    const directories = new Map([
      ['default', identifierSubjects({ pseudonyms, sourceId: 'default', system: MRN, lookup: lookupOf({ 'pat-1': 'MRN-1' }), ttlSeconds: 60 })],
      ['clinic', identifierSubjects({ pseudonyms, sourceId: 'clinic', system: MRN, lookup: lookupOf({ 'b-pat-1': 'MRN-1' }), ttlSeconds: 60 })],
    ]);
    const subjectOf = subjectOfReference(pseudonyms, directories, MRN);
    const expected = pseudonyms.of('subject', identifierKey(MRN, 'MRN-1'));
    assert.equal(await subjectOf('Patient/pat-1'), expected);
    assert.equal(await subjectOf('sources/clinic/Patient/b-pat-1'), expected);
    assert.equal(await subjectOf(`Patient?identifier=${MRN}|MRN-1`), expected);
    await assert.rejects(subjectOf('Patient?identifier=http://other.example/ids|MRN-1'), /system http:\/\/hospital.example.org\/mrn/);
    await assert.rejects(subjectOf('sources/nowhere/Patient/x'), /no source "nowhere"/);
    const withoutSystem = subjectOfReference(pseudonyms, new Map([['default', perSourceSubjects(pseudonyms, 'default')]]), null);
    assert.equal(await withoutSystem('Patient/pat-1'), pseudonyms.of('subject', 'Patient/pat-1'), 'unchanged without an identifier system');
    await assert.rejects(withoutSystem(`Patient?identifier=${MRN}|MRN-1`), /patientIdentity.system/);
  });
});
