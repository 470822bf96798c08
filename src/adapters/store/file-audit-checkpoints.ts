/**
 * The embedded store's anchored checkpoints: an append-only journal (`checkpoints.jsonl`), one line
 * per change (`{"record":{…}}` or `{"drop":treeSize}`), each synced before the change counts. One
 * checkpoint is added per anchoring interval for the life of the log (every 5 s by default), so the
 * file is never rewritten per anchor: a torn last line (a crash mid-append, never acknowledged) is
 * ignored and cut off; the journal is compacted atomically at start once it holds more changes than
 * checkpoints. The list is kept in memory, sorted by tree size.
 *
 * Logs written before the journal kept `checkpoints.json` (one document replaced on every change);
 * it is read, turned into the journal at the first start that may write, and removed.
 */
import { open, readFile, rename, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CustosError } from '../../errors.js';
import type { CheckpointQuery, CheckpointRecord } from '../../audit/store.js';
import { selectCheckpoints } from '../../audit/store-queries.js';

export const CHECKPOINTS_JOURNAL = 'checkpoints.jsonl';
/** The list as one document, as logs kept it before the journal (read, migrated, removed). */
export const LEGACY_CHECKPOINTS_FILE = 'checkpoints.json';

type JournalLine = { readonly record: CheckpointRecord } | { readonly drop: number };

/** Fsyncs a directory so a rename or a new file in it survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class CheckpointFile {
  private chain: Promise<void> = Promise.resolve();
  /** Set when a failed append could not be cut off again: the journal's end is unknown. */
  private broken: unknown;

  private readonly journal: string;

  private constructor(
    private readonly dir: string,
    private readonly list: CheckpointRecord[],
  ) {
    this.journal = join(dir, CHECKPOINTS_JOURNAL);
  }

  /**
   * Loads the checkpoints kept in `dir` (none yet: an empty list). Unless `readOnly`, also cuts a
   * torn last line, compacts a journal of mostly superseded changes and migrates the legacy file.
   */
  static async load(dir: string, readOnly = false): Promise<CheckpointFile> {
    const journal = join(dir, CHECKPOINTS_JOURNAL);
    const legacyPath = join(dir, LEGACY_CHECKPOINTS_FILE);
    let text = await readIfExists(journal);
    const legacy = text === undefined ? await readIfExists(legacyPath) : undefined;
    // A verifier reading beside a writer that migrated the legacy file in between: the journal is there now.
    if (text === undefined && legacy === undefined) text = await readIfExists(journal);
    if (text !== undefined) {
      const { list, changes, completeBytes } = replay(text, journal);
      const file = new CheckpointFile(dir, list);
      if (readOnly) return file;
      if (completeBytes < Buffer.byteLength(text)) await file.guard(() => truncate(journal, completeBytes));
      if (changes > 2 * list.length + 16) await file.guard(() => file.rewrite(list));
      // A legacy file beside a complete journal: a migration cut short after the rename. The journal holds it all.
      await file.guard(() => unlinkIfExists(legacyPath, dir));
      return file;
    }
    if (legacy === undefined) return new CheckpointFile(dir, []);
    const file = new CheckpointFile(dir, parseLegacy(legacy, legacyPath));
    if (!readOnly) {
      await file.guard(async () => {
        await file.rewrite(file.list); // the journal is complete (renamed into place) before the old file goes
        await unlinkIfExists(legacyPath, dir);
      });
    }
    return file;
  }

  /** Resolves once every change asked for so far has been written or has failed (before closing). */
  settled(): Promise<void> {
    return this.chain;
  }

  all(): CheckpointRecord[] {
    return this.list.map((c) => ({ ...c }));
  }

  where(query: CheckpointQuery): CheckpointRecord[] {
    return selectCheckpoints(this.list, query);
  }

  /** Adds `checkpoint`, replacing one of the same tree size. */
  record(checkpoint: CheckpointRecord): Promise<void> {
    const copy = { ...checkpoint };
    return this.change({ record: copy }, (list) => {
      // Anchoring adds the largest tree size almost always: look from the end.
      let at = list.length;
      while (at > 0 && list[at - 1]!.treeSize > copy.treeSize) at--;
      if (at > 0 && list[at - 1]!.treeSize === copy.treeSize) list[at - 1] = copy;
      else list.splice(at, 0, copy);
    });
  }

  drop(treeSize: number): Promise<void> {
    return this.change({ drop: treeSize }, (list) => {
      const at = list.findIndex((c) => c.treeSize === treeSize);
      if (at >= 0) list.splice(at, 1);
    });
  }

  /**
   * Applies changes one at a time; memory changes only once the line is durable. (The list is
   * changed in place: readers get copies, and nothing else runs between the write and the change.)
   */
  private change(line: JournalLine, update: (list: CheckpointRecord[]) => void): Promise<void> {
    const run = this.chain.then(async () => {
      await this.guard(() => this.append(line));
      update(this.list);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Appends one line and syncs it. A failed append (disk full, I/O error, a short write) is cut off
   * again before anything else is written, so a later line never follows a fragment; if even that
   * fails, the journal refuses every further change (its end is unknown) until the store is reopened.
   */
  private async append(line: JournalLine): Promise<void> {
    const file = this.journal;
    if (this.broken) throw new CustosError('UNAVAILABLE', `the audit checkpoints journal ${file} is in an unknown state after a failed write; restart the gateway once the disk is fixed (the checkpoints are also on chain)`);
    const bytes = Buffer.from(JSON.stringify(line) + '\n');
    const handle = await open(file, 'a', 0o600);
    let before = -1;
    try {
      before = (await handle.stat()).size;
      for (let written = 0; written < bytes.length; ) written += (await handle.write(bytes, written)).bytesWritten;
      await handle.datasync();
    } catch (error) {
      if (before >= 0) {
        try {
          await handle.truncate(before);
          await handle.datasync();
        } catch {
          this.broken = error;
        }
      }
      throw error;
    } finally {
      await handle.close();
    }
    if (before === 0) await syncDirectory(this.dir);
  }

  /** Replaces the journal with one `record` line per checkpoint, atomically (temporary file, rename). */
  private async rewrite(list: readonly CheckpointRecord[]): Promise<void> {
    const file = this.journal;
    const temporary = `${file}.tmp-${process.pid}`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(list.map((c) => JSON.stringify({ record: c } satisfies JournalLine) + '\n').join(''));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
    await syncDirectory(this.dir);
  }

  private async guard(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (error instanceof CustosError) throw error;
      throw new CustosError('UNAVAILABLE', `the audit checkpoints journal ${this.journal} could not be written (${(error as NodeJS.ErrnoException).code ?? 'I/O error'}); check free space and permissions`, undefined, { cause: error });
    }
  }
}

async function unlinkIfExists(file: string, dir: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await syncDirectory(dir);
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CustosError('UNAVAILABLE', `the audit checkpoints file ${file} cannot be read; check its permissions`, undefined, { cause: error });
  }
}

/** The list the journal's complete lines leave, how many changes that took, and where the complete lines end. */
function replay(text: string, file: string): { list: CheckpointRecord[]; changes: number; completeBytes: number } {
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  const byTreeSize = new Map<number, CheckpointRecord>();
  let changes = 0;
  for (const [n, line] of complete.split('\n').entries()) {
    if (line === '') continue;
    const change = parseLine(line);
    if (!change) throw new CustosError('CONFIG_INVALID', `line ${n + 1} of the audit checkpoints journal ${file} is not a checkpoint change written by Custos; restore the file from a backup (the checkpoints are also on chain)`);
    if ('record' in change) byTreeSize.set(change.record.treeSize, change.record);
    else byTreeSize.delete(change.drop);
    changes++;
  }
  return { list: [...byTreeSize.values()].sort((a, b) => a.treeSize - b.treeSize), changes, completeBytes: Buffer.byteLength(complete) };
}

function parseLine(line: string): JournalLine | undefined {
  try {
    const value = JSON.parse(line) as Record<string, unknown>;
    if (isCheckpoint(value['record'])) return { record: value['record'] };
    if (Number.isSafeInteger(value['drop'])) return { drop: value['drop'] as number };
  } catch {
    // not JSON: refused below
  }
  return undefined;
}

function parseLegacy(text: string, file: string): CheckpointRecord[] {
  try {
    const doc = JSON.parse(text) as { version?: unknown; checkpoints?: unknown };
    if (doc.version !== 1 || !Array.isArray(doc.checkpoints) || !doc.checkpoints.every(isCheckpoint)) throw new Error('unexpected shape');
    return [...(doc.checkpoints as CheckpointRecord[])].sort((a, b) => a.treeSize - b.treeSize);
  } catch {
    throw new CustosError('CONFIG_INVALID', `the audit checkpoints file ${file} is not a checkpoint list written by Custos; restore it from a backup (the checkpoints are also on chain)`);
  }
}

function isCheckpoint(value: unknown): value is CheckpointRecord {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return Number.isSafeInteger(c['treeSize']) && typeof c['root'] === 'string' && typeof c['transactionHash'] === 'string' && Number.isSafeInteger(c['blockNumber']);
}
