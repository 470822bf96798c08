/**
 * A patient (or a patient-launched app) is named by her id at the default source. At any other
 * source that id means nothing: her own records there are found by her consent subject (identity
 * across sources), and an unrelated patient who happens to have the same id there is not her.
 * The consent reader is a stand-in that grants nothing, so only "self" can permit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccessActor } from '../../src/policy/access-actor.js';
import { decideAccess, type ConsentReader } from '../../src/policy/access-decision.js';
import { identifierKey } from '../../src/policy/patient-subjects.js';
import { Pseudonymizer } from '../../src/policy/pseudonym.js';

const pseudonyms = new Pseudonymizer('k'.repeat(40));
const MRN = 'http://hospital.example.org/mrn';
const her = pseudonyms.of('subject', identifierKey(MRN, 'MRN-1'));
const someoneElse = pseudonyms.of('subject', identifierKey(MRN, 'MRN-2'));
/** At the clinic: b-pat-001 is her (MRN-1); "pat-001" there is another person (MRN-2). */
const clinicSubjects: Record<string, string> = { 'b-pat-001': her, 'pat-001': someoneElse };
const subjectOf = (id: string) => clinicSubjects[id] ?? pseudonyms.of('subject', `unresolved:${id}`);
const grantsNothing: ConsentReader = { decide: () => ({ permitted: false, rule: 'no-grant', grantId: null }) };
const patient: AccessActor = { level: 'patient', confinedTo: 'pat-001', self: 'pat-001', grantees: [], purposeBit: 0, breakGlass: undefined, registrar: false };
const ask = (patients: string[], selfSubject?: string | null) =>
  decideAccess({ actor: patient, action: 'read', resourceType: 'Observation', patients, now: 0, ...(selfSubject !== undefined ? { selfSubject } : {}) }, grantsNothing, subjectOf);

describe('a patient\'s own records across sources', () => {
  it('at the default source her id is compared as it is', () => {
    assert.equal(ask(['pat-001']).rule, 'self');
    assert.equal(ask(['pat-002']).rule, 'outside-compartment');
  });

  it('at another source her records are found by her subject, under their own id', () => {
    assert.equal(ask(['b-pat-001'], her).rule, 'self');
    assert.equal(ask(['b-pat-002'], her).rule, 'outside-compartment');
  });

  it('attack: another person with her default-source id at that source is not her', () => {
    const decision = ask(['pat-001'], her);
    assert.equal(decision.permitted, false);
    assert.equal(decision.rule, 'outside-compartment');
  });

  it('without identity across sources she has no records at another source at all (fail closed)', () => {
    assert.equal(ask(['pat-001'], null).permitted, false, 'not even a patient there with the same id');
    assert.equal(ask(['b-pat-001'], null).permitted, false);
  });

  it('a resource of her and another patient still needs the other patient\'s consent', () => {
    const decision = ask(['b-pat-001', 'b-pat-002'], her);
    assert.equal(decision.permitted, false);
    assert.equal(decision.rule, 'no-grant');
  });
});
