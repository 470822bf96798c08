import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Encounter, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { SAMPLE_FIXTURES } from '../../src/sample-server/fixtures.js';
import { createPrng, deriveSeed } from '../../src/sample-server/prng.js';
import { generateSyntheticData } from '../../src/sample-server/synthetic-data.js';

const hash = (resources: readonly Resource[]): string => createHash('sha256').update(JSON.stringify(resources)).digest('hex');
const byId = (resources: readonly Resource[]) => new Map(resources.map((r) => [`${r.resourceType}/${r.id}`, r]));

describe('seeded PRNG', () => {
  it('repeats its sequence for the same seed and differs for another seed', () => {
    const a = createPrng(7);
    const b = createPrng(7);
    const c = createPrng(8);
    const seqA = Array.from({ length: 5 }, () => a.next());
    assert.deepEqual(seqA, Array.from({ length: 5 }, () => b.next()));
    assert.notDeepEqual(seqA, Array.from({ length: 5 }, () => c.next()));
    for (const x of seqA) assert.ok(x >= 0 && x < 1);
  });

  it('keeps int() within its inclusive bounds and reaches both ends', () => {
    const rng = createPrng(1);
    const seen = new Set(Array.from({ length: 500 }, () => rng.int(3, 6)));
    assert.deepEqual([...seen].sort(), [3, 4, 5, 6]);
    assert.notEqual(deriveSeed(42, 1), deriveSeed(42, 2));
  });
});

describe('synthetic data', () => {
  const data = generateSyntheticData({ patients: 60, seed: 42 });
  const index = byId(data);

  it('is byte-identical for the same seed and different for another seed', () => {
    assert.equal(hash(generateSyntheticData({ patients: 60, seed: 42 })), hash(data));
    assert.notEqual(hash(generateSyntheticData({ patients: 60, seed: 43 })), hash(data));
  });

  it('keeps each patient\'s record when more patients are asked for', () => {
    const small = byId(generateSyntheticData({ patients: 10, seed: 42 }));
    for (const key of ['Patient/pat-007', 'Observation/obs-007-01', 'Condition/cond-007-01']) {
      assert.deepEqual(small.get(key), index.get(key), key);
    }
  });

  it('has the promised ids, at least 50 patients and unique ids', () => {
    const patients = data.filter((r): r is Patient => r.resourceType === 'Patient');
    assert.equal(patients.length, 60);
    assert.deepEqual(patients.map((p) => p.id), SAMPLE_FIXTURES.patientIds);
    assert.equal(index.size, data.length, 'ids are unique per type');
    for (const id of [...SAMPLE_FIXTURES.practitionerIds.map((p) => `Practitioner/${p}`), ...SAMPLE_FIXTURES.organizationIds.map((o) => `Organization/${o}`)]) {
      assert.ok(index.has(id), id);
    }
  });

  it('gives every patient the per-patient fixtures (first encounter, heart rate, condition, treatment)', () => {
    for (const pid of SAMPLE_FIXTURES.patientIds) {
      const encounter = index.get(`Encounter/${SAMPLE_FIXTURES.perPatient.firstEncounterId(pid)}`) as Encounter | undefined;
      assert.equal(encounter?.subject?.reference, `Patient/${pid}`);
      const heartRate = index.get(`Observation/${SAMPLE_FIXTURES.perPatient.heartRateObservationId(pid)}`) as Observation | undefined;
      assert.equal(heartRate?.code?.coding?.[0]?.code, SAMPLE_FIXTURES.heartRateCode.code);
      assert.equal(heartRate?.code?.coding?.[0]?.system, SAMPLE_FIXTURES.heartRateCode.system);
      assert.equal(typeof heartRate?.valueQuantity?.value, 'number');
      assert.equal(heartRate?.encounter?.reference, `Encounter/${encounter?.id}`);
      const medication = index.get(`MedicationRequest/${SAMPLE_FIXTURES.perPatient.firstMedicationRequestId(pid)}`);
      assert.ok(medication, `${pid} has a medication request`);
      assert.ok(index.get(`Condition/${SAMPLE_FIXTURES.perPatient.firstConditionId(pid)}`), `${pid} has a condition`);
      const patient = index.get(`Patient/${pid}`) as Patient;
      assert.ok(patient.identifier?.some((i) => i.system === SAMPLE_FIXTURES.mrnSystem && i.value === SAMPLE_FIXTURES.mrnOf(pid)));
    }
  });

  it('uses standard code systems: LOINC + UCUM observations, SNOMED conditions, RxNorm medications', () => {
    const systems = (type: string, pick: (r: never) => string | undefined) =>
      new Set(data.filter((r) => r.resourceType === type).map((r) => pick(r as never)));
    assert.deepEqual(systems('Observation', (o: Observation) => o.code?.coding?.[0]?.system), new Set(['http://loinc.org']));
    assert.deepEqual(systems('Condition', (c: { code?: { coding?: { system?: string }[] } }) => c.code?.coding?.[0]?.system), new Set(['http://snomed.info/sct']));
    assert.deepEqual(
      systems('MedicationRequest', (m: { medicationCodeableConcept?: { coding?: { system?: string }[] } }) => m.medicationCodeableConcept?.coding?.[0]?.system),
      new Set(['http://www.nlm.nih.gov/research/umls/rxnorm']),
    );
    const withQuantity = data.filter((r): r is Observation => r.resourceType === 'Observation' && r.valueQuantity !== undefined);
    assert.ok(withQuantity.length > 300);
    assert.ok(withQuantity.every((o) => o.valueQuantity?.system === 'http://unitsofmeasure.org'));
  });

  it('makes a Patient read about 2 KB (1.5 to 2.5 KB of JSON)', () => {
    for (const p of data.filter((r) => r.resourceType === 'Patient')) {
      const size = JSON.stringify(p).length;
      assert.ok(size >= 1500 && size <= 2500, `${p.id} is ${size} bytes`);
    }
  });

  it('links patients to each other: the cross-patient observation and the related person', () => {
    const cross = index.get(`Observation/${SAMPLE_FIXTURES.crossPatientObservation.id}`) as Observation;
    assert.equal(cross.subject?.reference, SAMPLE_FIXTURES.crossPatientObservation.subject);
    assert.equal(cross.performer?.[0]?.reference, SAMPLE_FIXTURES.crossPatientObservation.performer);
    const related = index.get(`RelatedPerson/${SAMPLE_FIXTURES.relatedPerson.id}`) as { patient?: { reference?: string }; name?: unknown[] };
    assert.equal(related.patient?.reference, SAMPLE_FIXTURES.relatedPerson.patient);
    const spouse = index.get(SAMPLE_FIXTURES.relatedPerson.sameHumanAs) as Patient;
    assert.deepEqual(related.name?.[0], { use: 'official', family: spouse.name?.[0]?.family, given: spouse.name?.[0]?.given });
  });

  it('only references resources that exist', () => {
    const dangling: string[] = [];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          if (k === 'reference' && typeof v === 'string' && !index.has(v)) dangling.push(v);
          else walk(v);
        }
      }
    };
    walk(data);
    assert.deepEqual(dangling, []);
  });
});
