/**
 * Binary reads as a real FHIR server answers them (https://hl7.org/fhir/R4/http.html#binary,
 * https://hl7.org/fhir/R4/binary.html): the FHIR JSON resource (contentType, securityContext,
 * base64 data) when the client accepts JSON, and otherwise the raw content with the Binary's own
 * Content-Type and an `X-Security-Context` header naming the resource whose access rules apply.
 * No Accept header, or a wildcard one, gets JSON, as every other read of this server does.
 *
 * medplum's fhir-router reads a Binary like any resource; medplum's HTTP server (not used here)
 * is what streams raw content. A gateway must therefore expect both forms from an upstream.
 */
import type { FhirRouteHandler } from '@medplum/fhir-router';
import type { Binary } from '@medplum/fhirtypes';
import { acceptsJson, acceptsMediaType, headerValue } from './content-negotiation.js';
import { fail, notAcceptable } from './outcomes.js';

/** `GET Binary/{id}`: the only request the HTTP shell lets through without a JSON Accept. */
export const isBinaryRead = (method: string, path: string): boolean => method === 'GET' && /^Binary\/[^/$]+$/.test(path);

/** Wraps the read route: a Binary asked for in a non-JSON type is answered raw. */
export const binaryReadWrapper = (original: FhirRouteHandler): FhirRouteHandler => async (req, repo, router, options) => {
  const response = await original(req, repo, router, options);
  const accept = headerValue(req.headers?.accept);
  const [outcome, resource] = response;
  if (req.params.resourceType !== 'Binary' || acceptsJson(accept) || resource?.resourceType !== 'Binary') return response;
  const binary = resource as Binary;
  if (!binary.contentType || !acceptsMediaType(accept, binary.contentType)) {
    fail(notAcceptable(`Binary/${binary.id} is ${binary.contentType ?? 'of unknown type'}; ask for that type, or for application/fhir+json to get the resource.`));
  }
  return [outcome, binary, { contentType: binary.contentType, forceRawBinaryResponse: true }];
};

/** Headers and body of a raw Binary answer (`contentType` overrides the Binary's own). */
export function rawBinary(binary: Binary, contentType?: string): { headers: Record<string, string>; body: Buffer } {
  const securityContext = binary.securityContext?.reference;
  return {
    headers: {
      'content-type': contentType ?? binary.contentType ?? 'application/octet-stream',
      ...(securityContext ? { 'x-security-context': securityContext } : {}),
    },
    body: Buffer.from(binary.data ?? '', 'base64'),
  };
}
