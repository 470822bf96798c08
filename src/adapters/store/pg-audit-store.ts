/**
 * The production audit store, on PostgreSQL (tables: `pg-audit-schema.ts`). Several gateways share
 * one schema: each appends; the one holding the sequencer role (a session-level advisory lock on a
 * connection of its own) gives the events their leaf indices, under a row lock on the log head so
 * that indices stay dense and unique even if two instances sequence at once.
 *
 * - `append` is ONE round trip per batch (INSERT … SELECT FROM unnest(…)), committed with the
 *   server's default synchronous_commit before it resolves. Re-sending a batch after an ambiguous
 *   failure is harmless: rows whose event id is already stored are skipped.
 * - Every call fails promptly rather than hanging: connection timeout, server-side statement
 *   timeout, and a client-side read timeout for a server that stopped answering; failures are
 *   CustosError('UNAVAILABLE') (see `pg-audit-errors.ts`).
 * - What it returns is what the rows hold: nothing is recomputed, so edits made in the database
 *   are exactly what the verifier sees.
 */
import pg from 'pg';
import { CustosError } from '../../errors.js';
import type { AuditRecord, AuditSearch, AuditStore, CheckpointQuery, CheckpointRecord, SequencedLeaf, StoredAuditEvent } from '../../audit/store.js';
import { checkBatch, clampRange, searchLimit } from '../../audit/store-queries.js';
import { checkpointOfRow, EVENT_COLUMNS, toEvent, type EventRow } from './pg-audit-rows.js';
import { describeDatabase, storeError } from './pg-audit-errors.js';
import { DDL_LOCK, isSchemaName, LOCK_CLASS, schemaStatements, SEQUENCER_LOCK_CLASS, tables } from './pg-audit-schema.js';

export interface PgAuditStoreOptions {
  /** `postgres://user:password@host:5432/database`. */
  readonly connectionString: string;
  /** Schema holding the tables (created if missing); default `custos_audit`. */
  readonly schema?: string;
  /** Connections in the pool (default 10), plus one for the sequencer role. */
  readonly poolSize?: number;
  /** How long to wait for a connection, new or from the pool (default 5000 ms). */
  readonly connectTimeoutMs?: number;
  /** Server-side limit per statement (default 10000 ms); the client gives up 2 s later. */
  readonly statementTimeoutMs?: number;
}

const SCAN_PAGE = 1000;

function positiveInteger(value: number | undefined, fallback: number, name: string, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) throw new CustosError('CONFIG_INVALID', `audit store option ${name} must be an integer from 1 to ${max}`);
  return value;
}

export class PgAuditStore implements AuditStore {
  private readonly t: ReturnType<typeof tables>;
  private sequencer: pg.Client | null = null;
  private electing: Promise<boolean> | null = null;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly clientConfig: pg.ClientConfig,
    readonly schema: string,
    private readonly where: string,
  ) {
    this.t = tables(schema);
  }

  /** Connects, creates the schema if missing, and returns the store; UNAVAILABLE if the database cannot be used. */
  static async open(options: PgAuditStoreOptions): Promise<PgAuditStore> {
    if (typeof options?.connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(options.connectionString)) {
      throw new CustosError('CONFIG_INVALID', 'the audit store connection string must be a postgres:// URL (audit.postgresUrl)');
    }
    const schema = options.schema ?? 'custos_audit';
    if (!isSchemaName(schema)) throw new CustosError('CONFIG_INVALID', 'the audit store schema must be lower-case letters, digits and underscores, starting with a letter or underscore (at most 63)');
    const poolSize = positiveInteger(options.poolSize, 10, 'poolSize', 1000);
    const connectTimeoutMs = positiveInteger(options.connectTimeoutMs, 5_000, 'connectTimeoutMs', 600_000);
    const statementTimeoutMs = positiveInteger(options.statementTimeoutMs, 10_000, 'statementTimeoutMs', 3_600_000);
    const clientConfig: pg.ClientConfig = {
      connectionString: options.connectionString,
      connectionTimeoutMillis: connectTimeoutMs,
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + 2_000,
      idle_in_transaction_session_timeout: Math.max(statementTimeoutMs * 3, 30_000),
      keepAlive: true,
      application_name: 'custos-audit',
      // An append resolves on COMMIT, which is durable only with synchronous_commit on: pin it, so a
      // server tuned with it off cannot lose events whose answers were already sent.
      options: '-c synchronous_commit=on',
    };
    const pool = new pg.Pool({ ...clientConfig, max: poolSize, idleTimeoutMillis: 30_000 });
    pool.on('error', () => undefined); // an idle connection dropped: the next checkout reconnects
    // A connection that dies while checked out also emits 'error': without a listener that would
    // crash the gateway when the database restarts. Its query rejects anyway, which is what we act on.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const store = new PgAuditStore(pool, clientConfig, schema, describeDatabase(options.connectionString));
    try {
      await store.transaction('creating its tables', async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, DDL_LOCK]);
        for (const statement of schemaStatements(schema)) await client.query(statement);
      });
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return store;
  }

  async append(batch: readonly AuditRecord[]): Promise<void> {
    this.usable();
    checkBatch(batch);
    if (batch.length === 0) return;
    await this.query('appending events', `
      INSERT INTO ${this.t.events} (recorded, leaf_hash, canonical, event_id, request_id, patients, actor, client_id, outcome, break_glass)
      SELECT timestamptz 'epoch' + r.recorded * interval '1 millisecond', r.leaf_hash, r.canonical, r.event_id, r.request_id,
             ARRAY(SELECT jsonb_array_elements_text(r.patients::jsonb)), r.actor, r.client_id, r.outcome, r.break_glass
        FROM unnest($1::float8[], $2::bytea[], $3::bytea[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int2[], $10::bool[])
             WITH ORDINALITY AS r(recorded, leaf_hash, canonical, event_id, request_id, patients, actor, client_id, outcome, break_glass, ord)
       ORDER BY r.ord
      ON CONFLICT (event_id) DO NOTHING`, [
      batch.map((r) => r.facts.recorded),
      batch.map((r) => r.leafHash),
      batch.map((r) => r.canonical),
      batch.map((r) => r.facts.eventId),
      batch.map((r) => r.facts.requestId),
      batch.map((r) => JSON.stringify(r.facts.patients)),
      batch.map((r) => r.facts.actor),
      batch.map((r) => r.facts.clientId),
      batch.map((r) => r.facts.outcome),
      batch.map((r) => r.facts.breakGlass),
    ]);
  }

  /**
   * Locks the head row, numbers the oldest unsequenced rows from the head's size, links each to its
   * predecessor's leaf hash, moves the head, commits. A second sequencer waits on the head row and
   * then sees the first one's work (READ COMMITTED takes a new snapshot per statement).
   */
  async sequence(limit: number): Promise<SequencedLeaf[]> {
    this.usable();
    const take = Math.min(Math.max(0, Math.floor(limit) || 0), 1_000_000);
    if (take === 0) return [];
    return this.transaction('sequencing events', async (client) => {
      const head = await client.query<{ size: string; last_leaf_hash: Buffer }>(`SELECT size, last_leaf_hash FROM ${this.t.head} FOR UPDATE`);
      const { size, last_leaf_hash: last } = head.rows[0] ?? { size: '0', last_leaf_hash: Buffer.alloc(32) };
      const result = await client.query<{ seq: string; leaf_hash: Buffer }>(`
        WITH picked AS (
          SELECT id, leaf_hash FROM ${this.t.events} WHERE seq IS NULL ORDER BY id LIMIT $1
        ), numbered AS (
          SELECT id, $2::bigint + row_number() OVER (ORDER BY id) - 1 AS seq,
                 coalesce(lag(leaf_hash) OVER (ORDER BY id), $3::bytea) AS prev
            FROM picked
        ), done AS (
          UPDATE ${this.t.events} e SET seq = n.seq, prev_leaf_hash = n.prev FROM numbered n WHERE e.id = n.id
          RETURNING e.seq, e.leaf_hash
        ), moved AS (
          UPDATE ${this.t.head} SET size = size + (SELECT count(*) FROM done),
                 last_leaf_hash = coalesce((SELECT leaf_hash FROM done ORDER BY seq DESC LIMIT 1), last_leaf_hash)
        )
        SELECT seq, leaf_hash FROM done ORDER BY seq`, [take, size, last]);
      return result.rows.map((r) => ({ index: Number(r.seq), leafHash: r.leaf_hash }));
    });
  }

  async size(): Promise<number> {
    const result = await this.query<{ size: string }>('reading the log size', `SELECT size FROM ${this.t.head}`);
    return Number(result.rows[0]?.size ?? 0);
  }

  async leaves(from: number, limit: number): Promise<Buffer[]> {
    const [start, end] = clampRange(from, from + limit);
    if (end <= start) return [];
    const result = await this.query<{ leaf_hash: Buffer }>('reading leaf hashes', `SELECT leaf_hash FROM ${this.t.events} WHERE seq >= $1 AND seq < $2 ORDER BY seq`, [start, end]);
    return result.rows.map((r) => r.leaf_hash);
  }

  async event(index: number): Promise<StoredAuditEvent | null> {
    this.usable();
    if (!Number.isSafeInteger(index) || index < 0) return null;
    const result = await this.query<EventRow>('reading an event', `SELECT ${EVENT_COLUMNS} FROM ${this.t.events} WHERE seq = $1`, [index]);
    return result.rows[0] ? toEvent(result.rows[0]) : null;
  }

  async search(filter: AuditSearch): Promise<StoredAuditEvent[]> {
    this.usable();
    const limit = searchLimit(filter.limit);
    const where = ['seq IS NOT NULL'];
    const values: unknown[] = [];
    const add = (condition: (p: string) => string, value: unknown): void => {
      values.push(value);
      where.push(condition(`$${values.length}`));
    };
    if (filter.afterIndex !== undefined) add((p) => `seq > ${p}`, Math.floor(filter.afterIndex));
    if (filter.patient !== undefined) add((p) => `patients @> ARRAY[${p}::text]`, filter.patient);
    if (filter.actor !== undefined) add((p) => `(actor = ${p} OR client_id = ${p})`, filter.actor);
    if (filter.from !== undefined) add((p) => `recorded >= timestamptz 'epoch' + ${p}::float8 * interval '1 millisecond'`, filter.from);
    if (filter.to !== undefined) add((p) => `recorded < timestamptz 'epoch' + ${p}::float8 * interval '1 millisecond'`, filter.to);
    if (filter.outcome !== undefined) add((p) => `outcome = ${p}`, filter.outcome);
    if (filter.breakGlass !== undefined) add((p) => `break_glass = ${p}`, filter.breakGlass);
    values.push(limit);
    const result = await this.query<EventRow>('searching events', `SELECT ${EVENT_COLUMNS} FROM ${this.t.events} WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $${values.length}`, values);
    return result.rows.map(toEvent);
  }

  /** Keyset pages of SCAN_PAGE rows by index, the next page fetched while this one is consumed. */
  async *scan(from: number, to: number): AsyncIterable<StoredAuditEvent> {
    const [start, end] = clampRange(from, to);
    const page = (after: number): Promise<EventRow[]> =>
      this.query<EventRow>('scanning events', `SELECT ${EVENT_COLUMNS} FROM ${this.t.events} WHERE seq >= $1 AND seq < $2 ORDER BY seq LIMIT $3`, [after, end, SCAN_PAGE]).then((r) => r.rows);
    if (end <= start) return;
    let next: Promise<EventRow[]> | null = page(start);
    while (next) {
      const rows: EventRow[] = await next;
      const last = rows[rows.length - 1];
      next = rows.length === SCAN_PAGE && last ? page(Number(last.seq) + 1) : null;
      next?.catch(() => undefined); // surfaced when awaited; not unhandled if the consumer stops early
      for (const row of rows) yield toEvent(row);
    }
  }

  async recordCheckpoint(c: CheckpointRecord): Promise<void> {
    await this.query('recording a checkpoint', `
      INSERT INTO ${this.t.checkpoints} (tree_size, root, chain_id, contract, chain_index, transaction_hash, block_number, block_hash, anchored_at, gas_used)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
      ON CONFLICT (tree_size) DO UPDATE SET root = EXCLUDED.root, chain_id = EXCLUDED.chain_id, contract = EXCLUDED.contract,
        chain_index = EXCLUDED.chain_index, transaction_hash = EXCLUDED.transaction_hash, block_number = EXCLUDED.block_number,
        block_hash = EXCLUDED.block_hash, anchored_at = EXCLUDED.anchored_at, gas_used = EXCLUDED.gas_used`,
    [c.treeSize, c.root, c.chainId, c.contract, c.chainIndex, c.transactionHash, c.blockNumber, c.blockHash, c.anchoredAt, c.gasUsed]);
  }

  async checkpoints(): Promise<CheckpointRecord[]> {
    const result = await this.query<Record<string, string>>('reading checkpoints', `SELECT * FROM ${this.t.checkpoints} ORDER BY tree_size`);
    return result.rows.map(checkpointOfRow);
  }

  async checkpointsWhere(query: CheckpointQuery): Promise<CheckpointRecord[]> {
    // The primary key on tree_size answers the range and the order: a few rows read, whatever the total.
    const result = await this.query<Record<string, string>>('reading checkpoints',
      `SELECT * FROM ${this.t.checkpoints} WHERE tree_size >= $1 AND tree_size <= $2 ORDER BY tree_size ${query.newest ? 'DESC' : 'ASC'} LIMIT $3`,
      [query.minTreeSize ?? 0, query.maxTreeSize ?? Number.MAX_SAFE_INTEGER, query.limit]);
    const rows = result.rows.map(checkpointOfRow);
    return query.newest ? rows.reverse() : rows;
  }

  async dropCheckpoint(treeSize: number): Promise<void> {
    await this.query('dropping a checkpoint', `DELETE FROM ${this.t.checkpoints} WHERE tree_size = $1`, [treeSize]);
  }

  /**
   * True while this instance holds the sequencer lock: a session-level advisory lock on a
   * connection kept for it. Each call checks that connection with one round trip; if it died, the
   * lock died with it (the server releases it) and this instance competes again like any other.
   */
  acquireSequencer(): Promise<boolean> {
    this.electing ??= this.elect().finally(() => (this.electing = null));
    return this.electing;
  }

  private async elect(): Promise<boolean> {
    if (this.closing) return false;
    if (this.sequencer) {
      try {
        await this.sequencer.query('SELECT 1');
        return true;
      } catch {
        this.dropSequencer();
      }
    }
    const client = new pg.Client(this.clientConfig);
    client.on('error', () => {
      if (this.sequencer === client) this.dropSequencer();
    });
    try {
      await client.connect();
      const result = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS held', [SEQUENCER_LOCK_CLASS, this.schema]);
      if (result.rows[0]?.held && !this.closing) {
        this.sequencer = client;
        return true;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw storeError(error, this.where, 'taking the sequencer role');
    }
    await client.end().catch(() => undefined);
    return false;
  }

  private dropSequencer(): void {
    const client = this.sequencer;
    this.sequencer = null;
    client?.end().catch(() => undefined);
  }

  /** Closes the pool and the sequencer's connection (which releases the role at once). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.electing?.catch(() => undefined);
      const client = this.sequencer;
      this.sequencer = null;
      await client?.end().catch(() => undefined);
      await this.pool.end().catch(() => undefined);
    })();
    return this.closing;
  }

  private usable(): void {
    if (this.closing) throw new CustosError('UNAVAILABLE', `the audit store (PostgreSQL at ${this.where}) is closed; open it again`);
  }

  private async query<R extends pg.QueryResultRow>(doing: string, text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    this.usable();
    try {
      return await this.pool.query<R>(text, values);
    } catch (error) {
      throw storeError(error, this.where, doing);
    }
  }

  /** Runs `body` in a READ COMMITTED transaction on one pooled connection. */
  private async transaction<T>(doing: string, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.usable();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw storeError(error, this.where, doing);
    }
    try {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const result = await body(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      // Destroy rather than reuse: the connection may be mid-transaction or dead.
      client.release(error instanceof Error ? error : new Error('transaction failed'));
      throw storeError(error, this.where, doing);
    }
  }
}

