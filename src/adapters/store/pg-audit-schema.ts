/**
 * The PostgreSQL audit store's tables, created idempotently on open (every statement is
 * IF NOT EXISTS, run under a transaction-level advisory lock so gateways starting together do not
 * race on the catalog).
 *
 * - `audit_events`: one row per event. `id` (bigserial) is arrival order; `seq` is the leaf index,
 *   NULL until the sequencer gives it one (unique, so an index can never be given twice).
 *   `canonical` is the exact byte string the leaf hash commits to; the other columns are search facts.
 * - `audit_log_head`: a single row holding the log size and the last leaf hash. The sequencer locks
 *   it (SELECT … FOR UPDATE) for the whole sequencing transaction, which is what makes indices
 *   dense and unique even when two instances sequence at once.
 * - `audit_checkpoints`: the anchored tree heads.
 */

/** First key of every advisory lock Custos takes ("CUST"); the second says which lock. */
export const LOCK_CLASS = 0x43555354;
/** Second key of the advisory lock serialising schema creation. */
export const DDL_LOCK = 1;
/** Advisory-lock class of the sequencer role; its second key is hashtext(schema). */
export const SEQUENCER_LOCK_CLASS = LOCK_CLASS + 1;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** True for a schema name that needs no quoting and cannot inject SQL. */
export function isSchemaName(name: string): boolean {
  return SCHEMA_NAME.test(name);
}

/** Fully qualified table names for `schema` (already validated by `isSchemaName`). */
export function tables(schema: string): { events: string; head: string; checkpoints: string } {
  return { events: `"${schema}".audit_events`, head: `"${schema}".audit_log_head`, checkpoints: `"${schema}".audit_checkpoints` };
}

/** The DDL, in order; run inside one transaction after taking the DDL advisory lock. */
export function schemaStatements(schema: string): string[] {
  const t = tables(schema);
  return [
    `CREATE SCHEMA IF NOT EXISTS "${schema}"`,
    `CREATE TABLE IF NOT EXISTS ${t.events} (
      id bigserial PRIMARY KEY,
      seq bigint UNIQUE CHECK (seq >= 0),
      recorded timestamptz NOT NULL,
      leaf_hash bytea NOT NULL CHECK (octet_length(leaf_hash) = 32),
      prev_leaf_hash bytea CHECK (octet_length(prev_leaf_hash) = 32),
      canonical bytea NOT NULL,
      event_id uuid NOT NULL UNIQUE,
      request_id text NOT NULL,
      patients text[] NOT NULL DEFAULT '{}',
      actor text,
      client_id text,
      outcome smallint NOT NULL,
      break_glass boolean NOT NULL DEFAULT false
    )`,
    `CREATE INDEX IF NOT EXISTS audit_events_unsequenced ON ${t.events} (id) WHERE seq IS NULL`,
    `CREATE INDEX IF NOT EXISTS audit_events_patients ON ${t.events} USING gin (patients)`,
    `CREATE INDEX IF NOT EXISTS audit_events_actor ON ${t.events} (actor, seq)`,
    `CREATE INDEX IF NOT EXISTS audit_events_client ON ${t.events} (client_id, seq)`,
    `CREATE INDEX IF NOT EXISTS audit_events_recorded ON ${t.events} (recorded)`,
    `CREATE INDEX IF NOT EXISTS audit_events_break_glass ON ${t.events} (seq) WHERE break_glass`,
    `CREATE TABLE IF NOT EXISTS ${t.head} (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      size bigint NOT NULL CHECK (size >= 0),
      last_leaf_hash bytea NOT NULL CHECK (octet_length(last_leaf_hash) = 32)
    )`,
    `INSERT INTO ${t.head} (singleton, size, last_leaf_hash) VALUES (true, 0, '\\x${'00'.repeat(32)}'::bytea) ON CONFLICT DO NOTHING`,
    `CREATE TABLE IF NOT EXISTS ${t.checkpoints} (
      tree_size bigint PRIMARY KEY,
      root text NOT NULL,
      chain_id bigint NOT NULL,
      contract text NOT NULL,
      chain_index bigint NOT NULL,
      transaction_hash text NOT NULL,
      block_number bigint NOT NULL,
      block_hash text NOT NULL,
      anchored_at bigint NOT NULL,
      gas_used bigint NOT NULL
    )`,
  ];
}
