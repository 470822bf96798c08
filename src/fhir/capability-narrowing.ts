/**
 * The gateway's `/metadata`: the source's CapabilityStatement narrowed to what the gateway actually
 * lets through (https://hl7.org/fhir/R4/capabilitystatement.html), so a client that plans from it
 * is never surprised by a refusal it could have known about:
 *
 * - writes, conditional writes and `transaction` are removed for a read-only source;
 * - type and system history are kept (system actors may use them; users are refused, see the
 *   enforcement notes), FHIRPath Patch is not offered (only JSON Patch can be decided);
 * - operations are limited to the configured allow-list (plus `$everything`, `$export` when bulk
 *   export is enabled for some client, `$graphql` when enabled);
 * - routed resource types are described by the source that serves them;
 * - `rest.security` names SMART on FHIR with the configured issuers' OAuth endpoints (the
 *   `oauth-uris` extension, http://hl7.org/fhir/smart-app-launch/conformance.html);
 * - `format` lists what the gateway converts (JSON, and XML when supported).
 */
type Json = Record<string, unknown>;

export interface CapabilityPolicy {
  readonly readOnly: (type: string) => boolean;
  /** Operations (without `$`) users may invoke. */
  readonly operations: readonly string[];
  readonly graphql: boolean;
  readonly bulkExport: boolean;
  readonly formats: readonly string[];
  readonly issuers: ReadonlyArray<{ readonly issuer: string; readonly tokenUrl?: string; readonly authorizeUrl?: string }>;
  /** Resource entries of routed types, from their own source's CapabilityStatement. */
  readonly routed?: ReadonlyMap<string, Json>;
}

const WRITE_INTERACTIONS = new Set(['create', 'update', 'patch', 'delete']);
const SMART_SERVICE = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }], text: 'OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)' };
const OAUTH_URIS = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';

export function narrowCapabilityStatement(statement: Json, policy: CapabilityPolicy): Json {
  const allowedOperations = new Set([...policy.operations, 'everything', ...(policy.graphql ? ['graphql'] : []), ...(policy.bulkExport ? ['export'] : [])]);
  const keepOperation = (op: unknown) => typeof (op as { name?: unknown })?.name === 'string' && allowedOperations.has(((op as { name: string }).name).replace(/^\$/, ''));
  const rest = (Array.isArray(statement['rest']) ? statement['rest'] : []).map((r) => {
    const mode = r as Json;
    const resources = (Array.isArray(mode['resource']) ? mode['resource'] : []).map((res) => {
      const entry = res as Json;
      const type = String(entry['type']);
      return narrowResource(policy.routed?.get(type) ?? entry, policy.readOnly(type), keepOperation);
    });
    const anyWritable = resources.some((res) => !policy.readOnly(String(res['type'])));
    const interactions = (Array.isArray(mode['interaction']) ? mode['interaction'] : [])
      .filter((i) => anyWritable || (i as Json)['code'] !== 'transaction');
    return {
      ...mode,
      security: security(policy),
      resource: resources,
      interaction: interactions,
      ...(Array.isArray(mode['operation']) ? { operation: mode['operation'].filter(keepOperation) } : {}),
    };
  });
  const software = statement['software'] as { name?: unknown } | undefined;
  return {
    ...statement,
    software: { name: `Custos consent-enforcing gateway${typeof software?.name === 'string' ? ` in front of ${software.name}` : ''}` },
    format: [...policy.formats],
    patchFormat: ['application/json-patch+json'],
    rest,
  };
}

function narrowResource(entry: Json, readOnly: boolean, keepOperation: (op: unknown) => boolean): Json {
  const out: Json = { ...entry };
  if (Array.isArray(entry['interaction'])) {
    out['interaction'] = entry['interaction'].filter((i) => !(readOnly && WRITE_INTERACTIONS.has(String((i as Json)['code']))));
  }
  if (readOnly) {
    for (const key of ['updateCreate', 'conditionalCreate', 'conditionalUpdate']) if (key in out) out[key] = false;
    if ('conditionalDelete' in out) out['conditionalDelete'] = 'not-supported';
  }
  if (Array.isArray(entry['operation'])) out['operation'] = entry['operation'].filter(keepOperation);
  return out;
}

function security(policy: CapabilityPolicy): Json {
  const withEndpoints = policy.issuers.find((i) => i.tokenUrl);
  return {
    cors: true,
    service: [SMART_SERVICE],
    description: `Bearer tokens from ${policy.issuers.length > 0 ? policy.issuers.map((i) => i.issuer).join(', ') : 'the gateway\'s development issuer'}; every request is decided on the patient's consent.`,
    ...(withEndpoints ? {
      extension: [{
        url: OAUTH_URIS,
        extension: [
          { url: 'token', valueUri: withEndpoints.tokenUrl },
          ...(withEndpoints.authorizeUrl ? [{ url: 'authorize', valueUri: withEndpoints.authorizeUrl }] : []),
        ],
      }],
    } : {}),
  };
}
