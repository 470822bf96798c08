/**
 * Which resources a request returned or wrote, for the audit event's entities, as
 * `Type/id/_history/version` when the version is known (BALP records the version a reader saw).
 * Read from what the gateway sends back (after filtering), so withheld entries are never listed.
 */

/** At most this many per event: a 10,000-entry export page is summarised, not listed whole. */
export const MAX_LISTED_RESOURCES = 1000;

export function returnedResources(json: unknown, location: string | undefined): string[] {
  const out: string[] = [];
  const seen = new Set<string>(); // a search page can list up to 1,000: no quadratic de-duplication
  const add = (ref: string | undefined) => {
    if (ref && !seen.has(ref)) {
      seen.add(ref);
      out.push(ref);
    }
  };
  if (location) {
    add(referenceFromLocation(location));
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return out;
  const resource = json as Record<string, unknown>;
  if (resource['resourceType'] === 'Bundle' && isResponseBundle(resource['type'])) {
    const entries = resource['entry'];
    if (Array.isArray(entries)) {
      for (const entry of entries) {
        if (out.length >= MAX_LISTED_RESOURCES) break;
        const e = entry as Record<string, unknown> | null;
        const inner = e?.['resource'];
        const fromResource = inner ? referenceOf(inner as Record<string, unknown>) : undefined;
        const responseLocation = (e?.['response'] as { location?: unknown } | undefined)?.location;
        const ref = fromResource ?? (typeof responseLocation === 'string' ? referenceFromLocation(responseLocation) : undefined);
        add(ref);
      }
    }
    return out;
  }
  add(referenceOf(resource));
  return out;
}

function isResponseBundle(type: unknown): boolean {
  return type === 'searchset' || type === 'history' || type === 'batch-response' || type === 'transaction-response' || type === 'collection';
}

function referenceOf(resource: Record<string, unknown>): string | undefined {
  const type = resource['resourceType'];
  const id = resource['id'];
  if (typeof type !== 'string' || typeof id !== 'string' || type === 'OperationOutcome') return undefined;
  const version = (resource['meta'] as { versionId?: unknown } | undefined)?.versionId;
  return typeof version === 'string' ? `${type}/${id}/_history/${version}` : `${type}/${id}`;
}

/** `http://host/fhir/Observation/5/_history/2` → `Observation/5/_history/2`. */
function referenceFromLocation(location: string): string | undefined {
  const match = /([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?\/?$/.exec(location);
  if (!match) return undefined;
  return match[3] ? `${match[1]}/${match[2]}/_history/${match[3]}` : `${match[1]}/${match[2]}`;
}
