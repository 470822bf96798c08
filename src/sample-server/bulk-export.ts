/**
 * FHIR Bulk Data Access IG v2 export (https://hl7.org/fhir/uv/bulkdata/export.html), the flow a
 * gateway has to police for population-level access:
 *
 * 1. kick-off `GET [base]/$export`, `[base]/Patient/$export` or `[base]/Group/{id}/$export`
 *    (`_type`, `_since`, `_outputFormat`), with `Prefer: respond-async`: 202 and
 *    `Content-Location: [base]/$export-status/{job}`;
 * 2. status `GET [base]/$export-status/{job}`: 200 and the JSON manifest
 *    (export.html#response---complete-status); `DELETE` cancels and forgets the job: 202;
 * 3. files `GET [base]/$export-file/{job}/{Type}.ndjson`: `application/fhir+ndjson`.
 *
 * medplum's fhir-router has no `$export` (medplum's HTTP server implements it outside the router
 * with its own job store). Registered in the router, our routes win over `:resourceType` and
 * `:resourceType/:id` because they have more literal segments. The answers stay transport-free
 * (`[OperationOutcome, Resource?, options]`); the HTTP shell turns medplum's `accepted(url)` into
 * 202 + Content-Location and a `forceRawBinaryResponse` Binary into the raw file.
 *
 * Not supported: POST kick-off, `_typeFilter`, `_elements`, `patient`, `includeAssociatedData`
 * (400, or ignored with `Prefer: handling=lenient`), and the `deleted` manifest array.
 */
import { randomUUID } from 'node:crypto';
import type { FhirRequest, FhirResponse, FhirRouteHandler } from '@medplum/fhir-router';
import type { Binary, Group, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { buildExportFiles, ExportJobs, type ExportJob } from './bulk-export-jobs.js';
import { headerValue } from './content-negotiation.js';
import { accepted, allOk, badRequest, type FhirRouter, isResourceType } from './medplum.js';
import { fail, notFoundBecause, notSupported } from './outcomes.js';
import { encodeQueryComponent } from './paging.js';
import type { SampleContext } from './sample-context.js';
import { toPairs } from './search-query.js';

export const FHIR_NDJSON = 'application/fhir+ndjson';
const OUTPUT_FORMATS = new Set([FHIR_NDJSON, 'application/ndjson', 'ndjson']);
const SUPPORTED_PARAMS = new Set(['_type', '_since', '_outputFormat']);

type Level = 'system' | 'patient' | 'group';

function preferences(req: FhirRequest): { respondAsync: boolean; lenient: boolean } {
  const tokens = (headerValue(req.headers?.prefer) ?? '').split(',').map((t) => t.trim().toLowerCase());
  return { respondAsync: tokens.includes('respond-async'), lenient: tokens.includes('handling=lenient') };
}

/** `_type` values in request order, checked against what this level can export. */
function requestedTypes(values: readonly string[], level: Level, ctx: SampleContext): string[] {
  const types = [...new Set(values.flatMap((v) => v.split(',')).map((t) => t.trim()).filter(Boolean))];
  for (const type of types) {
    if (!isResourceType(type)) fail(badRequest(`Unknown resource type "${type}" in _type.`, '_type'));
    if (level !== 'system' && !(ctx.compartment.types as readonly string[]).includes(type)) {
      fail(notSupported(`${type} resources are not in the Patient compartment, so a ${level === 'group' ? 'Group' : 'Patient'}-level export cannot contain them.`));
    }
  }
  return types;
}

/** The patients whose compartments bound a Patient- or Group-level export. */
async function patientsOf(ctx: SampleContext, level: Level, groupId: string): Promise<string[] | undefined> {
  if (level === 'system') return undefined;
  if (level === 'patient') return (await ctx.repo.searchResources({ resourceType: 'Patient' })).map((p) => `Patient/${p.id}`);
  if (!ctx.repo.log.knows('Group', groupId)) fail(notFoundBecause(`Group/${groupId.slice(0, 64)} is not known to this server.`));
  const group = await ctx.repo.readResource<Group>('Group', groupId); // 410 when deleted
  return (group.member ?? []).flatMap((m) => (!m.inactive && m.entity.reference?.startsWith('Patient/') ? [m.entity.reference] : []));
}

function kickoff(ctx: SampleContext, jobs: ExportJobs, level: Level): FhirRouteHandler {
  return async (req) => {
    const { respondAsync, lenient } = preferences(req);
    if (!respondAsync) fail(badRequest('Bulk data export is asynchronous: send the header "Prefer: respond-async".'));
    const pairs = toPairs(req.query);
    const values = (name: string): string[] => pairs.filter(([k]) => k === name).map(([, v]) => v);
    for (const [key] of pairs) {
      if (!SUPPORTED_PARAMS.has(key) && !lenient) {
        fail(notSupported(`Parameter "${key}" is not supported by $export on this server (supported: _type, _since, _outputFormat); send "Prefer: handling=lenient" to have it ignored.`));
      }
    }
    const format = values('_outputFormat').at(-1);
    if (format !== undefined && !OUTPUT_FORMATS.has(format)) fail(badRequest(`_outputFormat "${format.slice(0, 40)}" is not supported; use ${FHIR_NDJSON}.`, '_outputFormat'));
    const since = values('_since').at(-1);
    if (since !== undefined && Number.isNaN(Date.parse(since))) fail(badRequest('_since must be an instant, e.g. 2024-01-01T00:00:00Z.', '_since'));
    const requested = requestedTypes(values('_type'), level, ctx);
    const available = level === 'system' ? ctx.repo.resourceTypes() : ctx.compartment.types;
    const types = requested.length > 0 ? requested : available;

    const transactionTime = new Date().toISOString();
    const patients = await patientsOf(ctx, level, req.params.id ?? '');
    const files = await buildExportFiles(ctx, { types, ...(patients ? { patients } : {}), ...(since ? { since } : {}) });
    const query = pairs.map(([k, v]) => `${encodeQueryComponent(k)}=${encodeQueryComponent(v)}`).join('&');
    const job: ExportJob = { id: randomUUID(), request: `${ctx.baseUrl}/${req.pathname}${query ? `?${query}` : ''}`, transactionTime, files };
    jobs.add(job);
    const outcome = accepted(`${ctx.baseUrl}/$export-status/${job.id}`);
    return [{ ...outcome, issue: (outcome.issue ?? []).map((i) => ({ ...i, details: { text: 'Export started; poll the Content-Location URL for its manifest.' } })) }];
  };
}

function jobOf(jobs: ExportJobs, id: string | undefined): ExportJob {
  const job = id ? jobs.get(id) : undefined;
  return job ?? fail(notFoundBecause(`No bulk export job "${(id ?? '').slice(0, 40)}": it never existed, was deleted, or has expired. Start a new export.`));
}

const fileUrl = (ctx: SampleContext, job: ExportJob, type: string): string => `${ctx.baseUrl}/$export-file/${job.id}/${type}.ndjson`;

/** The complete-status manifest (export.html#response---complete-status). Not a FHIR resource. */
function status(ctx: SampleContext, jobs: ExportJobs): FhirRouteHandler {
  return async (req) => {
    const job = jobOf(jobs, req.params.jobId);
    const manifest = {
      transactionTime: job.transactionTime,
      request: job.request,
      requiresAccessToken: true,
      output: [...job.files.values()].map((f) => ({ type: f.type, url: fileUrl(ctx, job, f.type), count: f.count })),
      error: [],
    };
    return [allOk, manifest as unknown as Resource, { contentType: 'application/json' }];
  };
}

/** export.html#bulk-data-delete-request: 202, and the job and its files are gone. */
function cancel(jobs: ExportJobs): FhirRouteHandler {
  return async (req): Promise<FhirResponse> => {
    const job = jobOf(jobs, req.params.jobId);
    jobs.delete(job.id);
    const outcome: OperationOutcome = {
      ...accepted(''),
      issue: [{ severity: 'information', code: 'informational', details: { text: `Bulk export job ${job.id} was deleted with its files.` } }],
    };
    return [outcome];
  };
}

function file(jobs: ExportJobs): FhirRouteHandler {
  return async (req) => {
    const job = jobOf(jobs, req.params.jobId);
    const type = /^([A-Za-z]+)\.ndjson$/.exec(req.params.file ?? '')?.[1];
    const output = type ? job.files.get(type) : undefined;
    if (!output) fail(notFoundBecause(`Bulk export job ${job.id} has no file "${(req.params.file ?? '').slice(0, 40)}"; the manifest lists its files.`));
    const binary: Binary = { resourceType: 'Binary', contentType: FHIR_NDJSON, data: output.data };
    return [allOk, binary, { contentType: FHIR_NDJSON, forceRawBinaryResponse: true }];
  };
}

/** Adds the kick-off, status and file routes (one job store per router, i.e. per server). */
export function registerBulkExport(router: FhirRouter, ctx: SampleContext): void {
  const jobs = new ExportJobs();
  router.add('GET', '$export', kickoff(ctx, jobs, 'system'), 'operation');
  router.add('GET', 'Patient/$export', kickoff(ctx, jobs, 'patient'), 'operation');
  router.add('GET', 'Group/:id/$export', kickoff(ctx, jobs, 'group'), 'operation');
  router.add('GET', '$export-status/:jobId', status(ctx, jobs), 'operation');
  router.add('DELETE', '$export-status/:jobId', cancel(jobs), 'operation');
  router.add('GET', '$export-file/:jobId/:file', file(jobs), 'operation');
}
