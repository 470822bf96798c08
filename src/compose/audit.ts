/**
 * Wires the audit trail: the store (PostgreSQL when `audit.postgresUrl` is set, else the embedded
 * file store under `dataDir/audit`), the group-commit recorder the request path awaits, the
 * sequenced Merkle log, and the scheduler that anchors tree heads on the AuditAnchor contract.
 */
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { AnchorScheduler } from '../audit/anchor-scheduler.js';
import type { AuditAnchorPort } from '../audit/anchor.js';
import { AuditLog } from '../audit/audit-log.js';
import { AuditRecorder } from '../audit/audit-recorder.js';
import type { AuditStore } from '../audit/store.js';
import { FileAuditStore } from '../adapters/store/file-audit-store.js';
import { PgAuditStore } from '../adapters/store/pg-audit-store.js';
import type { CustosConfig } from '../config/types.js';

export interface ComposedAudit {
  readonly store: AuditStore;
  readonly recorder: AuditRecorder;
  readonly log: AuditLog;
  readonly anchoring: AnchorScheduler;
  readonly instanceId: string;
  /** Stops taking events, writes what is queued, anchors what is unanchored (best effort), closes. */
  close(): Promise<void>;
}

/** The configured store; `readOnly` (verify, export) opens the embedded one without its writer lock. */
export async function openAuditStore(config: CustosConfig, options: { readOnly?: boolean } = {}): Promise<AuditStore> {
  return config.audit.postgresUrl
    ? PgAuditStore.open({ connectionString: config.audit.postgresUrl, schema: config.audit.postgresSchema })
    : FileAuditStore.open({ dir: join(resolve(config.dataDir), 'audit'), ...(options.readOnly ? { readOnly: true } : {}) });
}

export async function composeAudit(config: CustosConfig, anchor: AuditAnchorPort, logger: Logger): Promise<ComposedAudit> {
  const store = await openAuditStore(config);
  const log = new AuditLog({
    store,
    intervalMs: config.audit.sequenceIntervalMs,
    onError: (error) => logger.error({ code: (error as { code?: unknown }).code, detail: (error as Error).message }, 'audit sequencer cannot reach the audit store'),
  });
  const recorder = new AuditRecorder(store, {
    maxBatch: config.audit.maxBatch,
    commitDelayMs: config.audit.commitDelayMs,
    maxPending: config.audit.maxPending,
    retryAfterSeconds: config.audit.retryAfterSeconds,
    onFailure: (error, events) => logger.error({ events, code: (error as { code?: unknown }).code, detail: (error as Error).message }, 'audit store could not commit a batch: those requests got 503'),
    onCommit: () => log.nudge(),
  });
  try {
    await log.start();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  const anchoring = new AnchorScheduler({
    log,
    store,
    anchor,
    intervalMs: config.audit.anchorIntervalMs,
    onAnchored: (c) => logger.info({ treeSize: c.treeSize, transaction: c.transactionHash, block: c.blockNumber, gasUsed: c.gasUsed }, 'audit checkpoint anchored'),
    onReorg: (c) => logger.warn({ treeSize: c.treeSize, transaction: c.transactionHash }, 'an anchored checkpoint left the chain (reorg): sending it again'),
    onError: (error) => logger.warn({ detail: (error as Error).message }, 'cannot anchor audit checkpoints now (chain unreachable?): retrying every interval, nothing is lost'),
    onRecovered: () => logger.info('audit anchoring resumed'),
  });
  await anchoring.start();
  return {
    store,
    recorder,
    log,
    anchoring,
    instanceId: config.audit.instanceId ?? hostname(),
    async close() {
      await recorder.drain();
      await log.catchUp().catch(() => undefined);
      // One last anchoring round, bounded as a whole (a round in flight included): a chain that does
      // not answer must not hold the shutdown; what is left unanchored is anchored at the next start.
      const deadline = new Promise((r) => setTimeout(r, 2000).unref());
      await Promise.race([anchoring.tick().then(() => anchoring.stop()), deadline]);
      await log.stop();
      await store.close();
    },
  };
}
