/**
 * How rows of the PostgreSQL audit tables become the store's records (pg-audit-store.ts).
 */
import type { CheckpointRecord, StoredAuditEvent } from '../../audit/store.js';

/** The columns every event query selects (the time as epoch milliseconds, the id as text). */
export const EVENT_COLUMNS = `seq, (extract(epoch FROM recorded) * 1000)::float8 AS recorded_ms, leaf_hash, prev_leaf_hash, canonical,
  event_id::text AS event_id, request_id, patients, actor, client_id, outcome, break_glass`;

export interface EventRow {
  seq: string;
  recorded_ms: number;
  leaf_hash: Buffer;
  prev_leaf_hash: Buffer | null;
  canonical: Buffer;
  event_id: string;
  request_id: string;
  patients: string[];
  actor: string | null;
  client_id: string | null;
  outcome: number;
  break_glass: boolean;
}

export function toEvent(row: EventRow): StoredAuditEvent {
  return {
    index: Number(row.seq),
    canonical: row.canonical,
    leafHash: row.leaf_hash,
    previousLeafHash: row.prev_leaf_hash ?? Buffer.alloc(0),
    facts: {
      eventId: row.event_id,
      requestId: row.request_id,
      recorded: row.recorded_ms,
      patients: row.patients,
      actor: row.actor,
      clientId: row.client_id,
      outcome: row.outcome as 0 | 4 | 8 | 12,
      breakGlass: row.break_glass,
    },
  };
}

export function checkpointOfRow(r: Record<string, string>): CheckpointRecord {
  return {
    treeSize: Number(r.tree_size),
    root: r.root!,
    chainId: Number(r.chain_id),
    contract: r.contract!,
    chainIndex: Number(r.chain_index),
    transactionHash: r.transaction_hash!,
    blockNumber: Number(r.block_number),
    blockHash: r.block_hash!,
    anchoredAt: Number(r.anchored_at),
    gasUsed: Number(r.gas_used),
  };
}
