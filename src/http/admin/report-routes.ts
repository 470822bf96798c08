/**
 * Compliance reports (`POST /admin/reports/{kind}`): disclosures (HIPAA accounting), access,
 * actor-activity, subject-access (GDPR Art. 15), break-glass, denied. The body says who and when
 * (patients and actors travel in bodies, never in URLs) and the format: json (the verifiable form,
 * with every event and its inclusion proof), csv, pdf or a FHIR Bundle of AuditEvents.
 *
 * Who: `custos/auditor` or `custos/admin`. Names of recipients are resolved from the FHIR server
 * (Practitioner / Organization) where it answers; break-glass patients are shown as keyed
 * pseudonyms unless names are asked for.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Actor } from '../../policy/identity/actor.js';
import type { AdminAccessRecorder } from './admin-access-audit.js';
import type { AuditStore } from '../../audit/store.js';
import type { MerkleTree } from '../../audit/merkle-tree.js';
import { buildReport, withDefaults } from '../../audit/reports/build-report.js';
import { REPORT_KINDS, type Report, type ReportKind, type ReportScope } from '../../audit/reports/report-model.js';
import type { Annotations } from '../../audit/reports/report-rows.js';
import { STREAMED_KINDS, streamCsvReport, streamJsonReport } from '../../audit/reports/stream-report.js';
import { CustosError } from '../../errors.js';
import { AUDITOR_SCOPES } from './audit-routes.js';
import { WHO_AND_WHEN } from './admin-schemas.js';
import { validateBody } from './json-body-validator.js';

export type ReportFormat = 'json' | 'csv' | 'pdf' | 'bundle';

/** Turns a report into bytes of one format (`src/audit/reports/render-*.ts`). */
export type ReportRenderer = (report: Report) => Promise<{ readonly contentType: string; readonly extension: string; readonly body: Buffer }>;

export interface ReportRouteDeps {
  /** The same person's references at the other sources (identity across sources); absent: none. */
  readonly samePerson?: (patient: string) => Promise<readonly string[]>;
  authenticate(authorization: string | undefined): Promise<{ readonly scopes: readonly string[]; readonly actor?: Actor }>;
  /** Records the report as an access in the audit log, durably, before it is sent. */
  readonly recordAccess?: AdminAccessRecorder;
  readonly store: AuditStore;
  readonly tree: () => MerkleTree;
  readonly chain: { readonly chainId: number; readonly contract: string };
  /** Display names from the FHIR server, by reference (`Practitioner/x`); undefined when unknown. */
  resolveNames?(references: readonly string[]): Promise<ReadonlyMap<string, string>>;
  /** A keyed pseudonym for a patient reference (break-glass review without names). */
  pseudonym?(reference: string): string;
  readonly renderers: Partial<Record<ReportFormat, ReportRenderer>>;
}

const bodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...WHO_AND_WHEN,
    includeExempt: { type: 'boolean' },
    showNames: { type: 'boolean' },
    format: { enum: ['json', 'csv', 'pdf', 'bundle'] },
  },
} as const;

interface ReportBody { patient?: string; actor?: string; from?: string; to?: string; includeExempt?: boolean; showNames?: boolean; format?: ReportFormat }

const PATIENT_REPORTS: readonly ReportKind[] = ['disclosures', 'access', 'subject-access'];

export const jsonRenderer: ReportRenderer = async (report) => ({ contentType: 'application/json', extension: 'json', body: Buffer.from(JSON.stringify(report)) });

export function createReportRouter(deps: ReportRouteDeps): Router {
  const router = express.Router();
  router.use(express.json({ limit: '16kb', type: ['application/json'] }));

  router.post('/:kind', async (req: Request, res: Response) => {
    const who = await deps.authenticate(req.headers.authorization);
    if (!AUDITOR_SCOPES.some((s) => who.scopes.includes(s))) throw new CustosError('INSUFFICIENT_SCOPE', `reports need the scope ${AUDITOR_SCOPES.join(' or ')}`);
    const kind = String(req.params['kind']) as ReportKind;
    if (!REPORT_KINDS.includes(kind)) throw new CustosError('NOT_FOUND', `no report "${kind.slice(0, 40)}"; reports: ${REPORT_KINDS.join(', ')}`);
    const body = validateBody<ReportBody>(bodySchema, req.body ?? {});
    let scope = scopeOf(kind, body);
    if (scope.patient && deps.samePerson) {
      const others = (await deps.samePerson(scope.patient)).filter((r) => r !== scope.patient);
      if (others.length > 0) scope = { ...scope, alsoKnownAs: others };
    }
    const format = body.format ?? 'json';
    const record = async () => {
      if (!deps.recordAccess || !who.actor) return;
      await deps.recordAccess({
        actor: who.actor, operation: `report-${kind}`, path: `/admin/reports/${kind}`,
        requestIdHeader: req.headers['x-request-id'], clientAddress: req.socket.remoteAddress, patients: scope.patient ? [scope.patient, ...(scope.alsoKnownAs ?? [])] : [],
      });
    };
    const render = format === 'json' ? jsonRenderer : deps.renderers[format];
    if (!render) throw new CustosError('NOT_ACCEPTABLE', `the ${format} format is not available; use json`);
    if ((format === 'csv' || (format === 'json' && kind !== 'disclosures')) && STREAMED_KINDS.includes(kind)) {
      // One row per event: written while the log is read, whatever the size of the range (the
      // accounting of disclosures is one patient's and carries resolved names: built whole).
      res.status(200).type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json');
      res.setHeader('content-disposition', `attachment; filename="custos-${kind}-${new Date().toISOString().slice(0, 10)}.${format}"`);
      res.setHeader('cache-control', 'no-store');
      await record();
      if (format === 'csv') await streamCsvReport(scope, deps.store, deps.tree(), res, annotationsFor(deps, scope));
      else await streamJsonReport(scope, deps.store, deps.tree(), res, annotationsFor(deps, scope));
      res.end();
      return;
    }

    const report = await withNames(deps, await buildReport(scope, { store: deps.store, tree: deps.tree(), chain: deps.chain, annotate: annotationsFor(deps, scope) }));
    const out = await render(report);
    await record();
    res.status(200).type(out.contentType);
    res.setHeader('content-disposition', `attachment; filename="custos-${kind}-${report.generatedAt.slice(0, 10)}.${out.extension}"`);
    res.setHeader('cache-control', 'no-store');
    res.end(out.body);
  });
  return router;
}

function scopeOf(kind: ReportKind, body: ReportBody): ReportScope {
  if (PATIENT_REPORTS.includes(kind) && !body.patient) throw new CustosError('INVALID_REQUEST', `the ${kind} report needs "patient" (e.g. "Patient/pat-001")`);
  if (kind === 'actor-activity' && !body.actor) throw new CustosError('INVALID_REQUEST', 'the actor-activity report needs "actor" (a user such as "Practitioner/prac-01", or a client id)');
  for (const field of ['from', 'to'] as const) {
    if (body[field] !== undefined && Number.isNaN(Date.parse(body[field]!))) throw new CustosError('INVALID_REQUEST', `"${field}" is not a valid date`);
  }
  if (body.from && body.to && Date.parse(body.from) >= Date.parse(body.to)) throw new CustosError('INVALID_REQUEST', '"from" must be before "to"');
  return withDefaults({
    kind,
    ...(PATIENT_REPORTS.includes(kind) ? { patient: body.patient! } : {}),
    ...(kind === 'actor-activity' ? { actor: body.actor! } : {}),
    ...(body.from ? { from: new Date(body.from).toISOString() } : {}),
    ...(body.to ? { to: new Date(body.to).toISOString() } : {}),
    ...(kind === 'disclosures' && body.includeExempt ? { includeExempt: true } : {}),
    ...(kind === 'break-glass' && body.showNames ? { showNames: true } : {}),
  });
}

/** Keyed pseudonyms replace patient references in the break-glass review unless names are asked for. */
function annotationsFor(deps: ReportRouteDeps, scope: ReportScope): Annotations {
  return deps.pseudonym && scope.kind === 'break-glass' && !scope.showNames ? { pseudonym: deps.pseudonym } : {};
}

/** Fills the recipient and organization name columns (annotations) from the FHIR server, one lookup per reference. */
async function withNames(deps: ReportRouteDeps, report: Report): Promise<Report> {
  const nameColumns = report.header.columns.filter((c) => c.annotation && c.key.endsWith('Name')).map((c) => c.key);
  if (!deps.resolveNames || nameColumns.length === 0) return report;
  const refs = new Set<string>();
  for (const row of report.rows) for (const key of nameColumns) {
    const ref = row.cells[key.replace(/Name$/, '')];
    if (typeof ref === 'string' && ref.includes('/')) refs.add(ref);
  }
  const names = await deps.resolveNames([...refs]);
  return {
    ...report,
    rows: report.rows.map((row) => {
      const cells = { ...row.cells };
      for (const key of nameColumns) cells[key] = names.get(String(row.cells[key.replace(/Name$/, '')])) ?? '';
      return { ...row, cells };
    }),
  };
}
