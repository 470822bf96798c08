/**
 * The ids a source gives the patients carrying one identifier (`Patient?identifier=system|value`):
 * how a compliance report finds one person's records at every source. A source that cannot answer
 * makes the lookup fail: a report that silently left out a source would look complete and not be.
 */
import { CustosError } from '../../errors.js';
import { internalGet } from '../../fhir/upstream-json.js';
import type { FhirSource } from '../../fhir/upstream.js';

const LIMIT = 4 << 20;

export async function patientIdsWithIdentifier(source: FhirSource, system: string, value: string): Promise<string[]> {
  const query = '?' + new URLSearchParams({ identifier: `${system}|${value}`, _count: '50' }).toString();
  const answer = await internalGet(source, '/Patient', query, {}, LIMIT);
  if (answer.status !== 200 || !answer.json) {
    throw new CustosError('UPSTREAM_BAD_RESPONSE', `the source "${source.id}" could not be searched for the patient's identifier (status ${answer.status}), so the report cannot cover it`);
  }
  const bundle = answer.json as { entry?: Array<{ resource?: { resourceType?: unknown; id?: unknown } }> };
  return (bundle.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is { resourceType: 'Patient'; id: string } => r?.resourceType === 'Patient' && typeof r.id === 'string')
    .map((r) => r.id);
}
