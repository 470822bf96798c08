/**
 * The two legacy tables, checked row by row into typed records. Everything FHIR would reject
 * later (a malformed date, a non-numeric value, an id FHIR cannot carry) is refused here, at
 * start, with `file:line` and the column, so a bad export never turns into half-served data.
 *
 * patients.csv:      mrn, family, given, gender, birth_date [, phone]
 * observations.csv:  id, mrn, loinc, display, value, unit, effective
 */
import { dataError, readTable } from './csv-table.js';

export type Gender = 'male' | 'female' | 'other' | 'unknown';

export interface PatientRow {
  readonly line: number;
  readonly mrn: string;
  readonly family: string;
  readonly given: readonly string[];
  readonly gender?: Gender;
  readonly birthDate?: string;
  readonly phone?: string;
}

export interface ObservationRow {
  readonly line: number;
  readonly id: string;
  readonly mrn: string;
  readonly loinc: string;
  readonly display?: string;
  readonly value: number;
  /** A UCUM code (https://ucum.org), used as both `unit` and `code` of the Quantity. */
  readonly unit: string;
  readonly effective: string;
}

/** https://hl7.org/fhir/R4/datatypes.html#id */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
/** https://hl7.org/fhir/R4/datatypes.html#date */
const FHIR_DATE = /^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$/;
/** https://hl7.org/fhir/R4/datatypes.html#dateTime (a time needs a zone) */
const FHIR_DATE_TIME =
  /^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$/;
/** https://hl7.org/fhir/R4/datatypes.html#decimal */
const FHIR_DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
/** A LOINC code: digits, a hyphen, one check digit. */
const LOINC_CODE = /^[0-9]{1,7}-[0-9]$/;
/** Codes legacy systems use (HL7 v2 table 0001 letters) next to the FHIR words. */
const GENDERS: Record<string, Gender> = {
  male: 'male', female: 'female', other: 'other', unknown: 'unknown', m: 'male', f: 'female', o: 'other', u: 'unknown',
};

export function readPatientRows(file: string, text: string): PatientRow[] {
  const rows = readTable(file, text, { required: ['mrn', 'family', 'given', 'gender', 'birth_date'], optional: ['phone'] });
  return rows.map((row) => {
    const mrn = row.get('mrn');
    const family = row.get('family');
    if (!mrn) throw dataError(file, row.line, 'column "mrn" is empty');
    if (!family) throw dataError(file, row.line, 'column "family" is empty');
    const genderText = row.get('gender').toLowerCase();
    const gender = genderText ? GENDERS[genderText] : undefined;
    if (genderText && !gender) throw dataError(file, row.line, 'column "gender" must be male, female, other, unknown (or M, F, O, U)');
    const birthDate = row.get('birth_date');
    if (birthDate && !FHIR_DATE.test(birthDate)) throw dataError(file, row.line, 'column "birth_date" must be a date: YYYY, YYYY-MM or YYYY-MM-DD');
    const given = row.get('given').split(/\s+/).filter(Boolean);
    const phone = row.get('phone');
    return {
      line: row.line, mrn, family, given,
      ...(gender ? { gender } : {}),
      ...(birthDate ? { birthDate } : {}),
      ...(phone ? { phone } : {}),
    };
  });
}

export function readObservationRows(file: string, text: string): ObservationRow[] {
  const rows = readTable(file, text, { required: ['id', 'mrn', 'loinc', 'display', 'value', 'unit', 'effective'] });
  return rows.map((row) => {
    const id = row.get('id');
    if (!FHIR_ID.test(id)) throw dataError(file, row.line, 'column "id" must be 1-64 letters, digits, "-" or "." (a FHIR id)');
    const mrn = row.get('mrn');
    if (!mrn) throw dataError(file, row.line, 'column "mrn" is empty');
    const loinc = row.get('loinc');
    if (!LOINC_CODE.test(loinc)) throw dataError(file, row.line, 'column "loinc" must be a LOINC code such as 8867-4');
    const value = row.get('value');
    if (!FHIR_DECIMAL.test(value)) throw dataError(file, row.line, 'column "value" must be a decimal number such as 72 or 5.4');
    const unit = row.get('unit');
    if (!unit || /\s/.test(unit)) throw dataError(file, row.line, 'column "unit" must be a UCUM code without spaces, such as mg/dL or /min');
    const effective = row.get('effective');
    if (!FHIR_DATE_TIME.test(effective)) {
      throw dataError(file, row.line, 'column "effective" must be a FHIR dateTime: YYYY-MM-DD, or YYYY-MM-DDThh:mm:ss with a zone (Z or +hh:mm)');
    }
    const display = row.get('display');
    return { line: row.line, id, mrn, loinc, ...(display ? { display } : {}), value: Number(value), unit, effective };
  });
}
