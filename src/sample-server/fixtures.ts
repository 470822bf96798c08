/**
 * Facts about the sample server's synthetic data that tests (ours and the gateway's) may rely on.
 * They hold for the default options (60 patients, seed 42) and, except `patientIds`, `documents`
 * and `cohortGroup` (which need 3 and 5 patients), for any seed and any patient count ≥ 2.
 * Derived from the same id helpers as the generator, so they cannot drift from the data.
 */
import { HEART_RATE, LOINC } from './code-tables.js';
import {
  conditionId, crossObservationId, DOCUMENT_PATIENTS, documentReferenceId, encounterId, GROUP_SIZE, groupId, medicalRecordNumber,
  medicationRequestId, MRN_SYSTEM, noteBinaryId, observationId, ORGANIZATION_COUNT, organizationId, patientBinaryId, PRACTITIONER_COUNT,
  patientId, practitionerId, PUBLIC_BINARY_ID, relatedPersonId,
} from './sample-ids.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

export interface SampleFixtures {
  readonly defaultPatientCount: number;
  readonly defaultSeed: number;
  /** `pat-001` … `pat-060` (default options). */
  readonly patientIds: readonly string[];
  readonly practitionerIds: readonly string[];
  readonly organizationIds: readonly string[];
  /** Identifier system of the patients' medical record numbers. */
  readonly mrnSystem: string;
  /** `Patient/pat-001` has identifier `mrnSystem|MRN-100001`, and so on. */
  readonly mrnOf: (patientId: string) => string;
  /** Observation about one patient performed by another: in BOTH patients' compartments. */
  readonly crossPatientObservation: { readonly id: string; readonly subject: string; readonly performer: string };
  /** Observation about patient 2 performed by the RelatedPerson below. */
  readonly relatedPersonObservation: { readonly id: string; readonly subject: string; readonly performer: string };
  /** Patient 1 in the role of patient 2's spouse. */
  readonly relatedPerson: { readonly id: string; readonly patient: string; readonly sameHumanAs: string };
  /** Every patient NNN has these (whatever the seed). */
  readonly perPatient: {
    /** First encounter: a check-up. At least two encounters per patient. */
    readonly firstEncounterId: (patientId: string) => string;
    /** Heart rate (LOINC 8867-4) of the first encounter. */
    readonly heartRateObservationId: (patientId: string) => string;
    readonly firstConditionId: (patientId: string) => string;
    /** Treats the first condition (reasonReference). */
    readonly firstMedicationRequestId: (patientId: string) => string;
  };
  readonly heartRateCode: { readonly system: string; readonly code: string };
  /**
   * Progress notes of patients 1..3: `DocumentReference/docref-00n` (subject `Patient/pat-00n`,
   * `content[0].attachment.url` = `Binary/bin-00n`) and `Binary/bin-00n` (text/plain, whose
   * `securityContext` is `DocumentReference/docref-00n`).
   */
  readonly documents: readonly { readonly patient: string; readonly documentReferenceId: string; readonly binaryId: string }[];
  /** `Binary/bin-pat-002`: securityContext `Patient/pat-002`. */
  readonly patientBinary: { readonly id: string; readonly securityContext: string };
  /** `Binary/bin-public`: no securityContext. */
  readonly publicBinaryId: string;
  /** `Group/grp-01` (type person, actual): members `Patient/pat-001` … `Patient/pat-005`. */
  readonly cohortGroup: { readonly id: string; readonly members: readonly string[] };
}

const patientNumber = (id: string): number => {
  const match = /^pat-(\d{3})$/.exec(id);
  if (!match) throw new Error(`not a sample patient id: ${id}`);
  return Number(match[1]);
};

export const SAMPLE_FIXTURES: SampleFixtures = {
  defaultPatientCount: 60,
  defaultSeed: 42,
  patientIds: range(60).map(patientId),
  practitionerIds: range(PRACTITIONER_COUNT).map(practitionerId),
  organizationIds: range(ORGANIZATION_COUNT).map(organizationId),
  mrnSystem: MRN_SYSTEM,
  mrnOf: (id) => medicalRecordNumber(patientNumber(id)),
  crossPatientObservation: { id: crossObservationId(1), subject: `Patient/${patientId(1)}`, performer: `Patient/${patientId(2)}` },
  relatedPersonObservation: { id: crossObservationId(2), subject: `Patient/${patientId(2)}`, performer: `RelatedPerson/${relatedPersonId(1)}` },
  relatedPerson: { id: relatedPersonId(1), patient: `Patient/${patientId(2)}`, sameHumanAs: `Patient/${patientId(1)}` },
  perPatient: {
    firstEncounterId: (id) => encounterId(patientNumber(id), 1),
    heartRateObservationId: (id) => observationId(patientNumber(id), 1),
    firstConditionId: (id) => conditionId(patientNumber(id), 1),
    firstMedicationRequestId: (id) => medicationRequestId(patientNumber(id), 1),
  },
  heartRateCode: { system: LOINC, code: HEART_RATE.code },
  documents: range(DOCUMENT_PATIENTS).map((n) => ({ patient: `Patient/${patientId(n)}`, documentReferenceId: documentReferenceId(n), binaryId: noteBinaryId(n) })),
  patientBinary: { id: patientBinaryId(2), securityContext: `Patient/${patientId(2)}` },
  publicBinaryId: PUBLIC_BINARY_ID,
  cohortGroup: { id: groupId(1), members: range(GROUP_SIZE).map((n) => `Patient/${patientId(n)}`) },
};
