/**
 * The work behind FHIR Bulk Data export (https://hl7.org/fhir/uv/bulkdata/export.html): which
 * resources an export contains, as NDJSON files, and the jobs that hold them until the client has
 * downloaded them.
 *
 * Jobs complete at kick-off: the in-memory store answers in milliseconds, and the IG lets a server
 * finish before the first status request. The files are built then, from one read of the store,
 * so every resource in them is as of `transactionTime` (export.html#response---complete-status),
 * whatever is written afterwards. Patient-level and Group-level exports use the `_compartment`
 * parameter of `patient-compartment.ts`, the same definition as compartment search and
 * `$everything`, so a resource is exported for a patient exactly when it is in that patient's
 * compartment.
 */
import type { Filter } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { Operator } from './medplum.js';
import { withLeadingKeys } from './paging.js';
import { COMPARTMENT_PARAM } from './patient-compartment.js';
import type { SampleContext } from './sample-context.js';

/** One output file: every exported resource of one type, one JSON resource per line. */
export interface ExportFile {
  readonly type: string;
  readonly count: number;
  /** The NDJSON content, base64 (as a Binary carries it to the HTTP shell). */
  readonly data: string;
}

export interface ExportJob {
  readonly id: string;
  /** The kick-off request URL, echoed in the manifest's `request`. */
  readonly request: string;
  readonly transactionTime: string;
  /** Non-empty files only, in output order (the IG: no file for a type without resources). */
  readonly files: ReadonlyMap<string, ExportFile>;
}

export interface ExportScope {
  /** Resource types to export, in output order. */
  readonly types: readonly string[];
  /** `Patient/{id}` references whose compartments bound the export; absent = the whole server. */
  readonly patients?: readonly string[];
  /** Only resources last updated after this instant (`_since`, export.html#query-parameters). */
  readonly since?: string;
}

/** Reads the resources of `scope` and turns each type into an NDJSON file. */
export async function buildExportFiles(ctx: SampleContext, scope: ExportScope): Promise<Map<string, ExportFile>> {
  const files = new Map<string, ExportFile>();
  const stored = new Set(ctx.repo.resourceTypes());
  if (scope.patients?.length === 0) return files;
  for (const type of scope.types) {
    if (!stored.has(type)) continue;
    const filters: Filter[] = [];
    // One filter with comma-separated values is an OR (search.html#combining): any of the patients.
    if (scope.patients) filters.push({ code: COMPARTMENT_PARAM, operator: Operator.EQUALS, value: scope.patients.join(',') });
    if (scope.since) filters.push({ code: '_lastUpdated', operator: Operator.GREATER_THAN, value: scope.since });
    const resources: Resource[] = await ctx.repo.searchResources({ resourceType: type as Resource['resourceType'], filters });
    if (resources.length === 0) continue;
    const ndjson = resources.map((r) => `${JSON.stringify(withLeadingKeys(r))}\n`).join('');
    files.set(type, { type, count: resources.length, data: Buffer.from(ndjson, 'utf8').toString('base64') });
  }
  return files;
}

/**
 * The jobs of one server. Only the newest `limit` are kept: an export of the whole sample data is
 * a few MB, and a client that never deletes its jobs must not grow the server without bound.
 * An evicted job answers 404, as a deleted or expired one does (export.html#bulk-data-status-request).
 */
export class ExportJobs {
  private readonly jobs = new Map<string, ExportJob>();

  constructor(private readonly limit = 16) {}

  add(job: ExportJob): void {
    this.jobs.set(job.id, job);
    for (const oldest of this.jobs.keys()) {
      if (this.jobs.size <= this.limit) break;
      this.jobs.delete(oldest);
    }
  }

  get(id: string): ExportJob | undefined {
    return this.jobs.get(id);
  }

  delete(id: string): boolean {
    return this.jobs.delete(id);
  }
}
