/**
 * Admin API for the audit log (`/admin/audit`): search events, one event with its inclusion proof
 * and the anchored checkpoint that covers it, checkpoints and anchoring status, consistency proofs
 * between tree sizes, the tree head, and the whole log as an export file.
 *
 * Who: the `custos/auditor` (compliance officer) or `custos/admin` scope. Patient and actor
 * criteria travel in a POST body, never in a URL (URLs end up in access logs).
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Actor } from '../../policy/identity/actor.js';
import type { AdminAccessRecorder } from './admin-access-audit.js';
import type { AnchorScheduler } from '../../audit/anchor-scheduler.js';
import type { AuditLog } from '../../audit/audit-log.js';
import { writeAuditExport } from '../../audit/export-writer.js';
import type { AuditSearch, AuditStore, CheckpointRecord, StoredAuditEvent } from '../../audit/store.js';
import { CustosError } from '../../errors.js';
import { WHO_AND_WHEN } from './admin-schemas.js';
import { validateBody } from './json-body-validator.js';

export const AUDITOR_SCOPES = ['custos/auditor', 'custos/admin'] as const;

export interface AuditRouteDeps {
  /** The caller's raw scopes (and identity), once authenticated. */
  authenticate(authorization: string | undefined): Promise<{ readonly scopes: readonly string[]; readonly actor?: Actor }>;
  /** Reading events is itself an access to patients' data: recorded, durably, before the answer. */
  readonly recordAccess?: AdminAccessRecorder;
  readonly store: AuditStore;
  readonly log: AuditLog;
  readonly anchoring: AnchorScheduler;
  readonly chain: { readonly chainId: number; readonly contract: string };
  /** e.g. `https://explorer.example.org/tx/` (issue 6 console links); null when none. */
  readonly explorerTxUrl?: string | null;
}

const searchSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...WHO_AND_WHEN,
    outcome: { enum: [0, 4, 8, 12] },
    breakGlass: { type: 'boolean' },
    after: { type: 'integer', minimum: -1 },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
  },
} as const;

interface SearchBody { patient?: string; actor?: string; from?: string; to?: string; outcome?: 0 | 4 | 8 | 12; breakGlass?: boolean; after?: number; limit?: number }

export function createAuditRouter(deps: AuditRouteDeps): Router {
  const router = express.Router();
  router.use(express.json({ limit: '16kb', type: ['application/json'] }));
  const requireAuditor = async (req: Request) => {
    const who = await deps.authenticate(req.headers.authorization);
    if (!AUDITOR_SCOPES.some((s) => who.scopes.includes(s))) {
      throw new CustosError('INSUFFICIENT_SCOPE', `reading the audit log needs the scope ${AUDITOR_SCOPES.join(' or ')}`);
    }
    return who;
  };
  const record = async (req: Request, who: { actor?: Actor }, operation: string, patients: readonly string[]) => {
    if (!deps.recordAccess || !who.actor) return;
    await deps.recordAccess({
      actor: who.actor, operation, path: req.originalUrl.split('?')[0] ?? '/admin/audit',
      requestIdHeader: req.headers['x-request-id'], clientAddress: req.socket.remoteAddress, patients,
    });
  };

  router.post('/events/_search', async (req: Request, res: Response) => {
    const who = await requireAuditor(req);
    const body = validateBody<SearchBody>(searchSchema, req.body ?? {});
    for (const field of ['from', 'to'] as const) {
      if (body[field] !== undefined && Number.isNaN(Date.parse(body[field]!))) throw new CustosError('INVALID_REQUEST', `${field} is not a valid date`);
    }
    const limit = body.limit ?? 100;
    const filter: AuditSearch = {
      limit,
      ...(body.patient ? { patient: body.patient } : {}),
      ...(body.actor ? { actor: body.actor } : {}),
      ...(body.from ? { from: Date.parse(body.from) } : {}),
      ...(body.to ? { to: Date.parse(body.to) } : {}),
      ...(body.outcome !== undefined ? { outcome: body.outcome } : {}),
      ...(body.breakGlass !== undefined ? { breakGlass: body.breakGlass } : {}),
      ...(body.after !== undefined ? { afterIndex: body.after } : {}),
    };
    const events = await deps.store.search(filter);
    await record(req, who, 'audit-search', [...new Set(events.flatMap((e) => e.facts.patients))]);
    const last = events.at(-1);
    res.json({ events: events.map(summary), next: events.length === limit && last ? { after: last.index } : null });
  });

  router.get('/events/:index', async (req: Request, res: Response) => {
    const who = await requireAuditor(req);
    const index = indexParam(req.params['index']);
    const event = await deps.store.event(index);
    if (!event || index >= deps.log.size) throw new CustosError('NOT_FOUND', `no sequenced audit event ${index} (the log holds ${deps.log.size})`);
    await record(req, who, 'audit-event', event.facts.patients);
    const found = await coveringCheckpoint(deps.store, index);
    // An instance following another sequencer may not have the covering checkpoint's leaves yet.
    const checkpoint = found && found.treeSize <= deps.log.size ? found : undefined;
    const treeSize = checkpoint?.treeSize ?? deps.log.size;
    res.json({
      ...summary(event),
      leafHash: event.leafHash.toString('hex'),
      canonical: event.canonical.toString('utf8'),
      inclusionProof: { leafIndex: index, treeSize, root: deps.log.head(treeSize).root, hashes: deps.log.tree.inclusionProof(index, treeSize).map((h) => h.toString('hex')) },
      checkpoint: checkpoint ? describeCheckpoint(checkpoint, deps.explorerTxUrl) : null,
      ...(checkpoint ? {} : { note: 'not anchored yet: the proof is against the current tree head; the next checkpoint will cover it' }),
    });
  });

  // Newest first by page (one checkpoint per anchor interval, for the life of the log): the newest
  // `limit` below `before` (a tree size), in tree-size order; `older` names the next page.
  router.get('/checkpoints', async (req: Request, res: Response) => {
    await requireAuditor(req);
    const limit = req.query['limit'] === undefined ? 100 : boundedParam(req.query['limit'], 'limit', 1, 1000);
    const before = req.query['before'] === undefined ? undefined : boundedParam(req.query['before'], 'before', 1, Number.MAX_SAFE_INTEGER);
    const page = await deps.store.checkpointsWhere({ ...(before === undefined ? {} : { maxTreeSize: before - 1 }), limit: limit + 1, newest: true });
    const checkpoints = page.length > limit ? page.slice(1) : page;
    const status = deps.anchoring.status();
    res.json({
      chain: deps.chain,
      head: deps.log.head(),
      anchoring: { unanchored: status.unanchored, chainHealthy: status.chainHealthy, lastError: status.lastError, sequencer: deps.log.isSequencer },
      checkpoints: checkpoints.map((c) => describeCheckpoint(c, deps.explorerTxUrl)),
      older: page.length > limit ? { before: checkpoints[0]!.treeSize } : null,
    });
  });

  router.get('/consistency', async (req: Request, res: Response) => {
    await requireAuditor(req);
    const from = indexParam(req.query['from']);
    const to = req.query['to'] === undefined ? deps.log.size : indexParam(req.query['to']);
    if (from < 1 || from > to || to > deps.log.size) throw new CustosError('INVALID_REQUEST', `need 1 <= from <= to <= ${deps.log.size} (the log's size; a proof from the empty tree means nothing, RFC 9162 §2.1.4)`);
    res.json({ from, to, rootFrom: deps.log.head(from).root, rootTo: deps.log.head(to).root, hashes: deps.log.tree.consistencyProof(from, to).map((h) => h.toString('hex')) });
  });

  router.get('/head', async (req: Request, res: Response) => {
    await requireAuditor(req);
    res.json(deps.log.head());
  });

  router.get('/export', async (req: Request, res: Response) => {
    const who = await requireAuditor(req);
    await record(req, who, 'audit-export', []); // every patient: the whole log
    res.status(200).type('application/x-ndjson').setHeader('content-disposition', 'attachment; filename="custos-audit-export.ndjson"');
    await writeAuditExport(deps.store, deps.chain, res);
    res.end();
  });

  return router;
}

function summary(event: StoredAuditEvent) {
  const f = event.facts;
  return { index: event.index, eventId: f.eventId, requestId: f.requestId, recorded: new Date(f.recorded).toISOString(), outcome: f.outcome, breakGlass: f.breakGlass, actor: f.actor, clientId: f.clientId, patients: f.patients, event: JSON.parse(event.canonical.toString('utf8')) as unknown };
}

/** The first checkpoint whose tree contains the event: the one its inclusion proof is checked against. */
async function coveringCheckpoint(store: AuditStore, index: number): Promise<CheckpointRecord | undefined> {
  const [covering] = await store.checkpointsWhere({ minTreeSize: index + 1, limit: 1 });
  return covering;
}

function describeCheckpoint(c: CheckpointRecord, explorerTxUrl: string | null | undefined) {
  return { ...c, ...(explorerTxUrl ? { explorerUrl: explorerTxUrl + c.transactionHash } : {}) };
}

/** A query or path parameter of decimal digits as a number; NaN for anything else (a repeated parameter, a sign, …). */
function digits(value: unknown): number {
  return typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
}

function boundedParam(value: unknown, name: string, min: number, max: number): number {
  const n = digits(value);
  if (!(n >= min && n <= max)) throw new CustosError('INVALID_REQUEST', `${name} must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`);
  return n;
}

function indexParam(value: unknown): number {
  const n = digits(value);
  if (Number.isNaN(n)) throw new CustosError('INVALID_REQUEST', 'give the index / tree size as a non-negative integer');
  return n;
}

