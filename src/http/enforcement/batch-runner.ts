/**
 * Batch and transaction under enforcement.
 *
 * - **batch**: entries are independent (R4), so the gateway runs each one as its own interaction
 *   through the same executor as a top-level request, and assembles the batch-response: a denied
 *   or failed entry answers with its own status and OperationOutcome, the others are unaffected.
 * - **transaction**: all or nothing, so every entry is decided before anything reaches the
 *   upstream, and one denied entry rejects the whole transaction. Writes are decided like single
 *   writes (current version and new content; conditional targets resolved and pinned with
 *   `ifMatch`); reads by id are read and decided first; searches are checked like searches. The
 *   upstream's transaction-response is then filtered like any answer. `urn:uuid:` references to
 *   entries that write a known resource are replaced by that resource for the decision, so a new
 *   Observation cannot reach an existing patient through a placeholder.
 */
import { CustosError } from '../../errors.js';
import { operationOutcome } from '../../fhir/operation-outcome.js';
import { serializeQuery } from '../../fhir/query.js';
import type { CancelToken } from '../../fhir/upstream.js';
import type { SmartScope } from '../../policy/identity/smart-scopes.js';
import { planRequest } from '../../policy/request-plan.js';
import type { RequestAccess } from '../../policy/request-access.js';
import { deniedError } from '../../policy/response-filter.js';
import { mapError } from '../error-mapper.js';
import { entryError, readEntry, type BundleEntryRequest } from './bundle-entries.js';
import { executeInteraction, internalHeaders, refuseReadOnly, type ExecutorDeps } from './interaction-executor.js';
import { internalGet, type Json } from '../../fhir/upstream-json.js';
import { guardWrite, resolveCriteria } from './write-guard.js';

export interface BundleContext {
  readonly access: RequestAccess;
  readonly scopes: readonly SmartScope[];
  readonly clientId: string;
  readonly headers: Record<string, string>;
  readonly cancel: CancelToken;
  readonly requestId: string;
  /** The write-ahead audit event, before the first change of the batch is forwarded. */
  readonly beforeChange?: () => Promise<void>;
}

const WRITES = new Set(['create', 'update', 'patch', 'delete']);

export async function runBatch(bundle: Json, ctx: BundleContext, deps: ExecutorDeps): Promise<Json> {
  const entries = Array.isArray(bundle['entry']) ? (bundle['entry'] as unknown[]) : [];
  const answers: Json[] = [];
  for (const [index, entry] of entries.entries()) {
    try {
      const request = readEntry(entry, index, ctx.scopes);
      const headers: Record<string, string> = { ...internalHeaders(ctx.headers), 'content-type': 'application/fhir+json' };
      if (request.ifMatch) headers['if-match'] = request.ifMatch;
      if (request.ifNoneExist) headers['if-none-exist'] = request.ifNoneExist;
      const result = await executeInteraction(
        {
          interaction: request.interaction,
          params: request.params,
          ...(request.resource ? { body: Buffer.from(JSON.stringify(request.resource)), parsed: request.resource } : {}),
          headers,
          access: ctx.access,
          clientId: ctx.clientId,
          cancel: ctx.cancel,
          ...(ctx.beforeChange ? { beforeChange: ctx.beforeChange } : {}),
        },
        deps,
      );
      const response: Json = { status: String(result.status) };
      for (const [header, field] of [['location', 'location'], ['etag', 'etag'], ['last-modified', 'lastModified']] as const) {
        const value = result.headers[header];
        if (typeof value === 'string') response[field] = value;
      }
      answers.push(result.json ? { resource: result.json, response } : { response });
    } catch (error) {
      if (error instanceof CustosError && error.code === 'LEDGER_UNAVAILABLE') throw error;
      const mapped = mapError(error, ctx.requestId);
      answers.push({ response: { status: String(mapped.status), outcome: mapped.outcome ?? operationOutcome('error', mapped.issue, mapped.message) } });
    }
  }
  return { resourceType: 'Bundle', type: 'batch-response', entry: answers };
}

/** Decides every entry of a transaction; returns the bundle to forward (targets resolved and pinned). */
export async function guardTransaction(bundle: Json, ctx: BundleContext, deps: ExecutorDeps): Promise<Json> {
  const raw = Array.isArray(bundle['entry']) ? (bundle['entry'] as unknown[]) : [];
  const requests = raw.map((entry, index) => readEntry(entry, index, ctx.scopes));
  for (const request of requests) {
    // One transaction reaches one source: all or nothing cannot span servers.
    if (deps.sourceIdOf && deps.sourceIdOf(request.interaction.path) !== deps.sourceIdOf('')) {
      throw entryError(request.index, 'INVALID_REQUEST', 'this resource type is served by another source, and a transaction cannot span sources; send it separately');
    }
  }
  // ... so whether it may write is that one source's answer.
  if (requests.some((r) => WRITES.has(r.interaction.kind))) refuseReadOnly('', deps);
  const guardDeps = { source: deps.source, headers: internalHeaders(ctx.headers), limit: deps.maxResponseBytes };
  const placeholders = await placeholderTargets(requests, guardDeps);
  const forwarded: unknown[] = [];
  for (const request of requests) {
    const original = raw[request.index] as Json;
    try {
      const { interaction } = request;
      if (WRITES.has(interaction.kind)) {
        const resource = request.resource && placeholders.size > 0 ? substitute(request.resource, placeholders) : request.resource;
        const target = await guardWrite({ interaction, params: request.params, body: resource, callerIfMatch: request.ifMatch !== undefined }, ctx.access, guardDeps);
        const url = target.path.slice(1) + (target.query ? target.query : '');
        forwarded.push({
          ...original,
          ...(target.resource ? { resource: target.resource } : {}),
          request: { ...(original['request'] as Json), url, ...(target.ifMatch ? { ifMatch: target.ifMatch } : {}) },
        });
        continue;
      }
      const plan = planRequest(interaction, request.params, ctx.access.actor, ctx.clientId, deps.compartment, deps.operations);
      if (plan.decideFirst) {
        await ctx.access.preparePatients([plan.decideFirst.patient]);
        const decision = ctx.access.patients(plan.decideFirst.resourceType, [plan.decideFirst.patient], 'read');
        if (!decision.permitted) throw deniedError(decision);
      }
      if (interaction.kind === 'read' || interaction.kind === 'vread') {
        const answer = await internalGet(deps.source, interaction.path, '', guardDeps.headers, deps.maxResponseBytes);
        if (answer.status === 200 && answer.json) {
          await ctx.access.prepareAnswer(answer.json);
          const decision = ctx.access.resource(answer.json, 'read');
          if (!decision.permitted) throw deniedError(decision);
        }
      }
      forwarded.push({ ...original, request: { ...(original['request'] as Json), url: interaction.path.slice(1) + serializeQuery(plan.params) } });
    } catch (error) {
      if (error instanceof CustosError && !error.message.startsWith('entry ')) throw entryError(request.index, error.code, error.message);
      throw error;
    }
  }
  return { ...bundle, entry: forwarded };
}

/** fullUrl → `Type/id` for entries that write a known resource (by id, or conditional with one match). */
async function placeholderTargets(requests: readonly BundleEntryRequest[], deps: Parameters<typeof resolveCriteria>[2]): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const r of requests) {
    const { interaction } = r;
    if (!r.fullUrl?.startsWith('urn:') || !WRITES.has(interaction.kind) || interaction.kind === 'create') continue;
    if (interaction.id) map.set(r.fullUrl, `${interaction.resourceType}/${interaction.id}`);
    else if (interaction.conditional) {
      const match = await resolveCriteria(interaction.resourceType!, r.params, deps);
      if (match) map.set(r.fullUrl, `${interaction.resourceType}/${String(match['id'])}`);
    }
  }
  return map;
}

function substitute(resource: Json, placeholders: ReadonlyMap<string, string>): Json {
  let text = JSON.stringify(resource);
  for (const [placeholder, target] of placeholders) text = text.split(JSON.stringify(placeholder)).join(JSON.stringify(target));
  return JSON.parse(text) as Json;
}
