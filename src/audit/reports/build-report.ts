/**
 * Builds a report from the audit log: finds the events in scope through the store's indexes,
 * derives the rows (`report-rows.ts`), and attaches, for every event a row rests on, its canonical
 * bytes and its inclusion proof against the newest anchored checkpoint. Events newer than that
 * checkpoint cannot be proven yet: they are left out of the rows and counted.
 */
import { CustosError } from '../../errors.js';
import type { MerkleTree } from '../merkle-tree.js';
import type { AuditSearch, AuditStore, StoredAuditEvent } from '../store.js';
import { eventFacts, type EventFacts } from './event-facts.js';
import { personReferences, type EventEvidence, type Report, type ReportScope } from './report-model.js';
import { deriveReport, type Annotations } from './report-rows.js';

export interface ReportSources {
  readonly store: AuditStore;
  /** The sequenced log's tree (proofs). */
  readonly tree: MerkleTree;
  readonly chain: { readonly chainId: number; readonly contract: string };
  readonly annotate?: Annotations;
}

const PAGE = 1000;
/**
 * A report built whole (grouped reports, PDF, Bundle) holds its events in memory: beyond this many
 * in scope it is refused with a request to narrow the range (per-event reports stream instead).
 */
export const MAX_BUILT_EVENTS = 100_000;
const SIX_YEARS_MS = Math.round(6 * 365.25 * 24 * 3600 * 1000);

/** The scope with its date range filled in: by default the last six years (the HIPAA look-back). */
export function withDefaults(scope: Omit<ReportScope, 'from' | 'to'> & { from?: string; to?: string }, now = Date.now()): ReportScope {
  return { ...scope, from: scope.from ?? new Date(now - SIX_YEARS_MS).toISOString(), to: scope.to ?? new Date(now + 1000).toISOString() };
}

export async function buildReport(scope: ReportScope, sources: ReportSources): Promise<Report> {
  const { store, tree } = sources;
  const checkpoint = (await store.checkpointsWhere({ maxTreeSize: tree.size, limit: 1, newest: true }))[0] ?? null;
  const anchoredSize = checkpoint?.treeSize ?? 0;
  const facts: EventFacts[] = [];
  const canonical = new Map<number, string>();
  let unanchored = 0;
  let seen = 0;
  for await (const event of eventsInScope(store, scope)) {
    if (++seen > MAX_BUILT_EVENTS) {
      throw new CustosError('PAYLOAD_TOO_LARGE', `more than ${MAX_BUILT_EVENTS} events are in scope for this report: narrow the period (from, to), or ask for CSV or JSON of a per-event report, which stream`);
    }
    if (event.index >= anchoredSize) {
      unanchored++;
      continue;
    }
    const text = event.canonical.toString('utf8');
    canonical.set(event.index, text);
    facts.push(eventFacts(event.index, JSON.parse(text) as Record<string, unknown>));
  }
  const { header, rows } = deriveReport(scope, facts, sources.annotate);
  const used = [...new Set(rows.flatMap((r) => r.events))].sort((a, b) => a - b);
  const evidence: EventEvidence[] = used.map((index) => ({
    index,
    canonical: canonical.get(index)!,
    proof: tree.inclusionProof(index, anchoredSize).map((h) => h.toString('hex')),
  }));
  return {
    format: 'custos-report/1',
    scope,
    header,
    generatedAt: new Date().toISOString(),
    rows,
    checkpoint: checkpoint
      ? { chainId: checkpoint.chainId, contract: checkpoint.contract, treeSize: checkpoint.treeSize, root: checkpoint.root, transactionHash: checkpoint.transactionHash, blockNumber: checkpoint.blockNumber }
      : null,
    evidence,
    unanchored,
  };
}

/**
 * The store's indexes narrow the search; `deriveReport` applies each report's exact rule. A person
 * known under several references (one per source) is read reference by reference and merged in log
 * order, each event once.
 */
export async function* eventsInScope(store: AuditStore, scope: ReportScope): AsyncGenerator<StoredAuditEvent> {
  const base: Omit<AuditSearch, 'limit'> = { from: Date.parse(scope.from), to: Date.parse(scope.to) };
  if (scope.kind !== 'actor-activity' && scope.kind !== 'break-glass' && scope.kind !== 'denied' && (scope.alsoKnownAs?.length ?? 0) > 0) {
    yield* mergedByIndex([...personReferences(scope)].map((patient) => pages(store, { ...base, patient })));
    return;
  }
  const filter: Omit<AuditSearch, 'limit'> =
    scope.kind === 'actor-activity' ? { ...base, actor: scope.actor ?? '' }
    : scope.kind === 'break-glass' ? { ...base, breakGlass: true }
    : scope.kind === 'denied' ? { ...base, outcome: 4 }
    : { ...base, patient: scope.patient ?? '' };
  yield* pages(store, filter);
}

async function* pages(store: AuditStore, filter: Omit<AuditSearch, 'limit'>): AsyncGenerator<StoredAuditEvent> {
  let after: number | undefined;
  for (;;) {
    const page = await store.search({ ...filter, limit: PAGE, ...(after !== undefined ? { afterIndex: after } : {}) });
    yield* page;
    if (page.length < PAGE) return;
    after = page.at(-1)!.index;
  }
}


/** Several index-ordered streams as one, in index order, each event once. */
async function* mergedByIndex(streams: ReadonlyArray<AsyncGenerator<StoredAuditEvent>>): AsyncGenerator<StoredAuditEvent> {
  const heads = await Promise.all(streams.map((s) => s.next()));
  let last = -1;
  for (;;) {
    let pick = -1;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i]!;
      if (!head.done && (pick < 0 || head.value.index < (heads[pick]!.value as StoredAuditEvent).index)) pick = i;
    }
    if (pick < 0) return;
    const event = heads[pick]!.value as StoredAuditEvent;
    heads[pick] = await streams[pick]!.next();
    if (event.index === last) continue; // an event naming two of her references
    last = event.index;
    yield event;
  }
}
