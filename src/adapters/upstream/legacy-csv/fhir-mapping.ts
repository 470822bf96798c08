/**
 * Legacy rows → FHIR R4 resources. The one rule that matters to the gateway: every Observation
 * names its patient in `subject` (a Patient compartment parameter,
 * https://hl7.org/fhir/R4/compartmentdefinition-patient.html), because the gateway decides consent
 * from the compartment; an Observation without it would belong to nobody and be refused.
 *
 * Patient ids are derived from the MRN, so they survive a re-export of the files (a row number or
 * a counter would not, and links held by clients would break): `MRN-100001` → `lg-100001`.
 */
import type { Observation, Patient } from 'fhir/r4.js';
import { dataError } from './csv-table.js';
import type { ObservationRow, PatientRow } from './legacy-rows.js';

const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
export const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

export interface MappingContext {
  readonly patientsFile: string;
  readonly observationsFile: string;
  /** Identifier system of the MRN column (the consent subject shared across sources). */
  readonly identifierSystem: string;
  /** `meta.lastUpdated` of each table: its file's modification time, as an instant. */
  readonly patientsUpdated: string;
  readonly observationsUpdated: string;
}

export interface MappedRecords {
  readonly patients: readonly Patient[];
  readonly observations: readonly Observation[];
}

/** `lg-` and the MRN's digits; undefined when it has none. */
export function patientIdForMrn(mrn: string): string | undefined {
  const digits = mrn.replace(/[^0-9]/g, '');
  return digits && digits.length <= 61 ? `lg-${digits}` : undefined;
}

export function mapRecords(patientRows: readonly PatientRow[], observationRows: readonly ObservationRow[], context: MappingContext): MappedRecords {
  const idByMrn = new Map<string, string>();
  const lineById = new Map<string, number>();
  const patients = patientRows.map((row) => {
    const id = patientIdForMrn(row.mrn);
    if (!id) throw dataError(context.patientsFile, row.line, 'column "mrn" has no digits to derive a patient id from');
    const earlier = lineById.get(id);
    if (earlier !== undefined) {
      throw dataError(context.patientsFile, row.line, `column "mrn" gives the same patient id as line ${earlier} (MRNs must differ in their digits)`);
    }
    lineById.set(id, row.line);
    idByMrn.set(row.mrn, id);
    return toPatient(row, id, context);
  });

  const observationLines = new Map<string, number>();
  const observations = observationRows.map((row) => {
    const patientId = idByMrn.get(row.mrn);
    if (!patientId) throw dataError(context.observationsFile, row.line, `column "mrn" matches no patient in ${context.patientsFile}`);
    const earlier = observationLines.get(row.id);
    if (earlier !== undefined) throw dataError(context.observationsFile, row.line, `column "id" repeats the id of line ${earlier}`);
    observationLines.set(row.id, row.line);
    return toObservation(row, patientId, context);
  });
  return { patients, observations };
}

function toPatient(row: PatientRow, id: string, context: MappingContext): Patient {
  return {
    resourceType: 'Patient',
    id,
    meta: { versionId: '1', lastUpdated: context.patientsUpdated },
    identifier: [{
      use: 'usual',
      type: { coding: [{ system: V2_0203, code: 'MR', display: 'Medical Record Number' }] },
      system: context.identifierSystem,
      value: row.mrn,
    }],
    name: [{ use: 'official', family: row.family, ...(row.given.length ? { given: [...row.given] } : {}) }],
    ...(row.phone ? { telecom: [{ system: 'phone' as const, value: row.phone, use: 'home' as const }] } : {}),
    ...(row.gender ? { gender: row.gender } : {}),
    ...(row.birthDate ? { birthDate: row.birthDate } : {}),
  };
}

function toObservation(row: ObservationRow, patientId: string, context: MappingContext): Observation {
  return {
    resourceType: 'Observation',
    id: row.id,
    meta: { versionId: '1', lastUpdated: context.observationsUpdated },
    // Rows in the legacy feed are results as reported; the feed carries no corrections.
    status: 'final',
    code: {
      coding: [{ system: LOINC, code: row.loinc, ...(row.display ? { display: row.display } : {}) }],
      ...(row.display ? { text: row.display } : {}),
    },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: row.effective,
    valueQuantity: { value: row.value, unit: row.unit, system: UCUM, code: row.unit },
  };
}
