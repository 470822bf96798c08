import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CustosError } from '../../src/errors.js';
import { compilePatientCompartment, loadPatientCompartment, patientIdOfReference } from '../../src/fhir/patient-compartment.js';

const compartment = loadPatientCompartment();
const ref = (reference: string) => ({ reference });

describe('patientIdOfReference', () => {
  it('reads relative, versioned and absolute Patient references', () => {
    assert.equal(patientIdOfReference('Patient/123'), '123');
    assert.equal(patientIdOfReference('Patient/123/_history/4'), '123');
    assert.equal(patientIdOfReference('https://any.host/base/Patient/a-1.b'), 'a-1.b');
    assert.equal(patientIdOfReference('http://other.example:8080/fhir/r4/Patient/123/_history/2'), '123');
  });

  it('ignores references that do not name a Patient by id', () => {
    for (const reference of [
      'Practitioner/123', '#pat', 'urn:uuid:9d5b5c3e-6f7a-4d8e-9b2a-1c3d4e5f6a7b', 'urn:oid:1.2.3', 'Patient/',
      'Patient/a_b', `Patient/${'x'.repeat(65)}`, 'Patient/1/_history', 'Patient/1?x=y', 'patient/1', ' Patient/1',
      'Patient/1/Observation/2', 'ftp://host/Patient/1', '',
    ]) {
      assert.equal(patientIdOfReference(reference), undefined, reference);
    }
  });
});

describe('loadPatientCompartment', () => {
  it('compiles every one of the 67 R4 compartment types, Patient included', () => {
    assert.equal(compartment.types.length, 67);
    assert.ok(compartment.types.includes('Patient'));
    for (const type of compartment.types) {
      assert.ok(compartment.isCompartmentType(type), type);
      assert.ok(compartment.paramsOf(type).length > 0, type);
      assert.ok(compartment.elementsOf(type).length > 0, type);
    }
  });

  it('reads the definitions once per process', () => {
    assert.equal(loadPatientCompartment(), compartment);
  });

  it('names the search parameters and top-level elements it reads', () => {
    assert.deepEqual(compartment.paramsOf('Observation'), ['subject', 'performer']);
    assert.deepEqual(compartment.elementsOf('Observation'), ['subject', 'performer']);
    assert.deepEqual(compartment.elementsOf('Patient'), ['id', 'link']);
    assert.deepEqual(compartment.elementsOf('Appointment'), ['participant']);
  });

  it('knows nothing of types outside the compartment', () => {
    for (const resourceType of ['Practitioner', 'Medication', 'Organization', 'NotAType', '__proto__']) {
      assert.equal(compartment.isCompartmentType(resourceType), false, resourceType);
      assert.deepEqual(compartment.patientsOf({ resourceType, subject: ref('Patient/p') }), []);
      assert.deepEqual(compartment.elementsOf(resourceType), []);
      assert.deepEqual(compartment.paramsOf(resourceType), []);
    }
  });
});

describe('patientsOf', () => {
  it('collects an Observation subject and the Patient among its performers', () => {
    const observation = {
      resourceType: 'Observation',
      subject: ref('Patient/pat-1'),
      performer: [ref('Patient/pat-2'), ref('Practitioner/x'), ref('Patient/pat-1')],
    };
    assert.deepEqual(compartment.patientsOf(observation), ['pat-1', 'pat-2']);
  });

  it('reads an Encounter subject', () => {
    assert.deepEqual(compartment.patientsOf({ resourceType: 'Encounter', subject: ref('Patient/e1') }), ['e1']);
  });

  it('walks repeating backbone elements: Appointment participant actors', () => {
    const appointment = {
      resourceType: 'Appointment',
      participant: [{ actor: ref('Practitioner/doc') }, { actor: ref('Patient/a1') }, { status: 'accepted' }, { actor: ref('Patient/a2') }],
    };
    assert.deepEqual(compartment.patientsOf(appointment), ['a1', 'a2']);
  });

  it('walks CareTeam participant members next to the subject', () => {
    const careTeam = {
      resourceType: 'CareTeam',
      subject: ref('Group/g'),
      participant: [{ member: ref('Patient/c1') }, { member: ref('RelatedPerson/r') }],
    };
    assert.deepEqual(compartment.patientsOf(careTeam), ['c1']);
  });

  it('puts a Patient in its own compartment and in those of the patients it links to', () => {
    const patient = {
      resourceType: 'Patient',
      id: 'self',
      link: [{ other: ref('Patient/old'), type: 'replaces' }, { other: ref('RelatedPerson/x'), type: 'seealso' }, { other: ref('Patient/self') }],
    };
    assert.deepEqual(compartment.patientsOf(patient), ['self', 'old']);
    assert.deepEqual(compartment.patientsOf({ resourceType: 'Patient' }), []);
    assert.deepEqual(compartment.patientsOf({ resourceType: 'Patient', id: 'not valid!' }), []);
  });

  it('counts absolute and versioned references as the patient they name', () => {
    const observation = {
      resourceType: 'Observation',
      subject: ref('https://elsewhere.example/fhir/Patient/abs/_history/3'),
      performer: [ref('Patient/ver/_history/1')],
    };
    assert.deepEqual(compartment.patientsOf(observation), ['abs', 'ver']);
  });

  it('ignores urn:uuid, contained and identifier-only references', () => {
    const observation = {
      resourceType: 'Observation',
      subject: ref('urn:uuid:9d5b5c3e-6f7a-4d8e-9b2a-1c3d4e5f6a7b'),
      performer: [ref('#p1'), { type: 'Patient', identifier: { system: 'urn:mrn', value: '42' } }],
      contained: [{ resourceType: 'Patient', id: 'p1' }],
    };
    assert.deepEqual(compartment.patientsOf(observation), []);
  });

  it('never throws on hostile shapes, and still reads what is well formed', () => {
    const hostile: Record<string, unknown>[] = [
      { resourceType: 'Observation', subject: 'Patient/x' },
      { resourceType: 'Observation', subject: [null, 5, 'Patient/x', [ref('Patient/nested')]] },
      { resourceType: 'Observation', performer: { reference: 7 } },
      { resourceType: 'Appointment', participant: 'Patient/x' },
      { resourceType: 'Appointment', participant: [null, { actor: null }, { actor: [true] }] },
      { resourceType: 'Patient', id: 5, link: { other: 'Patient/x' } },
      { resourceType: 7 },
      {},
    ];
    for (const resource of hostile) assert.deepEqual(compartment.patientsOf(resource), []);
    for (const resource of [null, undefined, 'Observation', 3, [{ resourceType: 'Observation' }]]) {
      assert.deepEqual(compartment.patientsOf(resource as unknown as Record<string, unknown>), []);
    }
    const mixed = { resourceType: 'Observation', subject: [null, ref('Patient/ok')], performer: { reference: 7 } };
    assert.deepEqual(compartment.patientsOf(mixed), ['ok']);
  });

  it('stays unique and in first-seen order over a large array', () => {
    const performer = Array.from({ length: 10_000 }, (_, i) => ref(`Patient/p${i % 100}`));
    const ids = compartment.patientsOf({ resourceType: 'Observation', subject: ref('Patient/p42'), performer });
    assert.equal(ids.length, 100);
    assert.deepEqual(ids.slice(0, 3), ['p42', 'p0', 'p1']);
  });
});

describe('compilePatientCompartment', () => {
  const definition = (type: string, params: string[]) => ({ resource: [{ code: 'Patient', param: ['link'] }, { code: type, param: params }] });
  const parameters = (...entries: [base: string, code: string, expression: string, type?: string][]) => ({
    entry: [['Patient', 'link', 'Patient.link.other'], ...entries].map(([base, code, expression, type]) => ({
      resource: { base: [base!], code: code!, expression: expression!, type: type ?? 'reference' },
    })),
  });
  const compile = (type: string, expression: string, searchType?: string) =>
    compilePatientCompartment(definition(type, ['p']), parameters([type, 'p', expression, searchType]));
  const rejects = (type: string, expression: string, searchType?: string) =>
    assert.throws(
      () => compile(type, expression, searchType),
      (e: CustosError) => e.code === 'INTERNAL' && e.message.includes(`${type}.p`) && e.message.includes(expression),
    );

  it('keeps only the union terms rooted at the type, through where(resolve() is Patient)', () => {
    const c = compile('Flag', 'Other.subject | Flag.subject.where(resolve() is Patient) | Flag.author.member');
    assert.deepEqual(c.elementsOf('Flag'), ['subject', 'author']);
    assert.deepEqual(c.patientsOf({ resourceType: 'Flag', author: [{ member: ref('Patient/m') }], subject: ref('Patient/s') }), ['s', 'm']);
  });

  it('reads a cast to Reference both as the element and as its choice-type spelling', () => {
    for (const expression of ['(Basic.value as Reference)', 'Basic.value.as(Reference)', 'Basic.value.as(Reference).where(resolve() is Patient)']) {
      const c = compile('Basic', expression);
      assert.deepEqual(c.elementsOf('Basic'), ['value', 'valueReference'], expression);
      assert.deepEqual(c.patientsOf({ resourceType: 'Basic', value: ref('Patient/a'), valueReference: ref('Patient/b') }), ['a', 'b']);
    }
  });

  it('refuses, at load, every expression it cannot compile, naming type, parameter and expression', () => {
    rejects('Basic', 'Basic.subject.where(resolve() is Group)');
    rejects('Basic', 'Basic.subject.first()');
    rejects('Basic', 'Basic.extension(\'http://x\').value');
    rejects('Basic', '(Basic.value as Quantity)');
    rejects('Basic', 'Basic.value.as(Reference).reference');
    rejects('Basic', 'Basic.value[x]');
    rejects('Basic', 'Basic');
    rejects('Basic', '(Basic.a | Other.b).where(resolve() is Patient)');
    rejects('Basic', 'Other.a.where(x = Basic.b)');
    rejects('Basic', 'Other.subject');
    rejects('Basic', 'Basic.subject', 'token');
    assert.throws(() => compilePatientCompartment(definition('Basic', ['missing']), parameters()), /Basic\.missing/);
  });
});
