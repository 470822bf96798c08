/**
 * Stable, human-readable ids of the synthetic sample data, shared by the generator and by the
 * fixtures that tests rely on, so the two cannot drift apart.
 *
 * Patient numbers are 1-based: patient 1 is `pat-001`.
 */

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export const patientId = (patient: number): string => `pat-${pad(patient, 3)}`;
export const encounterId = (patient: number, seq: number): string => `enc-${pad(patient, 3)}-${pad(seq, 2)}`;
export const observationId = (patient: number, seq: number): string => `obs-${pad(patient, 3)}-${pad(seq, 2)}`;
export const conditionId = (patient: number, seq: number): string => `cond-${pad(patient, 3)}-${pad(seq, 2)}`;
export const medicationRequestId = (patient: number, seq: number): string =>
  `medreq-${pad(patient, 3)}-${pad(seq, 2)}`;
export const practitionerId = (n: number): string => `prac-${pad(n, 2)}`;
export const organizationId = (n: number): string => `org-${pad(n, 2)}`;
export const relatedPersonId = (n: number): string => `relp-${pad(n, 2)}`;
export const crossObservationId = (n: number): string => `obs-cross-${pad(n, 2)}`;

/** The medical record number of a patient: deterministic, independent of the seed. */
export const medicalRecordNumber = (patient: number): string => `MRN-${100000 + patient}`;

/** Identifier system of the medical record numbers (a hospital-local system, as real MRNs are). */
export const MRN_SYSTEM = 'http://hospital.example.org/mrn';

export const PRACTITIONER_COUNT = 8;
export const ORGANIZATION_COUNT = 3;

/** Clinical notes: patient n (1..DOCUMENT_PATIENTS) has DocumentReference `docref-00n`, its text in Binary `bin-00n`. */
export const documentReferenceId = (patient: number): string => `docref-${pad(patient, 3)}`;
export const noteBinaryId = (patient: number): string => `bin-${pad(patient, 3)}`;
/** A Binary whose securityContext is the Patient itself (a patient-uploaded file). */
export const patientBinaryId = (patient: number): string => `bin-pat-${pad(patient, 3)}`;
/** A Binary with no securityContext (not patient data). */
export const PUBLIC_BINARY_ID = 'bin-public';
export const DOCUMENT_PATIENTS = 3;
/** Group `grp-01`: a cohort of the first GROUP_SIZE patients (for `Group/[id]/$export`). */
export const groupId = (n: number): string => `grp-${pad(n, 2)}`;
export const GROUP_SIZE = 5;
