/**
 * `Patient/{id}/$everything` (https://hl7.org/fhir/R4/patient-operation-everything.html): the
 * patient, every resource in its compartment, and the resources those reference (practitioners,
 * organizations, encounters of the same stay...), as a paged searchset Bundle.
 *
 * Parameters: `_since` (versions written at or after an instant), `_type` (comma-separated types
 * to return), `_count` and `_offset`. `start`/`end` (care dates) are not supported: they would
 * need a per-type notion of "care date", and answering without them would over-disclose.
 */
import type { FhirRequest, FhirResponse } from '@medplum/fhir-router';
import type { BundleEntry, Parameters, Resource } from '@medplum/fhirtypes';
import { compartmentFilter, requirePatient } from './compartment-search.js';
import { allOk, badRequest, isResourceType, Operator } from './medplum.js';
import { fail, notSupported } from './outcomes.js';
import { searchsetBundle } from './paging.js';
import type { SampleContext } from './sample-context.js';
import { searchParameters } from './search-handlers.js';
import { DEFAULT_COUNT, MAX_COUNT, type QueryPairs } from './search-query.js';

const REFERENCE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9.-]{1,64})$/;

/** Every literal `Type/id` reference inside a resource (contained references excluded). */
function referencesOf(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) referencesOf(item, out);
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === 'reference' && typeof child === 'string' && REFERENCE.test(child)) out.add(child);
      else referencesOf(child, out);
    }
  }
}

/** POST takes a Parameters resource; its primitive parameters read like query parameters. */
function operationParameters(req: FhirRequest): QueryPairs {
  const pairs = [...searchParameters({ ...req, body: undefined })];
  const body = req.body as Parameters | undefined;
  if (req.method === 'POST' && body) {
    if (body.resourceType !== 'Parameters') fail(badRequest('$everything takes a Parameters resource as its POST body.'));
    for (const p of body.parameter ?? []) {
      const value = p.valueString ?? p.valueInstant ?? p.valueDateTime ?? p.valueDate ?? p.valueCode ?? p.valueUri ?? p.valueInteger ?? p.valueUnsignedInt;
      if (p.name && value !== undefined) pairs.push([p.name, String(value)]);
    }
  }
  return pairs;
}

function integer(pairs: QueryPairs, name: string, fallback: number): number {
  const raw = pairs.find(([k]) => k === name)?.[1];
  if (raw === undefined) return fallback;
  if (!/^\d{1,9}$/.test(raw)) fail(badRequest(`${name} must be a non-negative integer.`, name));
  return Number(raw);
}

export function everythingHandler(ctx: SampleContext) {
  return async (req: FhirRequest): Promise<FhirResponse> => {
    const { resourceType, id = '' } = req.params;
    await requirePatient(ctx, resourceType, id);
    const pairs = operationParameters(req);
    for (const [key] of pairs) {
      if (!['_since', '_type', '_count', '_offset', '_format', '_pretty'].includes(key)) {
        fail(notSupported(`Parameter "${key}" is not supported by $everything on this server (supported: _since, _type, _count, _offset).`));
      }
    }
    const since = pairs.find(([k]) => k === '_since')?.[1];
    if (since !== undefined && Number.isNaN(Date.parse(since))) fail(badRequest('_since must be an instant, e.g. 2024-01-01T00:00:00Z.', '_since'));
    const typeFilter = pairs.filter(([k]) => k === '_type').flatMap(([, v]) => v.split(','));
    for (const type of typeFilter) if (!isResourceType(type)) fail(badRequest(`Unknown resource type "${type}" in _type.`, '_type'));
    const wanted = (type: string): boolean => typeFilter.length === 0 || typeFilter.includes(type);

    const members: Resource[] = [];
    for (const type of ctx.compartment.types) {
      if (!wanted(type)) continue;
      const filters = [compartmentFilter(id)];
      if (since) filters.push({ code: '_lastUpdated', operator: Operator.GREATER_THAN_OR_EQUALS, value: since });
      members.push(...(await ctx.repo.searchResources({ resourceType: type, filters })));
    }
    const seen = new Set(members.map((r) => `${r.resourceType}/${r.id}`));
    const referenced = new Set<string>();
    for (const member of members) referencesOf(member, referenced);
    const included: Resource[] = [];
    for (const reference of referenced) {
      const [type, refId] = reference.split('/') as [string, string];
      if (seen.has(reference) || !wanted(type) || !ctx.repo.exists(type, refId)) continue;
      seen.add(reference);
      const resource = await ctx.repo.readResource(type, refId);
      if (!since || Date.parse(resource.meta?.lastUpdated ?? '') >= Date.parse(since)) included.push(resource);
    }

    const all: BundleEntry[] = [
      ...members.map((resource): BundleEntry => ({ resource, search: { mode: 'match' } })),
      ...included.map((resource): BundleEntry => ({ resource, search: { mode: 'include' } })),
    ];
    const count = Math.min(integer(pairs, '_count', DEFAULT_COUNT), MAX_COUNT);
    const offset = integer(pairs, '_offset', 0);
    const echo = pairs.filter(([k]) => k !== '_count' && k !== '_offset' && k !== '_format' && k !== '_pretty');
    const page = { baseUrl: ctx.baseUrl, path: `Patient/${id}/$everything`, echo, offset, count, total: all.length };
    return [allOk, searchsetBundle(page, count === 0 ? [] : all.slice(offset, offset + count))];
  };
}
