/**
 * Clinical code tables for the synthetic data: LOINC for observations, SNOMED CT for conditions
 * and encounter types, RxNorm for medications, UCUM for units.
 *
 * The codes are the ones public synthetic data sets (e.g. Synthea) use for the same concepts; they
 * make searches such as `Observation?code=http://loinc.org|8867-4` meaningful. Illustrative data,
 * not clinical guidance.
 */

export const LOINC = 'http://loinc.org';
export const SNOMED = 'http://snomed.info/sct';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const UCUM = 'http://unitsofmeasure.org';

export interface QuantityCode {
  readonly code: string;
  readonly display: string;
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  readonly decimals: number;
  /** Normal range, shown as Observation.referenceRange for labs. */
  readonly low?: number;
  readonly high?: number;
}

/** Vital signs (https://hl7.org/fhir/R4/observation-vitalsigns.html), one LOINC code each. */
export const HEART_RATE: QuantityCode = {
  code: '8867-4', display: 'Heart rate', unit: '/min', min: 55, max: 105, decimals: 0,
};
export const BLOOD_PRESSURE_PANEL = { code: '85354-9', display: 'Blood pressure panel with all children optional' };
export const SYSTOLIC: QuantityCode = {
  code: '8480-6', display: 'Systolic blood pressure', unit: 'mm[Hg]', min: 100, max: 165, decimals: 0,
};
export const DIASTOLIC: QuantityCode = {
  code: '8462-4', display: 'Diastolic blood pressure', unit: 'mm[Hg]', min: 60, max: 100, decimals: 0,
};
export const OTHER_VITALS: readonly QuantityCode[] = [
  { code: '29463-7', display: 'Body weight', unit: 'kg', min: 48, max: 118, decimals: 1 },
  { code: '8310-5', display: 'Body temperature', unit: 'Cel', min: 36.1, max: 38.2, decimals: 1 },
  { code: '9279-1', display: 'Respiratory rate', unit: '/min', min: 12, max: 22, decimals: 0 },
  {
    code: '59408-5', display: 'Oxygen saturation in Arterial blood by Pulse oximetry', unit: '%',
    min: 93, max: 100, decimals: 0,
  },
];

/** Laboratory results with their usual reference ranges. */
export const LABS: readonly QuantityCode[] = [
  { code: '2339-0', display: 'Glucose [Mass/volume] in Blood', unit: 'mg/dL', min: 68, max: 190, decimals: 0, low: 70, high: 99 },
  { code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood', unit: '%', min: 4.6, max: 9.8, decimals: 1, high: 5.7 },
  { code: '2160-0', display: 'Creatinine [Mass/volume] in Serum or Plasma', unit: 'mg/dL', min: 0.5, max: 1.8, decimals: 2, low: 0.6, high: 1.3 },
  { code: '718-7', display: 'Hemoglobin [Mass/volume] in Blood', unit: 'g/dL', min: 10.5, max: 17.5, decimals: 1, low: 12, high: 17 },
  { code: '2093-3', display: 'Cholesterol [Mass/volume] in Serum or Plasma', unit: 'mg/dL', min: 130, max: 290, decimals: 0, high: 200 },
  { code: '2823-3', display: 'Potassium [Moles/volume] in Serum or Plasma', unit: 'mmol/L', min: 3.3, max: 5.4, decimals: 1, low: 3.5, high: 5.1 },
  { code: '2951-2', display: 'Sodium [Moles/volume] in Serum or Plasma', unit: 'mmol/L', min: 133, max: 147, decimals: 0, low: 136, high: 145 },
  { code: '6690-2', display: 'Leukocytes [#/volume] in Blood by Automated count', unit: '10*3/uL', min: 3.6, max: 12.5, decimals: 1, low: 4, high: 11 },
];

export interface Medication {
  readonly code: string;
  readonly display: string;
  readonly dosage: string;
}

export interface ConditionCode {
  readonly code: string;
  readonly display: string;
  /** Chronic conditions stay active; acute ones are resolved some weeks after onset. */
  readonly chronic: boolean;
  readonly medications: readonly Medication[];
}

export const CONDITIONS: readonly ConditionCode[] = [
  {
    code: '38341003', display: 'Hypertensive disorder, systemic arterial (disorder)', chronic: true,
    medications: [
      { code: '314076', display: 'lisinopril 10 MG Oral Tablet', dosage: 'Take 1 tablet by mouth once daily' },
      { code: '197361', display: 'amlodipine 5 MG Oral Tablet', dosage: 'Take 1 tablet by mouth once daily' },
    ],
  },
  {
    code: '44054006', display: 'Diabetes mellitus type 2 (disorder)', chronic: true,
    medications: [{
      code: '860975', display: '24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet',
      dosage: 'Take 1 tablet by mouth daily with the evening meal',
    }],
  },
  {
    code: '195967001', display: 'Asthma (disorder)', chronic: true,
    medications: [{
      code: '745679', display: '200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler',
      dosage: 'Inhale 2 puffs every 4 to 6 hours as needed for wheezing',
    }],
  },
  {
    code: '55822004', display: 'Hyperlipidemia (disorder)', chronic: true,
    medications: [{ code: '314231', display: 'simvastatin 10 MG Oral Tablet', dosage: 'Take 1 tablet by mouth at bedtime' }],
  },
  {
    code: '35489007', display: 'Depressive disorder (disorder)', chronic: true,
    medications: [{ code: '312940', display: 'sertraline 50 MG Oral Tablet', dosage: 'Take 1 tablet by mouth once daily' }],
  },
  {
    code: '396275006', display: 'Osteoarthritis (disorder)', chronic: true,
    medications: [{ code: '313782', display: 'acetaminophen 325 MG Oral Tablet', dosage: 'Take 2 tablets by mouth every 6 hours as needed for pain' }],
  },
  {
    code: '49436004', display: 'Atrial fibrillation (disorder)', chronic: true,
    medications: [{ code: '855332', display: 'warfarin sodium 5 MG Oral Tablet', dosage: 'Take 1 tablet by mouth once daily, adjust to INR' }],
  },
  {
    code: '444814009', display: 'Viral sinusitis (disorder)', chronic: false,
    medications: [{ code: '308182', display: 'amoxicillin 250 MG Oral Capsule', dosage: 'Take 1 capsule by mouth three times daily for 10 days' }],
  },
  {
    code: '10509002', display: 'Acute bronchitis (disorder)', chronic: false,
    medications: [{ code: '310965', display: 'ibuprofen 200 MG Oral Tablet', dosage: 'Take 1 to 2 tablets by mouth every 6 hours as needed' }],
  },
];

export interface EncounterKind {
  readonly classCode: 'AMB' | 'EMER' | 'IMP';
  readonly classDisplay: string;
  readonly code: string;
  readonly display: string;
  /** Length of stay in hours. */
  readonly hours: number;
}

export const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

export const ENCOUNTER_KINDS: readonly EncounterKind[] = [
  { classCode: 'AMB', classDisplay: 'ambulatory', code: '185349003', display: 'Encounter for check up (procedure)', hours: 1 },
  { classCode: 'AMB', classDisplay: 'ambulatory', code: '185345009', display: 'Encounter for symptom (procedure)', hours: 1 },
  { classCode: 'AMB', classDisplay: 'ambulatory', code: '390906007', display: 'Follow-up encounter (procedure)', hours: 1 },
  { classCode: 'EMER', classDisplay: 'emergency', code: '50849002', display: 'Emergency room admission (procedure)', hours: 5 },
  { classCode: 'IMP', classDisplay: 'inpatient encounter', code: '183452005', display: 'Emergency hospital admission (procedure)', hours: 52 },
];
