/**
 * The embedded audit store on a real file system: the conformance suite, then what only a file
 * store has to get right: torn tails, damage in the middle, the directory lock, a SIGKILL mid-write,
 * and that an attacker's edits (test/support/audit-tamper.ts) are served as they are on disk.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, open, readFile, stat, truncate as truncateFile, writeFile } from 'node:fs/promises';
import { writtenEndOf } from '../../../src/adapters/store/file-audit-prealloc.js';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { encodedLength, encodeRecord } from '../../../src/adapters/store/file-audit-codec.js';
import { processStart } from '../../../src/adapters/store/file-audit-lock.js';
import { EVENTS_FILE, FileAuditStore } from '../../../src/adapters/store/file-audit-store.js';
import { appendAll, assertLog, auditRecord, auditStoreConformance, checkpoint, collect, leafHashOf, rejectsWithCode, ZERO_HASH } from '../../support/audit-store-conformance.js';
import { damageBytes, deleteEvent, editEvent, localFindings, recordSpans, rewriteFrom, smashFrame, swapEvents, truncate } from '../../support/audit-tamper.js';
import { tempDirs } from '../../support/temp-dirs.js';

const newDir = tempDirs('custos-audit-');

auditStoreConformance('file', async () => {
  const dir = await newDir();
  let store = await FileAuditStore.open({ dir });
  return {
    get store() {
      return store;
    },
    reopen: async () => {
      await store.close();
      store = await FileAuditStore.open({ dir });
      return store;
    },
    close: () => store.close(),
  };
});

/** Opens `dir`, runs `body`, closes. */
async function withStore<T>(dir: string, body: (store: FileAuditStore) => Promise<T>): Promise<T> {
  const store = await FileAuditStore.open({ dir });
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

const logFile = (dir: string): string => join(dir, EVENTS_FILE);

/** Bytes of `records` encoded as one write, as the store would append them after `first` events. */
function encodedWrite(records: ReturnType<typeof auditRecord>[], first: number, previous: Buffer): Buffer {
  const total = records.reduce((n, r) => n + encodedLength(r), 0);
  const out = Buffer.alloc(total);
  let at = 0;
  records.forEach((r, k) => {
    at = encodeRecord(out, at, r, { index: first + k, previousLeafHash: k === 0 ? previous : records[k - 1]!.leafHash, batchOffset: at, batchLength: total });
  });
  return out;
}

/** The log's written size: the file minus the zeroed space the store allocates ahead. */
async function writtenSize(dir: string): Promise<number> {
  return writtenEndOf(await readFile(logFile(dir)));
}

/** What a crash mid-write leaves: bytes landed right after the log, in the space allocated ahead. */
async function landAfterLog(dir: string, bytes: Buffer): Promise<void> {
  const at = await writtenSize(dir);
  const handle = await open(logFile(dir), 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, at);
  } finally {
    await handle.close();
  }
}

describe('FileAuditStore recovery', () => {
  it('cuts off a torn last record, keeps it aside, and appends after it', async () => {
    const dir = await newDir();
    const records = Array.from({ length: 5 }, () => auditRecord());
    await withStore(dir, (store) => appendAll(store, records, 2));
    const whole = await writtenSize(dir);
    const torn = encodedWrite([auditRecord(), auditRecord()], 5, records[4]!.leafHash);
    await landAfterLog(dir, torn.subarray(0, Math.floor(torn.length * 0.7)));

    const more = [auditRecord()];
    await withStore(dir, async (store) => {
      assert.equal(store.recovery.tornTail?.offset, whole);
      assert.deepEqual(await readFile(store.recovery.tornTail!.savedAs!), torn.subarray(0, Math.floor(torn.length * 0.7)));
      assert.deepEqual(store.recovery.damage, []);
      assert.equal((await stat(logFile(dir))).size, whole);
      await assertLog(store, records);
      await appendAll(store, more);
    });
    await withStore(dir, async (store) => {
      assert.equal(store.recovery.tornTail, null);
      await assertLog(store, [...records, ...more]);
    });
  });

  it('drops an unfinished last write whole, even when some of its records landed', async () => {
    const dir = await newDir();
    const records = Array.from({ length: 3 }, () => auditRecord());
    await withStore(dir, (store) => appendAll(store, records));
    const last = encodedWrite([auditRecord(), auditRecord(), auditRecord()], 3, records[2]!.leafHash);
    const hole = encodedLength(auditRecord()); // the middle record's pages never reached the disk
    last.fill(0, Math.floor(last.length / 3), Math.floor(last.length / 3) + Math.min(hole, 100));
    await landAfterLog(dir, last);
    await withStore(dir, async (store) => {
      assert.ok(store.recovery.tornTail);
      assert.deepEqual(store.recovery.damage, []);
      await assertLog(store, records);
    });
  });

  it('cuts off zeros a crash left after the last write', async () => {
    const dir = await newDir();
    const records = [auditRecord(), auditRecord()];
    await withStore(dir, (store) => appendAll(store, records));
    await appendFile(logFile(dir), Buffer.alloc(4096));
    await withStore(dir, (store) => assertLog(store, records));
  });

  it('serves a damaged record in the middle as stored, and reports it', async () => {
    const dir = await newDir();
    const records = Array.from({ length: 6 }, () => auditRecord());
    await withStore(dir, (store) => appendAll(store, records, 2));
    await damageBytes(dir, 2);
    await withStore(dir, async (store) => {
      assert.deepEqual(store.recovery.damage.map((d) => [d.kind, d.position]), [['checksum', 2]]);
      assert.equal(await store.size(), 6);
      const events = await collect(store.scan(0, 6));
      assert.ok(!events[2]!.canonical.equals(records[2]!.canonical), 'the damaged bytes are what is served');
      assert.deepEqual(localFindings(events), ['leaf 2']);
    });
  });

  it('skips a record that cannot be framed, keeps everything after it, and the gap shows', async () => {
    const dir = await newDir();
    const records = Array.from({ length: 6 }, () => auditRecord());
    await withStore(dir, (store) => appendAll(store, records, 2));
    await smashFrame(dir, 1);
    const more = [auditRecord()];
    await withStore(dir, async (store) => {
      assert.deepEqual(store.recovery.damage.map((d) => [d.kind, d.position]), [['unreadable', 1]]);
      assert.equal(store.recovery.tornTail, null);
      assert.equal(await store.size(), 5);
      const events = await collect(store.scan(0, 5));
      assert.deepEqual(events.map((e) => e.facts.eventId), [0, 2, 3, 4, 5].map((i) => records[i]!.facts.eventId));
      assert.deepEqual(localFindings(events), ['index 1: claims 2', 'link 1', 'index 2: claims 3', 'index 3: claims 4', 'index 4: claims 5']);
      await store.append(more);
      assert.deepEqual((await store.sequence(10)).map((l) => l.index), [5], 'numbering follows the positions the Merkle tree uses');
    });
  });
});

describe('FileAuditStore read-only', () => {
  it('reads beside a live writer without the lock, writes nothing, and cuts nothing off', async () => {
    const dir = await newDir();
    const records = [auditRecord(), auditRecord(), auditRecord()];
    await withStore(dir, async (writer) => {
      await appendAll(writer, records);
      const reader = await FileAuditStore.open({ dir, readOnly: true });
      try {
        await assertLog(reader, records);
        assert.equal(await reader.acquireSequencer(), false);
        await rejectsWithCode(reader.append([auditRecord()]), 'UNAVAILABLE');
        await rejectsWithCode(reader.recordCheckpoint(checkpoint(1)), 'UNAVAILABLE');
      } finally {
        await reader.close();
      }
    });
    await landAfterLog(dir, Buffer.alloc(100, 7));
    const size = (await stat(logFile(dir))).size;
    const reader = await FileAuditStore.open({ dir, readOnly: true });
    try {
      assert.equal(reader.recovery.tornTail?.savedAs, null);
      await assertLog(reader, records);
      assert.equal((await stat(logFile(dir))).size, size);
    } finally {
      await reader.close();
    }
    await rejectsWithCode(FileAuditStore.open({ dir: join(dir, 'nothing-here'), readOnly: true }), 'CONFIG_INVALID');
  });
});

describe('FileAuditStore lock', () => {
  const writeLock = (dir: string, content: object): Promise<void> => writeFile(join(dir, 'LOCK'), JSON.stringify(content));

  it('refuses a directory another store in this process holds (CONFLICT)', async () => {
    const dir = await newDir();
    await withStore(dir, async () => {
      await rejectsWithCode(FileAuditStore.open({ dir }), 'CONFLICT');
    });
    await withStore(dir, async () => undefined); // released on close
  });

  it('refuses a lock held by a live process, naming its pid', async () => {
    const dir = await newDir();
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await writeLock(dir, { pid: child.pid, host: hostname(), start: processStart(child.pid!) });
      await assert.rejects(FileAuditStore.open({ dir }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CONFLICT');
        assert.match(error.message, new RegExp(`pid ${child.pid}\\b`));
        return true;
      });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('takes over a lock left by a dead process, or by a reused pid', async () => {
    const dir = await newDir();
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await once(child, 'exit');
    await writeLock(dir, { pid: child.pid, host: hostname(), start: '1' });
    await withStore(dir, async () => {
      assert.equal(JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8')).pid, process.pid);
    });
    await writeLock(dir, { pid: process.ppid, host: hostname(), start: 'not-its-start-time' });
    await withStore(dir, async () => undefined);
    await writeFile(join(dir, 'LOCK'), ''); // a crash while writing the lock itself
    await withStore(dir, async () => undefined);
  });
});

describe('FileAuditStore under SIGKILL', () => {
  const storeUrl = pathToFileURL(join(import.meta.dirname, '../../../src/adapters/store/file-audit-store.js')).href;
  /** A child appending from four loops at once, printing each event's number once its append resolved. */
  const child = `
    import { createHash, randomUUID } from 'node:crypto';
    const { FileAuditStore } = await import(${JSON.stringify(storeUrl)});
    const store = await FileAuditStore.open({ dir: process.env.AUDIT_DIR });
    let n = Number(process.env.FIRST);
    const record = () => {
      const canonical = Buffer.from(JSON.stringify({ n: n++, pad: 'p'.repeat(Math.floor(Math.random() * 3000)) }));
      const leafHash = createHash('sha256').update(Buffer.of(0)).update(canonical).digest();
      return { canonical, leafHash, facts: { eventId: randomUUID(), requestId: 'r', recorded: Date.now(), patients: ['Patient/1'], actor: null, clientId: null, outcome: 0, breakGlass: false } };
    };
    const loop = async () => {
      for (;;) {
        const batch = Array.from({ length: 1 + Math.floor(Math.random() * 60) }, record);
        await store.append(batch);
        process.stdout.write(batch.map((r) => JSON.parse(r.canonical).n).join('\\n') + '\\n');
      }
    };
    await Promise.all([loop(), loop(), loop(), loop()]);
  `;

  it('loses no event whose append had resolved', async () => {
    const dir = await newDir();
    const acknowledged = new Set<number>();
    for (let round = 0; round < 6; round++) {
      const proc = spawn(process.execPath, ['--input-type=module', '-e', child], {
        env: { ...process.env, AUDIT_DIR: dir, FIRST: String(round * 1_000_000) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let pending = '';
      let acks = 0;
      const want = 50 + Math.floor(Math.random() * 400);
      await new Promise<void>((resolve) => {
        proc.stdout.on('data', (chunk: Buffer) => {
          const lines = (pending + chunk.toString()).split('\n');
          pending = lines.pop()!;
          for (const line of lines) acknowledged.add(Number(line));
          acks += lines.length;
          if (acks >= want) resolve();
        });
        proc.on('exit', () => resolve());
      });
      proc.kill('SIGKILL');
      await once(proc, 'close');
      assert.equal(proc.signalCode, 'SIGKILL', 'the child was killed, not crashed');
    }
    await withStore(dir, async (store) => {
      const events = await collect(store.scan(0, await store.size()));
      assert.deepEqual(localFindings(events), [], 'dense, hashed and linked after every kill');
      const stored = new Set(events.map((e) => (JSON.parse(e.canonical.toString()) as { n: number }).n));
      const lost = [...acknowledged].filter((n) => !stored.has(n));
      assert.deepEqual(lost, [], `${lost.length} acknowledged events lost`);
    });
  });
});

describe('FileAuditStore under tampering (audit-tamper.ts)', () => {
  /** A log of 8 events in a fresh directory, and their leaf hashes. */
  async function tamperable(): Promise<{ dir: string; hashes: string[] }> {
    const dir = await newDir();
    const records = Array.from({ length: 8 }, (_, i) => auditRecord({}, Buffer.from(`{"n":${i},"patient":"Patient/1"}`)));
    await withStore(dir, (store) => appendAll(store, records, 3));
    return { dir, hashes: records.map((r) => r.leafHash.toString('hex')) };
  }
  const served = (dir: string) => withStore(dir, async (store) => collect(store.scan(0, await store.size())));

  it('editEvent: without fixing the hash, the leaf is wrong; with it, the next link is', async () => {
    const { dir } = await tamperable();
    await editEvent(dir, 3, (c) => c.replace('Patient/1', 'Patient/2'), { fixLeafHash: false });
    let events = await served(dir);
    assert.equal(events[3]!.canonical.toString(), '{"n":3,"patient":"Patient/2"}');
    assert.deepEqual(localFindings(events), ['leaf 3']);
    await editEvent(dir, 3, (c) => c, { fixLeafHash: true });
    events = await served(dir);
    assert.ok(events[3]!.leafHash.equals(leafHashOf(events[3]!.canonical)));
    assert.deepEqual(localFindings(events), ['link 4']);
  });

  it('deleteEvent and swapEvents break the indices and links', async () => {
    const { dir } = await tamperable();
    await deleteEvent(dir, 7);
    assert.equal((await served(dir)).length, 7, 'a deleted last event leaves a clean, shorter log');
    await deleteEvent(dir, 2);
    let events = await served(dir);
    assert.equal(events.length, 6);
    assert.deepEqual(localFindings(events).slice(0, 2), ['index 2: claims 3', 'link 2']);
    await swapEvents(dir, 0, 4);
    events = await served(dir);
    assert.deepEqual(events.map((e) => e.index), [5, 1, 3, 4, 0, 6]);
    assert.ok(localFindings(events).includes('link 0'));
  });

  it('truncate and rewriteFrom leave a log that verifies locally: only the anchored root can tell', async () => {
    const { dir, hashes } = await tamperable();
    await truncate(dir, 5);
    let events = await served(dir);
    assert.equal(events.length, 5);
    assert.deepEqual(localFindings(events), []);
    await rewriteFrom(dir, 2, (c) => c.replace('Patient/1', 'Patient/9'));
    events = await served(dir);
    assert.deepEqual(localFindings(events), []);
    assert.deepEqual(events.map((e) => e.leafHash.toString('hex') === hashes[e.index]), [true, true, false, true, true]);
    assert.ok(events[3]!.previousLeafHash.equals(events[2]!.leafHash));
    assert.ok(events[0]!.previousLeafHash.equals(ZERO_HASH));
  });

  it('serves a tampered file as it is on disk after a truncation by bytes (a clumsy attacker)', async () => {
    const { dir } = await tamperable();
    const spans = await recordSpans(dir);
    await truncateFile(logFile(dir), spans[5]!.offset + 10); // mid-record: seen as a torn tail
    const events = await served(dir);
    assert.ok(events.length <= 5, 'records of the cut write are set aside, never invented');
    assert.deepEqual(localFindings(events), []);
  });
});
