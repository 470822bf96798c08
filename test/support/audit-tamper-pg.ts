/**
 * Tampering with the PostgreSQL audit store's rows the way someone with write access to the
 * database would (the SQL counterparts of `audit-tamper.ts`). A row's place in the log is its `seq`.
 * Each function runs in one transaction; the store may stay open.
 */
import type pg from 'pg';
import { tables } from '../../src/adapters/store/pg-audit-schema.js';
import { leafHashOf, ZERO_HASH } from './audit-store-conformance.js';

async function inTransaction<T>(pool: pg.Pool, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await body(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function canonicalAt(client: pg.PoolClient, schema: string, seq: number): Promise<string> {
  const { rows } = await client.query<{ canonical: Buffer }>(`SELECT canonical FROM ${tables(schema).events} WHERE seq = $1`, [seq]);
  if (!rows[0]) throw new Error(`no event ${seq} in schema ${schema}`);
  return rows[0].canonical.toString('utf8');
}

/** Rewrites event `seq`'s canonical JSON; with `fixLeafHash` its leaf hash too (then only the next link tells). */
export async function pgEditEvent(pool: pg.Pool, schema: string, seq: number, mutate: (canonical: string) => string, options: { fixLeafHash: boolean }): Promise<void> {
  await inTransaction(pool, async (client) => {
    const canonical = Buffer.from(mutate(await canonicalAt(client, schema, seq)), 'utf8');
    await client.query(`UPDATE ${tables(schema).events} SET canonical = $2, leaf_hash = CASE WHEN $3 THEN $4 ELSE leaf_hash END WHERE seq = $1`, [seq, canonical, options.fixLeafHash, leafHashOf(canonical)]);
  });
}

/** Deletes event `seq`, leaving a hole in the numbering (the head still counts it). */
export async function pgDeleteEvent(pool: pg.Pool, schema: string, seq: number): Promise<void> {
  await pool.query(`DELETE FROM ${tables(schema).events} WHERE seq = $1`, [seq]);
}

/** Exchanges the places (`seq`) of two events; each keeps its stored link. */
export async function pgSwapEvents(pool: pg.Pool, schema: string, i: number, j: number): Promise<void> {
  const { events } = tables(schema);
  const parking = Number.MAX_SAFE_INTEGER; // seq is unique and checked row by row: park one first
  await inTransaction(pool, async (client) => {
    await client.query(`UPDATE ${events} SET seq = $2 WHERE seq = $1`, [i, parking]);
    await client.query(`UPDATE ${events} SET seq = $2 WHERE seq = $1`, [j, i]);
    await client.query(`UPDATE ${events} SET seq = $2 WHERE seq = $1`, [parking, j]);
  });
}

/** Keeps the first `keep` events and moves the head back, cleanly: only the anchored size can tell. */
export async function pgTruncate(pool: pg.Pool, schema: string, keep: number): Promise<void> {
  const t = tables(schema);
  await inTransaction(pool, async (client) => {
    await client.query(`DELETE FROM ${t.events} WHERE seq >= $1`, [keep]);
    await client.query(
      `UPDATE ${t.head} SET size = $1::bigint, last_leaf_hash = coalesce((SELECT leaf_hash FROM ${t.events} WHERE seq = $1::bigint - 1), $2)`,
      [keep, ZERO_HASH],
    );
  });
}

/**
 * Edits event `seq` and recomputes every leaf hash and link from there on, and the head: the log
 * verifies on its own; only a root anchored on chain exposes it.
 */
export async function pgRewriteFrom(pool: pg.Pool, schema: string, seq: number, mutate: (canonical: string) => string): Promise<void> {
  const t = tables(schema);
  await inTransaction(pool, async (client) => {
    const edited = Buffer.from(mutate(await canonicalAt(client, schema, seq)), 'utf8');
    await client.query(`UPDATE ${t.events} SET canonical = $2 WHERE seq = $1`, [seq, edited]);
    const before = await client.query<{ leaf_hash: Buffer }>(`SELECT leaf_hash FROM ${t.events} WHERE seq = $1`, [seq - 1]);
    let previous = before.rows[0]?.leaf_hash ?? ZERO_HASH;
    const { rows } = await client.query<{ id: string; canonical: Buffer }>(`SELECT id, canonical FROM ${t.events} WHERE seq >= $1 ORDER BY seq`, [seq]);
    for (const row of rows) {
      const leaf = leafHashOf(row.canonical);
      await client.query(`UPDATE ${t.events} SET leaf_hash = $2, prev_leaf_hash = $3 WHERE id = $1`, [row.id, leaf, previous]);
      previous = leaf;
    }
    await client.query(`UPDATE ${t.head} SET last_leaf_hash = $1`, [previous]);
  });
}
