/**
 * Builders for one patient's clinical record: Encounters, Observations (vital signs and labs,
 * LOINC + UCUM valueQuantity), Conditions (SNOMED CT) and MedicationRequests (RxNorm).
 *
 * Guarantees tests may rely on, whatever the seed: every patient has at least two Encounters
 * (`enc-NNN-01` is a check-up), each Encounter has a heart rate, a blood pressure panel and one
 * other vital sign, so `obs-NNN-01` is always the heart rate (LOINC 8867-4) of `enc-NNN-01`;
 * every patient has at least one Condition (`cond-NNN-01`) treated by a MedicationRequest
 * (`medreq-NNN-01`).
 */
import type {
  CodeableConcept, Condition, Encounter, MedicationRequest, Observation, Organization, Patient, Practitioner, Quantity, Reference,
} from '@medplum/fhirtypes';
import {
  ACT_CODE, BLOOD_PRESSURE_PANEL, CONDITIONS, DIASTOLIC, ENCOUNTER_KINDS, HEART_RATE, LABS, LOINC, OTHER_VITALS, RXNORM, SNOMED,
  SYSTOLIC, UCUM, type QuantityCode,
} from './code-tables.js';
import type { Prng } from './prng.js';
import { conditionId, encounterId, medicationRequestId, observationId } from './sample-ids.js';
import { practitionerDisplay } from './synthetic-people.js';

const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const FIRST_DAY = Date.UTC(2019, 0, 1);
const DAY_MS = 86_400_000;

export interface ClinicalContext {
  readonly patient: Patient;
  readonly practitioners: readonly Practitioner[];
  readonly organizations: readonly Organization[];
}

export interface ClinicalRecord {
  readonly encounters: Encounter[];
  readonly observations: Observation[];
  readonly conditions: Condition[];
  readonly medicationRequests: MedicationRequest[];
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
/** `Reference<never>` is assignable to every typed Reference field (`Reference<Patient | Group>`...). */
const ref = (type: string, id: string | undefined, display?: string): Reference<never> =>
  display ? { reference: `${type}/${id}`, display } : { reference: `${type}/${id}` };
const coded = (system: string, code: string, display: string): CodeableConcept =>
  ({ coding: [{ system, code, display }], text: display });

export function quantity(code: QuantityCode, value: number): Quantity {
  return { value, unit: code.unit, system: UCUM, code: code.unit };
}

function category(code: 'vital-signs' | 'laboratory'): CodeableConcept[] {
  return [{ coding: [{ system: OBSERVATION_CATEGORY, code, display: code === 'vital-signs' ? 'Vital Signs' : 'Laboratory' }] }];
}

function interpretation(code: QuantityCode, value: number): CodeableConcept[] | undefined {
  const system = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
  if (code.high !== undefined && value > code.high) return [{ coding: [{ system, code: 'H', display: 'High' }] }];
  if (code.low !== undefined && value < code.low) return [{ coding: [{ system, code: 'L', display: 'Low' }] }];
  return [{ coding: [{ system, code: 'N', display: 'Normal' }] }];
}

export function buildClinicalRecord(n: number, rng: Prng, ctx: ClinicalContext): ClinicalRecord {
  const record: ClinicalRecord = { encounters: [], observations: [], conditions: [], medicationRequests: [] };
  const patientRef = ref('Patient', ctx.patient.id);
  const gpRef = ctx.patient.generalPractitioner?.[0];
  const days = new Set<number>();
  const encounterCount = rng.int(2, 4);
  while (days.size < encounterCount) days.add(rng.int(0, 6 * 365));
  const sortedDays = [...days].sort((a, b) => a - b);

  let obsSeq = 0;
  const observation = (o: Omit<Observation, 'resourceType' | 'id' | 'status' | 'subject'>): void => {
    obsSeq += 1;
    record.observations.push({ resourceType: 'Observation', id: observationId(n, obsSeq), status: 'final', ...o, subject: patientRef });
  };

  sortedDays.forEach((day, index) => {
    const kind = index === 0 ? ENCOUNTER_KINDS[0] ?? rng.pick(ENCOUNTER_KINDS) : rng.pick(ENCOUNTER_KINDS);
    const practitioner = index === 0 || rng.chance(0.5) ? findPractitioner(ctx, gpRef) : rng.pick(ctx.practitioners);
    const organization = kind.classCode === 'AMB' ? ctx.organizations[1] ?? rng.pick(ctx.organizations) : ctx.organizations[0] ?? rng.pick(ctx.organizations);
    const start = FIRST_DAY + day * DAY_MS + rng.int(8 * 60, 16 * 60) * 60_000;
    const end = start + kind.hours * 3_600_000;
    const encounter: Encounter = {
      resourceType: 'Encounter',
      id: encounterId(n, index + 1),
      status: 'finished',
      class: { system: ACT_CODE, code: kind.classCode, display: kind.classDisplay },
      type: [coded(SNOMED, kind.code, kind.display)],
      subject: patientRef,
      participant: [{
        type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PPRF', display: 'primary performer' }] }],
        individual: ref('Practitioner', practitioner.id, practitionerDisplay(practitioner)),
      }],
      period: { start: iso(start), end: iso(end) },
      serviceProvider: ref('Organization', organization.id, organization.name),
    };
    record.encounters.push(encounter);
    const encounterRef = ref('Encounter', encounter.id);
    const effective = iso(start + 10 * 60_000);
    const performer = [ref('Practitioner', practitioner.id)];

    // Vital signs profile (https://hl7.org/fhir/R4/observation-vitalsigns.html)
    const heartRate = rng.decimal(HEART_RATE.min, HEART_RATE.max, HEART_RATE.decimals);
    observation({
      category: category('vital-signs'), code: coded(LOINC, HEART_RATE.code, HEART_RATE.display), encounter: encounterRef,
      effectiveDateTime: effective, issued: `${effective.slice(0, -1)}.000Z`, performer, valueQuantity: quantity(HEART_RATE, heartRate),
    });
    const systolic = rng.decimal(SYSTOLIC.min, SYSTOLIC.max, 0);
    const diastolic = Math.min(systolic - 25, rng.decimal(DIASTOLIC.min, DIASTOLIC.max, 0));
    observation({
      category: category('vital-signs'), code: coded(LOINC, BLOOD_PRESSURE_PANEL.code, BLOOD_PRESSURE_PANEL.display), encounter: encounterRef,
      effectiveDateTime: effective, issued: `${effective.slice(0, -1)}.000Z`, performer,
      component: [
        { code: coded(LOINC, SYSTOLIC.code, SYSTOLIC.display), valueQuantity: quantity(SYSTOLIC, systolic) },
        { code: coded(LOINC, DIASTOLIC.code, DIASTOLIC.display), valueQuantity: quantity(DIASTOLIC, diastolic) },
      ],
    });
    const vital = rng.pick(OTHER_VITALS);
    observation({
      category: category('vital-signs'), code: coded(LOINC, vital.code, vital.display), encounter: encounterRef,
      effectiveDateTime: effective, issued: `${effective.slice(0, -1)}.000Z`, performer,
      valueQuantity: quantity(vital, rng.decimal(vital.min, vital.max, vital.decimals)),
    });

    if (rng.chance(0.5)) {
      const labs = new Set<QuantityCode>();
      const labCount = rng.int(1, 2);
      while (labs.size < labCount) labs.add(rng.pick(LABS));
      const collected = iso(start + 30 * 60_000);
      for (const lab of labs) {
        const value = rng.decimal(lab.min, lab.max, lab.decimals);
        observation({
          category: category('laboratory'), code: coded(LOINC, lab.code, lab.display), encounter: encounterRef,
          effectiveDateTime: collected, issued: iso(start + 26 * 3_600_000),
          performer: [ref('Organization', ctx.organizations[2]?.id ?? organization.id)],
          valueQuantity: quantity(lab, value),
          interpretation: interpretation(lab, value),
          referenceRange: [{
            ...(lab.low !== undefined ? { low: quantity(lab, lab.low) } : {}),
            ...(lab.high !== undefined ? { high: quantity(lab, lab.high) } : {}),
          }],
        });
      }
    }
  });

  addConditionsAndMedications(n, rng, ctx, record);
  return record;
}

function findPractitioner(ctx: ClinicalContext, gp: Reference | undefined): Practitioner {
  const id = gp?.reference?.split('/')[1];
  return ctx.practitioners.find((p) => p.id === id) ?? (ctx.practitioners[0] as Practitioner);
}

function addConditionsAndMedications(n: number, rng: Prng, ctx: ClinicalContext, record: ClinicalRecord): void {
  const patientRef = ref('Patient', ctx.patient.id);
  const chosen = new Set<(typeof CONDITIONS)[number]>();
  const conditionCount = rng.int(1, 3);
  while (chosen.size < conditionCount) chosen.add(rng.pick(CONDITIONS));
  let seq = 0;
  for (const condition of chosen) {
    seq += 1;
    const encounter = rng.pick(record.encounters);
    const onset = encounter.period?.start ?? '2020-01-01T00:00:00Z';
    const asserter = ctx.practitioners.find((p) => p.id === encounter.participant?.[0]?.individual?.reference?.split('/')[1])
      ?? findPractitioner(ctx, undefined);
    const abatement = iso(Date.parse(onset) + rng.int(10, 40) * DAY_MS);
    record.conditions.push({
      resourceType: 'Condition',
      id: conditionId(n, seq),
      clinicalStatus: {
        coding: [{
          system: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
          code: condition.chronic ? 'active' : 'resolved', display: condition.chronic ? 'Active' : 'Resolved',
        }],
      },
      verificationStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed', display: 'Confirmed' }],
      },
      category: [{
        coding: [{
          system: 'http://terminology.hl7.org/CodeSystem/condition-category',
          code: condition.chronic ? 'problem-list-item' : 'encounter-diagnosis',
          display: condition.chronic ? 'Problem List Item' : 'Encounter Diagnosis',
        }],
      }],
      code: coded(SNOMED, condition.code, condition.display),
      subject: patientRef,
      encounter: ref('Encounter', encounter.id),
      onsetDateTime: onset,
      ...(condition.chronic ? {} : { abatementDateTime: abatement }),
      recordedDate: onset,
      asserter: ref('Practitioner', asserter.id, practitionerDisplay(asserter)),
    });
    const medication = rng.pick(condition.medications);
    record.medicationRequests.push({
      resourceType: 'MedicationRequest',
      id: medicationRequestId(n, seq),
      status: condition.chronic ? 'active' : 'completed',
      intent: 'order',
      medicationCodeableConcept: coded(RXNORM, medication.code, medication.display),
      subject: patientRef,
      encounter: ref('Encounter', encounter.id),
      authoredOn: onset,
      requester: ref('Practitioner', asserter.id, practitionerDisplay(asserter)),
      reasonReference: [ref('Condition', conditionId(n, seq))],
      dosageInstruction: [{ sequence: 1, text: medication.dosage }],
      ...(condition.chronic
        ? { dispenseRequest: { numberOfRepeatsAllowed: rng.int(1, 5), quantity: { value: 90, unit: 'tablet' } } }
        : {}),
    });
  }
}
