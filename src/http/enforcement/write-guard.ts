/**
 * Decide-before for writes: create, update, patch, delete and their conditional forms. A write is
 * permitted only when the patients of the new content AND of the resource as it stands now all
 * permit writing (so moving a resource from one patient to another needs both).
 *
 * - update / patch / delete read the current version first; the write is then pinned to that
 *   version with `If-Match`, so the resource cannot change between the decision and the write.
 * - patch: the JSON Patch is applied to a copy of the current version to decide on the result.
 * - conditional update / patch / delete: the criteria are resolved first (a plain search the caller
 *   never sees); one match becomes a write to that id, pinned to its version; several matches are
 *   refused (412), as R4 allows; no match leaves the request as it is (update: a create).
 * - conditional create: decided on the new content; if the criteria match an existing resource,
 *   the upstream answers with it and the answer is decided like a read.
 */
import { CustosError } from '../../errors.js';
import { isJsonObject } from '../../fhir/json-object.js';
import type { FhirInteraction } from '../../fhir/interaction.js';
import { applyJsonPatch } from '../../fhir/json-patch.js';
import { parseQuery, serializeQuery, type QueryParams } from '../../fhir/query.js';
import type { FhirSource } from '../../fhir/upstream.js';
import { deniedError } from '../../policy/response-filter.js';
import type { RequestAccess } from '../../policy/request-access.js';
import { resolveBinaryContexts } from './binary-context.js';
import { internalGet, type Json } from '../../fhir/upstream-json.js';

export interface WriteRequest {
  readonly interaction: FhirInteraction;
  readonly params: QueryParams;
  /** The parsed body (resource or JSON Patch), if any. */
  readonly body: unknown;
  /** Whether the caller sent its own If-Match (then it is kept as the pin). */
  readonly callerIfMatch: boolean;
}

export interface WriteTarget {
  /** Path and query to forward (a resolved conditional write becomes a write by id). */
  readonly path: string;
  readonly query: string;
  /** `If-Match` to add, pinning the write to the decided version. */
  readonly ifMatch?: string;
  /** A new body to forward instead of the caller's (a resolved conditional update gets the match's id). */
  readonly resource?: Json;
}

export interface WriteGuardDeps {
  readonly source: FhirSource;
  readonly headers: Record<string, string>;
  readonly limit: number;
  /** R4 validation of what a patch would produce (validation.mode); throws to refuse. */
  readonly validate?: (resource: unknown) => void;
}

export async function guardWrite(request: WriteRequest, access: RequestAccess, deps: WriteGuardDeps): Promise<WriteTarget> {
  const { interaction } = request;
  const type = interaction.resourceType!;
  let target: WriteTarget = { path: interaction.path, query: serializeQuery(request.params) };
  const decideWrite = async (resource: Json) => {
    await resolveBinaryContexts(resource, access, () => deps);
    const content = await resolvePatientReferences(resource, deps);
    await access.prepareAnswer(content);
    const decision = access.resource(content, 'write');
    if (!decision.permitted) throw deniedError(decision);
  };
  if (interaction.kind === 'create') {
    await decideWrite(newContent(request, type));
    return target;
  }
  let current: Json | undefined;
  if (interaction.conditional) {
    const match = await resolveCriteria(type, request.params, deps);
    if (match) {
      current = match;
      target = { path: `/${type}/${String(match['id'])}`, query: '' };
      if (interaction.kind === 'update') {
        const content = newContent(request, type);
        if (content['id'] !== undefined && content['id'] !== match['id']) throw new CustosError('INVALID_REQUEST', 'the body has an id different from the resource the criteria match');
        target = { ...target, resource: { ...content, id: match['id'] } };
      }
    }
  } else {
    current = await currentVersion(interaction.path, deps);
  }
  if (current) {
    await decideWrite(current);
    const version = (current['meta'] as { versionId?: unknown } | undefined)?.versionId;
    if (!request.callerIfMatch && typeof version === 'string') target = { ...target, ifMatch: `W/"${version}"` };
  }
  if (interaction.kind === 'update') await decideWrite(newContent(request, type));
  if (interaction.kind === 'patch' && current) {
    if (isJsonObject(request.body) && request.body['resourceType'] === 'Parameters') {
      throw new CustosError('UNSUPPORTED_MEDIA_TYPE', 'FHIRPath Patch cannot be decided by this gateway; send a JSON Patch (application/json-patch+json)');
    }
    const patched = applyJsonPatch(current, request.body);
    if (!isJsonObject(patched) || patched['resourceType'] !== type) throw new CustosError('INVALID_REQUEST', 'the patch would change the resource type or replace the resource with something that is not one');
    deps.validate?.(patched); // the resource the patch would leave, not the patch itself
    await decideWrite(patched);
  }
  return target;
}

/**
 * Conditional references (`Patient?identifier=…`, which servers resolve on write) name a patient
 * without an id: each is resolved here so that the decision sees the patient it will become.
 */
async function resolvePatientReferences(resource: Json, deps: WriteGuardDeps): Promise<Json> {
  const text = JSON.stringify(resource);
  if (!text.includes('"Patient?')) return resource;
  const found = new Set<string>();
  for (const m of text.matchAll(/"reference":"(Patient\?[^"]*)"/g)) found.add(m[1]!);
  let resolved = text;
  for (const ref of found) {
    const query = JSON.parse(`"${ref}"`).slice('Patient?'.length) as string;
    const match = await resolveCriteria('Patient', parseQuery(query).params, deps);
    if (!match) throw new CustosError('INVALID_REQUEST', 'a conditional reference to a Patient matches no patient');
    resolved = resolved.split(`"reference":"${ref}"`).join(`"reference":"Patient/${String(match['id'])}"`);
  }
  return JSON.parse(resolved) as Json;
}

function newContent(request: WriteRequest, type: string): Json {
  const body = request.body;
  if (!isJsonObject(body) || body['resourceType'] !== type) {
    throw new CustosError('INVALID_REQUEST', `the body must be a ${type} resource (resourceType "${type}")`);
  }
  return body;
}

/** The resource as it stands, or undefined when it does not exist (yet, or any more). */
async function currentVersion(path: string, deps: WriteGuardDeps): Promise<Json | undefined> {
  const answer = await internalGet(deps.source, path, '', deps.headers, deps.limit);
  if (answer.status === 404 || answer.status === 410) return undefined;
  if (answer.status !== 200 || !answer.json) {
    throw new CustosError('UPSTREAM_BAD_RESPONSE', `the upstream did not show the current version (status ${answer.status}), so the write cannot be decided`);
  }
  return answer.json;
}

/** The one resource the criteria match, undefined for none; several → 412. */
export async function resolveCriteria(type: string, params: QueryParams, deps: WriteGuardDeps): Promise<Json | undefined> {
  const criteria = params.filter(([name]) => name !== '_count' && name !== '_summary' && name !== '_elements');
  const answer = await internalGet(deps.source, `/${type}`, serializeQuery([...criteria, ['_count', '2']]), deps.headers, deps.limit);
  if (answer.status !== 200 || answer.json?.['resourceType'] !== 'Bundle') {
    throw new CustosError('UPSTREAM_BAD_RESPONSE', `the upstream could not resolve the conditional criteria (status ${answer.status})`);
  }
  const matches = ((answer.json['entry'] ?? []) as Array<{ resource?: Json; search?: { mode?: string } }>)
    .filter((e) => isJsonObject(e.resource) && e.resource['resourceType'] === type && (e.search?.mode ?? 'match') === 'match')
    .map((e) => e.resource!);
  if (matches.length > 1) throw new CustosError('PRECONDITION_FAILED', 'the conditional criteria match more than one resource; make them more selective');
  const match = matches[0];
  if (match && typeof match['id'] !== 'string') throw new CustosError('UPSTREAM_BAD_RESPONSE', 'the upstream returned a match without an id');
  return match;
}
