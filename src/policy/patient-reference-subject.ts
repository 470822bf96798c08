/**
 * The consent subject a grant names, from how an administrator (or a FHIR Consent) names the
 * patient: `Patient/{id}` (a patient of the default source), `sources/{source}/Patient/{id}` (a
 * patient of another source) or, with an identifier system configured,
 * `Patient?identifier={system}|{value}` (the person, in every source). Patients named by id are
 * resolved through their source exactly as requests are, so a grant and a decision always meet
 * on the same subject.
 */
import { CustosError } from '../errors.js';
import type { Bytes32 } from './consent-model.js';
import { identifierKey, parseSourcePatient, type SubjectDirectory } from './patient-subjects.js';
import type { Pseudonymizer } from './pseudonym.js';

export type SubjectOfReference = (reference: string) => Promise<Bytes32>;

/** The forms `subjectOfReference` accepts, for request schemas. */
export const PATIENT_REFERENCE_PATTERN = '^(Patient/[A-Za-z0-9\\-.]{1,64}|sources/[a-z0-9][a-z0-9-]{0,39}/Patient/[A-Za-z0-9\\-.]{1,64}|Patient\\?identifier=[^|\\s]{1,256}\\|[^\\s]{1,256})$';

export function subjectOfReference(pseudonyms: Pseudonymizer, directories: ReadonlyMap<string, SubjectDirectory>, system: string | null): SubjectOfReference {
  return async (reference) => {
    if (reference.startsWith('Patient?identifier=')) {
      const [given, ...rest] = reference.slice('Patient?identifier='.length).split('|');
      const value = rest.join('|');
      if (system === null) throw new CustosError('INVALID_REQUEST', 'patients can be named by identifier only when patientIdentity.system is configured; name the patient as Patient/{id}');
      if (given !== system || value === '') throw new CustosError('INVALID_REQUEST', `name the patient by an identifier of the system ${system} (Patient?identifier=${system}|{value})`);
      return pseudonyms.of('subject', identifierKey(system, value));
    }
    const patient = parseSourcePatient(reference);
    if (!patient) throw new CustosError('INVALID_REQUEST', 'name the patient as Patient/{id}, sources/{source}/Patient/{id} or Patient?identifier={system}|{value}');
    const directory = directories.get(patient.sourceId);
    if (!directory) throw new CustosError('INVALID_REQUEST', `there is no source "${patient.sourceId}"`);
    await directory.prepare?.([patient.id]);
    return directory.subjectOf(patient.id);
  };
}
