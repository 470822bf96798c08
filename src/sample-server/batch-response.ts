/**
 * batch / transaction (https://hl7.org/fhir/R4/http.html#transaction) are medplum's; we finish
 * the response Bundle the way http.html#transaction-response describes it: each entry that
 * carries a resource gets an absolute `fullUrl`, `response.etag` and `response.lastModified`,
 * and a write's `response.location` names the version (`Patient/123/_history/abc`), where medplum
 * gives only `Patient/123`.
 */
import type { FhirRouteHandler } from '@medplum/fhir-router';
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { fullUrlOf, withLeadingKeys } from './paging.js';
import type { SampleContext } from './sample-context.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH']);

function finishEntry(ctx: SampleContext, entry: BundleEntry | undefined, method: string | undefined): BundleEntry {
  if (!entry) return { response: { status: '500' } };
  const resource = entry.resource;
  const version = resource?.meta?.versionId;
  if (!resource?.id || !version || resource.resourceType === 'Bundle') return entry;
  const response = entry.response ?? { status: '200' };
  return {
    fullUrl: fullUrlOf(ctx.baseUrl, resource),
    resource: withLeadingKeys(resource),
    response: {
      ...response,
      ...(method && WRITES.has(method) ? { location: `${resource.resourceType}/${resource.id}/_history/${version}` } : {}),
      etag: `W/"${version}"`,
      ...(resource.meta?.lastUpdated ? { lastModified: resource.meta.lastUpdated } : {}),
    },
  };
}

export const wrapBatch = (ctx: SampleContext) => (original: FhirRouteHandler): FhirRouteHandler => async (req, repo, router, options) => {
  const response = await original(req, repo, router, options);
  const [outcome, bundle] = response;
  if (!bundle || bundle.resourceType !== 'Bundle') return response;
  const requests = (req.body as Bundle | undefined)?.entry ?? [];
  const entry = (bundle.entry ?? []).map((e, i) => finishEntry(ctx, e, requests[i]?.request?.method));
  return [outcome, { ...bundle, entry }];
};
