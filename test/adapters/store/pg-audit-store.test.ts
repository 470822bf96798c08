/**
 * The PostgreSQL audit store against the machine's PostgreSQL (CUSTOS_TEST_PG_URL, default
 * postgres://postgres@127.0.0.1:5432/test, then the same as `root`). Every store gets a random
 * schema of its own, dropped at the end. Besides the conformance suite: two gateways sharing a
 * schema, the sequencer role, a database that is down, silent or slow, and SQL tampering.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { PgAuditStore, type PgAuditStoreOptions } from '../../../src/adapters/store/pg-audit-store.js';
import { SEQUENCER_LOCK_CLASS } from '../../../src/adapters/store/pg-audit-schema.js';
import { isCustosError } from '../../../src/errors.js';
import { appendAll, auditRecord, auditStoreConformance, collect, rejectsWithCode } from '../../support/audit-store-conformance.js';
import { localFindings } from '../../support/audit-tamper.js';
import { pgDeleteEvent, pgEditEvent, pgRewriteFrom, pgSwapEvents, pgTruncate } from '../../support/audit-tamper-pg.js';
import { Relay } from '../../support/tcp-relay.js';

const candidates = process.env.CUSTOS_TEST_PG_URL ? [process.env.CUSTOS_TEST_PG_URL] : ['postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/test'];
let url = candidates[0]!;
let admin: pg.Pool;
const schemas = new Set<string>();

before(async () => {
  for (const candidate of candidates) {
    const pool = new pg.Pool({ connectionString: candidate, max: 4 });
    try {
      await pool.query('SELECT 1');
      [url, admin] = [candidate, pool];
      return;
    } catch {
      await pool.end();
    }
  }
  throw new Error(`no PostgreSQL at ${candidates.join(' or ')}: start it or set CUSTOS_TEST_PG_URL`);
});

after(async () => {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

const newSchema = (): string => {
  const schema = `custos_test_${randomBytes(6).toString('hex')}`;
  schemas.add(schema);
  return schema;
};
const openStore = (schema: string, options: Partial<PgAuditStoreOptions> = {}): Promise<PgAuditStore> =>
  PgAuditStore.open({ connectionString: url, schema, poolSize: 4, ...options });

auditStoreConformance('postgresql', async () => {
  const schema = newSchema();
  let store = await openStore(schema);
  return {
    get store() {
      return store;
    },
    reopen: async () => {
      await store.close();
      store = await openStore(schema);
      return store;
    },
    close: async () => {
      await store.close();
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
      schemas.delete(schema);
    },
  };
});

/** The backend holding `schema`'s sequencer lock, if any. */
async function sequencerBackend(schema: string): Promise<number | null> {
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1 AND objid = (hashtext($2)::bigint & 4294967295)::oid`,
    [SEQUENCER_LOCK_CLASS, schema],
  );
  return rows[0]?.pid ?? null;
}

async function eventually(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (const started = Date.now(); !(await condition()); await sleep(20)) {
    if (Date.now() - started > 3_000) assert.fail(`timed out waiting for ${what}`);
  }
}

describe('PgAuditStore shared by several gateways', () => {
  it('gives one dense order when two stores append and sequence at once', async () => {
    const schema = newSchema();
    const [a, b] = await Promise.all([openStore(schema), openStore(schema)]); // the DDL race too
    try {
      const records = Array.from({ length: 400 }, () => auditRecord());
      const appendFrom = async (store: PgAuditStore, part: typeof records): Promise<void> => {
        for (let i = 0, n = 1; i < part.length; i += n, n = 1 + (i % 9)) await store.append(part.slice(i, i + n));
      };
      let sequencing = true;
      const sequenceLoop = async (store: PgAuditStore): Promise<void> => {
        while (sequencing) if ((await store.sequence(7)).length === 0) await sleep(1);
      };
      const loops = [sequenceLoop(a), sequenceLoop(b)];
      await Promise.all([appendFrom(a, records.slice(0, 100)), appendFrom(b, records.slice(100, 200)), appendFrom(a, records.slice(200, 300)), appendFrom(b, records.slice(300))]);
      await eventually(async () => (await a.size()) === records.length, 'everything sequenced');
      sequencing = false;
      await Promise.all(loops);
      const events = await collect(b.scan(0, 1_000));
      assert.deepEqual(localFindings(events), []);
      assert.equal(events.length, records.length);
      assert.deepEqual(new Set(events.map((e) => e.facts.eventId)), new Set(records.map((r) => r.facts.eventId)));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('gives the sequencer role to one store at a time, and frees it with its connection', async () => {
    const schema = newSchema();
    const [a, b, c] = await Promise.all([openStore(schema), openStore(schema), openStore(schema)]);
    try {
      assert.equal(await a.acquireSequencer(), true);
      assert.equal(await b.acquireSequencer(), false);
      assert.equal(await a.acquireSequencer(), true, 'kept while held');
      await a.close();
      assert.equal(await a.acquireSequencer(), false, 'a closed store is no sequencer');
      await eventually(() => b.acquireSequencer(), 'b to take over');
      assert.equal(await c.acquireSequencer(), false);

      const pid = await sequencerBackend(schema);
      assert.ok(pid);
      await admin.query('SELECT pg_terminate_backend($1)', [pid]); // b's connection dies
      await eventually(() => c.acquireSequencer(), 'c to take over');
      assert.equal(await b.acquireSequencer(), false, 'b lost the role with its connection');
      await c.close();
      await eventually(() => b.acquireSequencer(), 'b to take it back');
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('stores a batch sent twice only once (a retry after an ambiguous failure)', async () => {
    const store = await openStore(newSchema());
    try {
      const batch = [auditRecord(), auditRecord()];
      await store.append(batch);
      await store.append(batch);
      await store.sequence(10);
      assert.equal(await store.size(), 2);
    } finally {
      await store.close();
    }
  });
});


describe('PgAuditStore when the database is not there', () => {
  const quick = { connectTimeoutMs: 800, statementTimeoutMs: 500 };
  const unavailableWithin = async (promise: Promise<unknown>, ms: number, password?: string): Promise<void> => {
    const started = Date.now();
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(isCustosError(error) && error.code === 'UNAVAILABLE', String(error));
      assert.match(error.message, /the audit store \(PostgreSQL/);
      if (password) assert.ok(!error.message.includes(password), 'the message must not show the password');
      return true;
    });
    assert.ok(Date.now() - started < ms, `took ${Date.now() - started} ms`);
  };

  it('rejects at once when nothing listens on the port', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await unavailableWithin(PgAuditStore.open({ connectionString: `postgres://custos:sekret-pw@127.0.0.1:${port}/audit`, ...quick }), 2_000, 'sekret-pw');
  });

  it('rejects within the connect timeout when the server accepts but never answers', async () => {
    const target = new URL(url);
    const relay = await Relay.start({ host: target.hostname, port: Number(target.port || 5432) });
    relay.mode = 'blackhole';
    try {
      await unavailableWithin(PgAuditStore.open({ connectionString: `postgres://custos:sekret-pw@127.0.0.1:${relay.port}/test`, ...quick }), 2_500, 'sekret-pw');
    } finally {
      await relay.close();
    }
  });

  it('rejects promptly once the database goes away, and works again when it is back', async () => {
    const target = new URL(url);
    const relay = await Relay.start({ host: target.hostname, port: Number(target.port || 5432) });
    target.port = String(relay.port);
    target.hostname = '127.0.0.1';
    // Tables made first with the normal timeouts (creating them can outlast 500 ms on a slow VM);
    // the quick store below only checks they are there.
    const schema = newSchema();
    await (await openStore(schema)).close();
    const store = await PgAuditStore.open({ connectionString: target.href, schema, poolSize: 2, ...quick });
    try {
      await store.append([auditRecord()]);
      relay.mode = 'stall'; // connections stay open, nothing comes back
      await unavailableWithin(store.append([auditRecord()]), 4_000);
      relay.mode = 'blackhole';
      relay.cut();
      await unavailableWithin(store.size(), 2_500);
      await unavailableWithin(store.sequence(10), 2_500);
      relay.mode = 'forward';
      await eventually(async () => store.append([auditRecord()]).then(() => true, () => false), 'the store to recover');
      assert.ok((await store.sequence(10)).length >= 2);
    } finally {
      await store.close();
      await relay.close();
    }
  });

  it('rejects when a statement outlasts the statement timeout (a locked log head)', async () => {
    const schema = newSchema();
    await (await openStore(schema)).close(); // tables first, with the normal timeouts
    const store = await openStore(schema, quick);
    const locker = await admin.connect();
    try {
      await store.append([auditRecord()]);
      await locker.query('BEGIN');
      await locker.query(`SELECT * FROM "${schema}".audit_log_head FOR UPDATE`);
      await unavailableWithin(store.sequence(10), 2_000);
      await locker.query('ROLLBACK');
      assert.equal((await store.sequence(10)).length, 1);
    } finally {
      locker.release();
      await store.close();
    }
  });

  it('refuses bad options (CONFIG_INVALID)', async () => {
    await rejectsWithCode(PgAuditStore.open({ connectionString: url, schema: 'Bad"; DROP' }), 'CONFIG_INVALID');
    await rejectsWithCode(PgAuditStore.open({ connectionString: url, poolSize: 0 }), 'CONFIG_INVALID');
    await rejectsWithCode(PgAuditStore.open({ connectionString: 'mysql://x' }), 'CONFIG_INVALID');
    await rejectsWithCode(PgAuditStore.open({ connectionString: url, statementTimeoutMs: -1 }), 'CONFIG_INVALID');
  });
});

describe('PgAuditStore under tampering (audit-tamper-pg.ts)', () => {
  async function tamperable(): Promise<{ store: PgAuditStore; schema: string; hashes: string[] }> {
    const schema = newSchema();
    const store = await openStore(schema);
    const records = Array.from({ length: 8 }, (_, i) => auditRecord({}, Buffer.from(`{"n":${i},"patient":"Patient/1"}`)));
    await appendAll(store, records, 3);
    return { store, schema, hashes: records.map((r) => r.leafHash.toString('hex')) };
  }
  const served = async (store: PgAuditStore) => collect(store.scan(0, await store.size()));

  it('pgEditEvent: the leaf, or with a fixed hash the next link, gives it away', async () => {
    const { store, schema } = await tamperable();
    try {
      await pgEditEvent(admin, schema, 3, (c) => c.replace('Patient/1', 'Patient/2'), { fixLeafHash: false });
      assert.equal((await store.event(3))?.canonical.toString(), '{"n":3,"patient":"Patient/2"}');
      assert.deepEqual(localFindings(await served(store)), ['leaf 3']);
      await pgEditEvent(admin, schema, 3, (c) => c, { fixLeafHash: true });
      assert.deepEqual(localFindings(await served(store)), ['link 4']);
    } finally {
      await store.close();
    }
  });

  it('pgDeleteEvent and pgSwapEvents break the indices and links', async () => {
    const { store, schema } = await tamperable();
    try {
      await pgDeleteEvent(admin, schema, 2);
      let events = await served(store);
      assert.equal(events.length, 7);
      assert.deepEqual(localFindings(events).slice(0, 2), ['index 2: claims 3', 'link 2']);
      await pgSwapEvents(admin, schema, 0, 5);
      events = await served(store);
      assert.deepEqual(events.map((e) => e.index), [0, 1, 3, 4, 5, 6, 7]);
      assert.ok(localFindings(events).includes('link 0'));
    } finally {
      await store.close();
    }
  });

  it('pgTruncate and pgRewriteFrom verify locally: only the anchored root can tell', async () => {
    const { store, schema, hashes } = await tamperable();
    try {
      await pgTruncate(admin, schema, 5);
      assert.equal(await store.size(), 5);
      assert.deepEqual(localFindings(await served(store)), []);
      await pgRewriteFrom(admin, schema, 2, (c) => c.replace('Patient/1', 'Patient/9'));
      const events = await served(store);
      assert.deepEqual(localFindings(events), []);
      assert.deepEqual(events.map((e) => e.leafHash.toString('hex') === hashes[e.index]), [true, true, false, true, true]);
      await store.append([auditRecord()]);
      const [next] = await store.sequence(10);
      assert.equal(next?.index, 5, 'numbering continues from the truncated head');
      assert.ok((await store.event(5))?.previousLeafHash.equals(events[4]!.leafHash));
    } finally {
      await store.close();
    }
  });
});
