/**
 * How the audit log names a patient in its search fields and reports. An event names the patient
 * relative to the FHIR base it was served at (its `source.site`); ids of different sources may
 * collide (two servers can both have a `Patient/123`, two different people), so a patient of a
 * source other than the default one is named with that source: `sources/{source}/Patient/{id}`.
 * A patient report for one person at one source therefore never mixes in another person's events.
 */
const SOURCE_BASE = /\/sources\/([a-z0-9][a-z0-9-]{0,39})\/fhir$/;

/** `Patient/{id}` at the default base; `sources/{source}/Patient/{id}` at another source's base. */
export function patientReferenceAt(site: string, reference: string): string {
  if (!reference.startsWith('Patient/')) return reference; // already qualified (or not a patient reference)
  const source = SOURCE_BASE.exec(site)?.[1];
  return source === undefined || source === 'default' ? reference : `sources/${source}/${reference}`;
}
