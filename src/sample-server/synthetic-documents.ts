/**
 * Documents, files and a cohort of the synthetic data set, so a gateway can be tested on the
 * resources whose patient is NOT in the resource itself:
 *
 * - `DocumentReference/docref-00n` (patients 1..3): a progress note whose text lives in
 *   `Binary/bin-00n`. The Binary's `securityContext` points at the DocumentReference
 *   (https://hl7.org/fhir/R4/binary.html#security): access to the Binary follows access to the
 *   DocumentReference, hence to its subject. Binary is in no compartment, so this is the only link.
 * - `Binary/bin-pat-002`: securityContext is the Patient itself (a patient-uploaded file).
 * - `Binary/bin-public`: no securityContext, not patient data (a clinic leaflet).
 * - `Group/grp-01`: patients 1..5 (`Group/[id]/$export`); Group is in the members' compartments.
 *
 * Texts are fixed, not drawn from the PRNG, so adding these resources changes no other resource.
 */
import { createHash } from 'node:crypto';
import type { Binary, DocumentReference, Group, Patient, Resource } from '@medplum/fhirtypes';
import { LOINC } from './code-tables.js';
import {
  documentReferenceId, DOCUMENT_PATIENTS, encounterId, GROUP_SIZE, groupId, noteBinaryId, patientBinaryId, PUBLIC_BINARY_ID,
} from './sample-ids.js';

const NOTE_PLANS = [
  'Routine check-up. Vitals within normal limits. Continue current medication; review in 6 months.',
  'Follow-up of a chronic condition. Symptoms stable. Repeat laboratory tests before the next visit.',
  'Acute visit for a cough of one week. No fever. Supportive care; return if symptoms worsen.',
] as const;

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
/** Attachment.hash is the base64 SHA-1 of the data (datatypes.html#Attachment). */
const sha1 = (text: string): string => createHash('sha1').update(text, 'utf8').digest('base64');

function textBinary(id: string, text: string, securityContext?: string): Binary {
  return {
    resourceType: 'Binary', id, contentType: 'text/plain',
    ...(securityContext ? { securityContext: { reference: securityContext } } : {}),
    data: base64(text),
  };
}

function progressNote(n: number, patient: Patient): [DocumentReference, Binary] {
  const text = `Progress note (synthetic data) for Patient/${patient.id}.\n${NOTE_PLANS[(n - 1) % NOTE_PLANS.length]}\n`;
  const date = `2024-0${(n % 9) + 1}-15T10:00:00Z`;
  const document: DocumentReference = {
    resourceType: 'DocumentReference',
    id: documentReferenceId(n),
    status: 'current',
    docStatus: 'final',
    type: { coding: [{ system: LOINC, code: '11506-3', display: 'Progress note' }], text: 'Progress note' },
    category: [{ coding: [{ system: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category', code: 'clinical-note', display: 'Clinical Note' }] }],
    subject: { reference: `Patient/${patient.id}` },
    date,
    ...(patient.generalPractitioner ? { author: patient.generalPractitioner.map(({ reference }) => ({ reference })) } : {}),
    description: 'Progress note',
    content: [{
      attachment: {
        contentType: 'text/plain', url: `Binary/${noteBinaryId(n)}`, size: Buffer.byteLength(text), hash: sha1(text),
        title: 'Progress note', creation: date,
      },
    }],
    context: { encounter: [{ reference: `Encounter/${encounterId(n, 1)}` }] },
  };
  return [document, textBinary(noteBinaryId(n), text, `DocumentReference/${document.id}`)];
}

/** The resources above for the generated `patients` (fewer when fewer patients exist). */
export function buildDocumentsAndCohort(patients: readonly Patient[]): Resource[] {
  const out: Resource[] = [];
  patients.slice(0, DOCUMENT_PATIENTS).forEach((patient, i) => out.push(...progressNote(i + 1, patient)));
  const second = patients[1];
  if (second) {
    out.push(textBinary(patientBinaryId(2), `Home blood pressure diary uploaded by Patient/${second.id} (synthetic data).\n`, `Patient/${second.id}`));
  }
  out.push(textBinary(PUBLIC_BINARY_ID, 'Clinic opening hours: Monday to Friday, 8:00 to 18:00 (synthetic data).\n'));
  const members = patients.slice(0, GROUP_SIZE);
  const group: Group = {
    resourceType: 'Group',
    id: groupId(1),
    type: 'person',
    actual: true,
    name: `Synthetic cohort: the first ${members.length} patients`,
    quantity: members.length,
    member: members.map((p) => ({ entity: { reference: `Patient/${p.id}` } })),
  };
  out.push(group);
  return out;
}
