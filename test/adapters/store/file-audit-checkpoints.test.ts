/**
 * The embedded store's checkpoint journal on a real file system: one line per anchor (never the
 * whole list rewritten), a crash mid-append loses only that unacknowledged line, a damaged line is
 * refused with a message saying what to do, a journal of superseded changes is compacted, and logs
 * that kept the older single-document file are migrated without losing a checkpoint.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CHECKPOINTS_JOURNAL, CheckpointFile, LEGACY_CHECKPOINTS_FILE } from '../../../src/adapters/store/file-audit-checkpoints.js';
import { FileAuditStore } from '../../../src/adapters/store/file-audit-store.js';
import { checkpoint } from '../../support/audit-store-conformance.js';
import { custosRejection, rejectsWithCode } from '../../support/custos-rejection.js';
import { tempDirs } from '../../support/temp-dirs.js';

const newDir = tempDirs('custos-checkpoints-');

const journalOf = (dir: string) => join(dir, CHECKPOINTS_JOURNAL);
const sizes = (file: CheckpointFile) => file.all().map((c) => c.treeSize);

describe('checkpoint journal (embedded store)', () => {
  it('appends one line per anchor: the file grows by the new checkpoint only, and a reload sees every one', async () => {
    const dir = await newDir();
    const file = await CheckpointFile.load(dir);
    await file.record(checkpoint(10));
    const one = (await stat(journalOf(dir))).size;
    for (let size = 20; size <= 200; size += 10) await file.record(checkpoint(size));
    const twenty = (await stat(journalOf(dir))).size;
    // 20 appends of ~equal lines: ~20 × one line, where rewriting the list each time would have
    // written 1 + 2 + … + 20 lines in all and left the same file; the lines are what is there.
    assert.ok(twenty < one * 21 && twenty > one * 19, `${twenty} bytes for 20 checkpoints of ${one}`);
    assert.equal((await readFile(journalOf(dir), 'utf8')).trimEnd().split('\n').length, 20);
    assert.deepEqual(sizes(await CheckpointFile.load(dir)), Array.from({ length: 20 }, (_, i) => 10 * (i + 1)));
  });

  it('replaces a checkpoint of the same tree size and drops one, across a reload, keeping tree-size order', async () => {
    const dir = await newDir();
    const file = await CheckpointFile.load(dir);
    await file.record(checkpoint(30));
    await file.record(checkpoint(10));
    await file.record(checkpoint(20));
    const replacement = checkpoint(20, { blockNumber: 999 });
    await file.record(replacement);
    await file.drop(30);
    for (const view of [file, await CheckpointFile.load(dir)]) {
      assert.deepEqual(sizes(view), [10, 20]);
      assert.equal(view.all()[1]!.blockNumber, 999);
      assert.equal(view.all()[1]!.transactionHash, replacement.transactionHash);
      assert.deepEqual(view.where({ minTreeSize: 15, limit: 5 }).map((c) => c.treeSize), [20]);
    }
  });

  it('a crash mid-append loses only that line (never acknowledged): it is ignored, cut off, and the next append is whole', async () => {
    const dir = await newDir();
    const file = await CheckpointFile.load(dir);
    await file.record(checkpoint(1));
    await file.record(checkpoint(2));
    const torn = JSON.stringify({ record: checkpoint(3) });
    await appendFile(journalOf(dir), torn.slice(0, 40)); // the process died inside write(2)
    const readOnly = await CheckpointFile.load(dir, true);
    assert.deepEqual(sizes(readOnly), [1, 2]);
    assert.ok((await readFile(journalOf(dir), 'utf8')).endsWith(torn.slice(0, 40)), 'a read-only open writes nothing');
    const reopened = await CheckpointFile.load(dir);
    assert.deepEqual(sizes(reopened), [1, 2]);
    await reopened.record(checkpoint(4));
    assert.deepEqual(sizes(await CheckpointFile.load(dir)), [1, 2, 4]);
    assert.ok((await readFile(journalOf(dir), 'utf8')).split('\n').filter(Boolean).every((line) => JSON.parse(line)));
  });

  it('refuses a damaged line with what to do, rather than anchoring on a list it misread', async () => {
    const dir = await newDir();
    const file = await CheckpointFile.load(dir);
    await file.record(checkpoint(1));
    await appendFile(journalOf(dir), '{"record":{"treeSize":"two"}}\n');
    await file.record(checkpoint(3));
    const refused = await custosRejection(CheckpointFile.load(dir));
    assert.equal(refused.code, 'CONFIG_INVALID');
    assert.match(refused.message, /line 2 .*restore the file from a backup/);
    await rejectsWithCode(CheckpointFile.load(dir, true), 'CONFIG_INVALID');
  });

  it('compacts a journal of mostly superseded changes at start (atomically), keeping the same list', async () => {
    const dir = await newDir();
    const file = await CheckpointFile.load(dir);
    for (let round = 0; round < 30; round++) {
      await file.record(checkpoint(1, { blockNumber: round }));
      await file.record(checkpoint(2));
      await file.drop(2);
    }
    const before = (await readFile(journalOf(dir), 'utf8')).trimEnd().split('\n').length;
    assert.equal(before, 90);
    const reopened = await CheckpointFile.load(dir);
    assert.deepEqual(sizes(reopened), [1]);
    assert.equal(reopened.all()[0]!.blockNumber, 29);
    assert.equal((await readFile(journalOf(dir), 'utf8')).trimEnd().split('\n').length, 1);
    assert.deepEqual((await readdir(dir)).sort(), [CHECKPOINTS_JOURNAL], 'no temporary file left');
  });

  it('migrates the older single-document file through the store: every checkpoint kept, the old file removed', async () => {
    const dir = await newDir();
    const old = [checkpoint(5), checkpoint(15)];
    await writeFile(join(dir, LEGACY_CHECKPOINTS_FILE), JSON.stringify({ version: 1, checkpoints: [old[1], old[0]] }));
    assert.deepEqual(sizes(await CheckpointFile.load(dir, true)), [5, 15], 'a read-only open (the verifier) reads the old file');
    assert.ok((await readdir(dir)).includes(LEGACY_CHECKPOINTS_FILE), 'and leaves it');
    const store = await FileAuditStore.open({ dir });
    try {
      assert.deepEqual(await store.checkpoints(), old);
      await store.recordCheckpoint(checkpoint(25));
    } finally {
      await store.close();
    }
    assert.ok(!(await readdir(dir)).includes(LEGACY_CHECKPOINTS_FILE));
    const again = await FileAuditStore.open({ dir });
    try {
      assert.deepEqual((await again.checkpoints()).map((c) => c.treeSize), [5, 15, 25]);
    } finally {
      await again.close();
    }
  });

  it('a failed append (the file size limit hit mid-line) is cut off again: no fragment stays, later appends and restarts work', async () => {
    const dir = await newDir();
    const module = new URL('../../../src/adapters/store/file-audit-checkpoints.js', import.meta.url).href;
    const support = new URL('../../support/audit-store-conformance.js', import.meta.url).href;
    // A child with RLIMIT_FSIZE of 2 KiB (ulimit counts 1 KiB blocks here): ~4 lines fit, the 5th or 6th is cut short.
    const script = `
      const { CheckpointFile } = await import(${JSON.stringify(module)});
      const { checkpoint } = await import(${JSON.stringify(support)});
      const file = await CheckpointFile.load(process.argv[1]);
      const acknowledged = [];
      let refusal = null;
      for (let size = 1; size <= 12; size++) {
        try { await file.record(checkpoint(size)); acknowledged.push(size); } catch (error) { refusal = { code: error.code, message: error.message }; break; }
      }
      console.log(JSON.stringify({ acknowledged, refusal, inMemory: file.all().map((c) => c.treeSize) }));`;
    const { stdout } = await promisify(execFile)('bash', ['-c', 'ulimit -f 2 && exec "$0" --input-type=module -e "$1" "$2"', process.execPath, script, dir]);
    const child = JSON.parse(stdout) as { acknowledged: number[]; refusal: { code: string; message: string } | null; inMemory: number[] };
    assert.ok(child.refusal, 'the limit was hit');
    assert.equal(child.refusal.code, 'UNAVAILABLE');
    assert.match(child.refusal.message, /could not be written \(EFBIG|check free space/);
    assert.deepEqual(child.inMemory, child.acknowledged, 'memory holds only what was written whole');
    const text = await readFile(journalOf(dir), 'utf8');
    assert.ok(text.endsWith('\n'), 'no fragment of the failed line is left');
    const reopened = await CheckpointFile.load(dir);
    assert.deepEqual(sizes(reopened), child.acknowledged, 'every acknowledged checkpoint, nothing else');
    await reopened.record(checkpoint(100));
    assert.deepEqual(sizes(await CheckpointFile.load(dir)), [...child.acknowledged, 100]);
  });

  it('a writable start removes a legacy file left beside a complete journal (a migration cut short after its rename)', async () => {
    const dir = await newDir();
    const file = await CheckpointFile.load(dir);
    await file.record(checkpoint(7));
    await writeFile(join(dir, LEGACY_CHECKPOINTS_FILE), JSON.stringify({ version: 1, checkpoints: [checkpoint(7)] }));
    assert.deepEqual(sizes(await CheckpointFile.load(dir, true)), [7], 'the journal wins');
    assert.ok((await readdir(dir)).includes(LEGACY_CHECKPOINTS_FILE), 'a read-only open removes nothing');
    assert.deepEqual(sizes(await CheckpointFile.load(dir)), [7]);
    assert.ok(!(await readdir(dir)).includes(LEGACY_CHECKPOINTS_FILE));
  });

  it('closing the store waits for a checkpoint still being written', async () => {
    const dir = await newDir();
    const store = await FileAuditStore.open({ dir });
    const recording = store.recordCheckpoint(checkpoint(3));
    await store.close();
    await recording;
    assert.deepEqual(sizes(await CheckpointFile.load(dir, true)), [3]);
  });

  it('refuses a legacy file that is not a checkpoint list', async () => {
    const dir = await newDir();
    await writeFile(join(dir, LEGACY_CHECKPOINTS_FILE), '{"version":1,"checkpoints":[{"treeSize":1}]}');
    const refused = await custosRejection(CheckpointFile.load(dir));
    assert.equal(refused.code, 'CONFIG_INVALID');
    assert.match(refused.message, /not a checkpoint list written by Custos/);
  });
});
