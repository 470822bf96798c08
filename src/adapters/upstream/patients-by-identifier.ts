/**
 * The ids a source gives the patients carrying one identifier (`Patient?identifier=system|value`):
 * how a compliance report finds one person's records at every source. A source that cannot answer
 * makes the lookup fail: a report that silently left out a source would look complete and not be.
 */
import { CustosError } from '../../errors.js';
import type { FhirSource } from '../../fhir/upstream.js';

const LIMIT = 4 << 20;

export async function patientIdsWithIdentifier(source: FhirSource, system: string, value: string): Promise<string[]> {
  const query = '?' + new URLSearchParams({ identifier: `${system}|${value}`, _count: '50' }).toString();
  const response = await source.send({ method: 'GET', path: '/Patient', query, headers: { accept: 'application/fhir+json' } });
  const raw = await response.body.collect();
  if (response.status !== 200 || raw.length > LIMIT) {
    throw new CustosError('UPSTREAM_BAD_RESPONSE', `the source "${source.id}" could not be searched for the patient's identifier (status ${response.status}), so the report cannot cover it`);
  }
  let bundle: { entry?: Array<{ resource?: { resourceType?: unknown; id?: unknown } }> };
  try {
    bundle = JSON.parse(raw.toString('utf8')) as typeof bundle;
  } catch {
    throw new CustosError('UPSTREAM_BAD_RESPONSE', `the source "${source.id}" answered a Patient search with something that is not JSON`);
  }
  return (bundle.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is { resourceType: 'Patient'; id: string } => r?.resourceType === 'Patient' && typeof r.id === 'string')
    .map((r) => r.id);
}
