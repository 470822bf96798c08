/**
 * Reads patients from their source to learn their identifier in the configured system (the
 * consent subject across sources). One read per patient, a few at a time; a patient the source
 * does not have (404/410), or one without an identifier in the system, maps to null; any other
 * failure rejects, so the request fails rather than being decided on a guess.
 */
import { CustosError } from '../../errors.js';
import { internalGet } from '../../fhir/upstream-json.js';
import type { FhirSource } from '../../fhir/upstream.js';
import type { IdentifierLookup } from '../../policy/patient-subjects.js';

const PARALLEL = 8;
const LIMIT = 1 << 20;

export function sourceIdentifierLookup(source: FhirSource, system: string, headers: Record<string, string> = {}): IdentifierLookup {
  const readOne = async (id: string): Promise<string | null> => {
    const answer = await internalGet(source, `/Patient/${encodeURIComponent(id)}`, '', headers, LIMIT);
    if (answer.status === 404 || answer.status === 410) return null;
    if (answer.status !== 200 || !answer.json) {
      throw new CustosError('UPSTREAM_BAD_RESPONSE', `the source "${source.id}" did not show a patient's record (status ${answer.status}), so whose consent applies cannot be decided`);
    }
    const patient = answer.json as { resourceType?: unknown; identifier?: unknown };
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
