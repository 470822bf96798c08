/**
 * Reads patients from their source to learn their identifier in the configured system (the
 * consent subject across sources). One read per patient, a few at a time; a patient the source
 * does not have (404/410), or one without an identifier in the system, maps to null; any other
 * failure rejects, so the request fails rather than being decided on a guess.
 */
import { CustosError } from '../../errors.js';
import type { FhirSource } from '../../fhir/upstream.js';
import type { IdentifierLookup } from '../../policy/patient-subjects.js';

const PARALLEL = 8;
const LIMIT = 1 << 20;

export function sourceIdentifierLookup(source: FhirSource, system: string, headers: Record<string, string> = {}): IdentifierLookup {
  const readOne = async (id: string): Promise<string | null> => {
    const response = await source.send({
      method: 'GET',
      path: `/Patient/${encodeURIComponent(id)}`,
      query: '',
      headers: { ...headers, accept: 'application/fhir+json' },
    });
    if (response.status === 404 || response.status === 410) {
      response.body.discard();
      return null;
    }
    const raw = await response.body.collect();
    if (response.status !== 200 || raw.length > LIMIT) {
      throw new CustosError('UPSTREAM_BAD_RESPONSE', `the source "${source.id}" did not show a patient's record (status ${response.status}), so whose consent applies cannot be decided`);
    }
    let patient: { resourceType?: unknown; identifier?: unknown };
    try {
      patient = JSON.parse(raw.toString('utf8')) as typeof patient;
    } catch {
      throw new CustosError('UPSTREAM_BAD_RESPONSE', `the source "${source.id}" answered a Patient read with something that is not JSON`);
    }
    if (patient.resourceType !== 'Patient' || !Array.isArray(patient.identifier)) return null;
    const values = patient.identifier
      .filter((i: { system?: unknown; value?: unknown; period?: { end?: unknown } }) => i?.system === system && typeof i.value === 'string' && i.value !== '' && !i.period?.end)
      .map((i: { value: string }) => i.value);
    // Two different current identifiers in the one system: ambiguous, so the patient stays per source.
    return new Set(values).size === 1 ? values[0]! : null;
  };

  return async (ids) => {
    const out = new Map<string, string | null>();
    for (let i = 0; i < ids.length; i += PARALLEL) {
      const slice = ids.slice(i, i + PARALLEL);
      const values = await Promise.all(slice.map(readOne));
      slice.forEach((id, j) => out.set(id, values[j]!));
    }
    return out;
  };
}
