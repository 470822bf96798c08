/**
 * `$validate` (https://hl7.org/fhir/R4/resource-operation-validate.html):
 * `POST [type]/$validate`, `POST [type]/[id]/$validate` (body: the resource, or a Parameters
 * with a `resource` parameter) and `GET [type]/[id]/$validate` (the stored resource).
 *
 * The answer is always an OperationOutcome with HTTP 200 when validation could run: errors in it
 * mean the resource is invalid (validation.html). Checks are medplum's `validateResource`
 * (structure, cardinality, primitive formats; no terminology bindings).
 */
import type { FhirRequest, FhirResponse } from '@medplum/fhir-router';
import type { OperationOutcome, Parameters, Resource } from '@medplum/fhirtypes';
import { allOk, badRequest, OperationOutcomeError, validateResource } from './medplum.js';
import { fail, information } from './outcomes.js';
import type { SampleContext } from './sample-context.js';
import { requireResourceType } from './search-handlers.js';

function resourceToValidate(body: unknown): Resource {
  if (!body || typeof body !== 'object' || Array.isArray(body)) fail(badRequest('$validate needs a resource, or a Parameters resource with a "resource" parameter, as its body.'));
  const resource = body as Resource;
  if (resource.resourceType === 'Parameters') {
    const inner = (resource as Parameters).parameter?.find((p) => p.name === 'resource')?.resource;
    if (!inner) fail(badRequest('The Parameters body of $validate has no "resource" parameter.'));
    return inner;
  }
  return resource;
}

function validationOutcome(resource: Resource): OperationOutcome {
  try {
    const issues = validateResource(resource);
    if (issues.length === 0) return information('ok', 'Validation successful: no issues found.');
    return { resourceType: 'OperationOutcome', issue: issues };
  } catch (err) {
    if (err instanceof OperationOutcomeError) return { resourceType: 'OperationOutcome', issue: err.outcome.issue ?? [] };
    throw err;
  }
}

export function validateHandler(ctx: SampleContext) {
  return async (req: FhirRequest): Promise<FhirResponse> => {
    const resourceType = requireResourceType(req.params.resourceType);
    const id = req.params.id;
    const resource = req.method === 'GET' && id ? await ctx.repo.readResource(resourceType, id) : resourceToValidate(req.body);
    if (resource.resourceType !== resourceType) {
      fail(badRequest(`$validate on ${resourceType} got a ${String(resource.resourceType ?? 'body without resourceType')}.`));
    }
    if (id && resource.id !== undefined && resource.id !== id) fail(badRequest(`Resource id "${resource.id}" does not match the URL id "${id}".`));
    return [allOk, validationOutcome(resource)];
  };
}
