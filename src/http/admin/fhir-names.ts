/**
 * Display names for the people and organizations in a report, read from the FHIR server the
 * gateway fronts (Practitioner, PractitionerRole, Organization, RelatedPerson, Patient). Best
 * effort: a reference the server does not answer for keeps an empty name; at most `limit` lookups
 * per report, a few at a time, each with a short timeout.
 */
import type { FhirSource } from '../../fhir/upstream.js';

const NAMED_TYPES = new Set(['Practitioner', 'PractitionerRole', 'Organization', 'RelatedPerson', 'Patient', 'Device']);

export function fhirNameResolver(source: FhirSource, options: { limit?: number; timeoutMs?: number } = {}) {
  return async (references: readonly string[]): Promise<Map<string, string>> => {
    const names = new Map<string, string>();
    const wanted = references.filter((r) => /^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(r) && NAMED_TYPES.has(r.split('/')[0]!)).slice(0, options.limit ?? 200);
    let next = 0;
    const worker = async () => {
      while (next < wanted.length) {
        const ref = wanted[next++]!;
        try {
          const response = await source.send({ method: 'GET', path: `/${ref}`, query: '', headers: { accept: 'application/fhir+json' }, signal: AbortSignal.timeout(options.timeoutMs ?? 3000) });
          if (response.status !== 200) {
            response.body.discard();
            continue;
          }
          const name = displayName(JSON.parse((await response.body.collect()).toString('utf8')) as Record<string, unknown>);
          if (name) names.set(ref, name);
        } catch {
          // unknown stays unnamed: the reference is shown
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    return names;
  };
}

function displayName(resource: Record<string, unknown>): string | undefined {
  const name = resource['name'];
  if (typeof name === 'string') return name; // Organization.name
  if (Array.isArray(name) && name.length > 0) {
    const n = name[0] as { text?: string; given?: string[]; family?: string; prefix?: string[] };
    return n.text ?? [...(n.prefix ?? []), ...(n.given ?? []), n.family].filter(Boolean).join(' ');
  }
  return undefined;
}
