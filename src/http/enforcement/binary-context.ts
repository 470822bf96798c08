/**
 * Binary is in no patient's compartment, but its content usually belongs to one: R4 gives it a
 * `securityContext`, "a resource that provides access control for the Binary" (e.g. the
 * DocumentReference that points at it). A Binary is therefore decided as its security context:
 * `Patient/X` directly, or the referenced resource's patients, which the gateway reads itself
 * (once per request and reference). A context that cannot be read denies; a Binary without one
 * is governed by scopes alone, like any resource outside the compartment.
 */
import { patientIdOfReference } from '../../fhir/patient-compartment.js';
import type { FhirSource } from '../../fhir/upstream.js';
import type { RequestAccess } from '../../policy/request-access.js';
import { internalGet, type Json } from '../../fhir/upstream-json.js';

export interface BinaryContextDeps {
  readonly source: FhirSource;
  readonly headers: Record<string, string>;
  readonly limit: number;
}

const RELATIVE = /^(?:https?:\/\/[^?#\s]+\/)?([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/**
 * Finds every Binary in the body and resolves the security contexts the request has not seen yet.
 * Most answers hold no Binary: then nothing is allocated and no promise is made (hot path).
 */
export function resolveBinaryContexts(body: Json, access: RequestAccess, deps: () => BinaryContextDeps): Promise<void> | undefined {
  if (body['resourceType'] !== 'Binary' && body['resourceType'] !== 'Bundle') return undefined;
  const refs = new Set<string>();
  collect(body, refs, 0);
  return refs.size === 0 ? undefined : resolve(refs, access, deps());
}

async function resolve(refs: Set<string>, access: RequestAccess, deps: BinaryContextDeps): Promise<void> {
  for (const ref of refs) {
    if (access.binaryContext(ref) !== undefined) continue;
    const patient = patientIdOfReference(ref);
    if (patient !== undefined) {
      access.setBinaryContext(ref, { resourceType: 'Patient', patients: [patient] });
      continue;
    }
    const match = RELATIVE.exec(ref);
    if (!match) {
      access.setBinaryContext(ref, null);
      continue;
    }
    const answer = await internalGet(deps.source, `/${match[1]}/${match[2]}`, '', deps.headers, deps.limit);
    const resource = answer.status === 200 ? answer.json : undefined;
    access.setBinaryContext(
      ref,
      resource && resource['resourceType'] === match[1] ? { resourceType: match[1]!, patients: access.compartment.patientsOf(resource) } : null,
    );
  }
}

function collect(node: Json, refs: Set<string>, depth: number): void {
  if (depth > 8) return;
  if (node['resourceType'] === 'Binary') {
    const ref = (node['securityContext'] as { reference?: unknown } | undefined)?.reference;
    if (typeof ref === 'string') refs.add(ref);
    return;
  }
  if (node['resourceType'] === 'Bundle' && Array.isArray(node['entry'])) {
    for (const entry of node['entry'] as Array<{ resource?: unknown } | null>) {
      const resource = entry?.resource;
      if (typeof resource === 'object' && resource !== null) collect(resource as Json, refs, depth + 1);
    }
  }
}
