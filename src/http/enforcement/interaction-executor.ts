/**
 * One FHIR interaction under enforcement: decide-before (refused shapes, patients named by the
 * request, writes), forward, then decide-after on everything that came back. Used for a whole
 * request and for each entry of a batch, so a batch entry is decided exactly like the same request
 * sent on its own.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { CustosError } from '../../errors.js';
import type { FhirInteraction } from '../../fhir/interaction.js';
import type { PatientCompartment } from '../../fhir/patient-compartment.js';
import { serializeQuery, type QueryParams } from '../../fhir/query.js';
import type { CancelToken, FhirSource } from '../../fhir/upstream.js';
import { planRequest, type OperationPolicy, type RequestPlan } from '../../policy/request-plan.js';
import type { RequestAccess } from '../../policy/request-access.js';
import { filterGraphqlAnswer } from '../../policy/graphql-filter.js';
import { deniedError, filterResponseBody } from '../../policy/response-filter.js';
import { resolveBinaryContexts } from './binary-context.js';
import { collectAnswer, type Json } from '../../fhir/upstream-json.js';
import { guardWrite } from './write-guard.js';

export interface ExecutorDeps {
  readonly source: FhirSource;
  readonly compartment: PatientCompartment;
  readonly operations: OperationPolicy;
  readonly maxResponseBytes: number;
  /** The id of the read-only source a write to this path would reach, else undefined. */
  readonly readOnlySourceOf?: (path: string) => string | undefined;
  /** Checks a resource about to be written (create, update) against R4; throws to refuse it. */
  readonly validateResource?: (resource: unknown) => void;
  /** Under type routing: the id of the source a path reaches (absent: one source for everything). */
  readonly sourceIdOf?: (path: string) => string;
}

export interface ExecutionInput {
  readonly interaction: FhirInteraction;
  readonly params: QueryParams;
  /** The bytes to forward, if any, and their parsed form (JSON bodies). */
  readonly body?: Buffer;
  readonly parsed?: unknown;
  /** Headers for the upstream (already cleaned). */
  readonly headers: Record<string, string>;
  readonly access: RequestAccess;
  readonly clientId: string;
  readonly cancel: CancelToken;
  /** Called once a change is decided, before it is forwarded (the write-ahead audit event); a rejection stops it. */
  readonly beforeChange?: () => Promise<void>;
}

export interface ExecutionResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body to send (filtered); empty when there is none or it was withheld. */
  readonly body: Buffer;
  readonly json: Json | undefined;
}

const WRITES = new Set(['create', 'update', 'patch', 'delete']);

export async function executeInteraction(input: ExecutionInput, deps: ExecutorDeps): Promise<ExecutionResult> {
  const { interaction, access } = input;
  let headers = input.headers;
  let path = interaction.path;
  let body = input.body;
  let query: string;
  let plan: RequestPlan | undefined;
  const isWrite = WRITES.has(interaction.kind);
  if (isWrite) {
    refuseReadOnly(interaction.path, deps);
    if (deps.validateResource && (interaction.kind === 'create' || interaction.kind === 'update')) deps.validateResource(input.parsed);
    const target = await guardWrite(
      { interaction, params: input.params, body: input.parsed, callerIfMatch: headers['if-match'] !== undefined },
      access,
      { source: deps.source, headers: internalHeaders(headers), limit: deps.maxResponseBytes, ...(deps.validateResource ? { validate: deps.validateResource } : {}) },
    );
    path = target.path;
    query = target.query;
    if (target.ifMatch) headers = { ...headers, 'if-match': target.ifMatch };
    if (target.resource) body = Buffer.from(JSON.stringify(target.resource));
  } else {
    plan = planRequest(interaction, input.params, access.actor, input.clientId, deps.compartment, deps.operations);
    if (plan.decideFirst) {
      const preparing = access.preparePatients([plan.decideFirst.patient]);
      if (preparing) await preparing;
      const decision = access.patients(plan.decideFirst.resourceType, [plan.decideFirst.patient], 'read');
      if (!decision.permitted) throw deniedError(decision);
    }
    query = serializeQuery(plan.params);
  }

  if (input.beforeChange && (isWrite || interaction.kind === 'transaction')) await input.beforeChange();
  const upstream = await deps.source.send({
    // HEAD is answered from a GET: whether a resource exists is itself decided.
    method: interaction.method === 'HEAD' ? 'GET' : interaction.method,
    path,
    query,
    headers,
    ...(body ? { body } : {}),
    cancel: input.cancel,
  });
  const answer = await collectAnswer(upstream, deps.maxResponseBytes);
  if (!answer.json) return { status: answer.status, headers: answer.headers, body: answer.raw, json: undefined };
  const resolving = resolveBinaryContexts(answer.json, access, () => ({ source: deps.source, headers: internalHeaders(headers), limit: deps.maxResponseBytes }));
  if (resolving) await resolving; // no Binary in the answer: no promise, no extra turn of the event loop
  const preparing = access.prepareAnswer(answer.json); // patients' subjects across sources, when configured
  if (preparing) await preparing;
  if (interaction.kind === 'operation' && interaction.operation === 'graphql' && answer.json['resourceType'] === undefined) {
    filterGraphqlAnswer(answer.json, access);
    return { status: answer.status, headers: answer.headers, body: Buffer.from(JSON.stringify(answer.json)), json: answer.json };
  }
  try {
    const filtered = filterResponseBody(answer.json, access, plan?.filter ?? { dropTotal: true });
    const body = filtered.changed ? Buffer.from(JSON.stringify(answer.json)) : answer.raw;
    return { status: answer.status, headers: answer.headers, body, json: answer.json };
  } catch (error) {
    // A write that happened is not undone because its echo may not be read: the caller gets the
    // status and Location, without the resource.
    if (isWrite && answer.status < 300 && error instanceof CustosError && error.code !== 'LEDGER_UNAVAILABLE') {
      return { status: answer.status, headers: answer.headers, body: Buffer.alloc(0), json: undefined };
    }
    throw error;
  }
}

/** Writes to a read-only source stop at the gateway, before anything is read or decided. */
export function refuseReadOnly(path: string, deps: ExecutorDeps): void {
  const source = deps.readOnlySourceOf?.(path);
  if (source !== undefined) {
    throw new CustosError('METHOD_NOT_ALLOWED', `the source "${source}" is read-only: this gateway refuses writes to it; send the change to the system of record`);
  }
}

/** Headers for the gateway's own reads: tracing and forwarding facts, nothing of the caller's body. */
export function internalHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    if (name === 'content-type' || name === 'if-match' || name === 'if-none-exist' || name === 'if-none-match' || name === 'if-modified-since' || name === 'prefer') continue;
    out[name] = headers[name]!;
  }
  return out;
}
