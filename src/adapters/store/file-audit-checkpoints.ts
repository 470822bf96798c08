/**
 * The embedded store's anchored checkpoints: a small JSON file (`checkpoints.json`) replaced
 * atomically on every change (write a temporary file, fsync it, rename it over, fsync the
 * directory), so a crash leaves either the old list or the new one, never half of either.
 * The list is small (one entry per anchoring interval) and kept in memory.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { CustosError } from '../../errors.js';
import type { CheckpointQuery, CheckpointRecord } from '../../audit/store.js';
import { selectCheckpoints } from '../../audit/store-queries.js';

export const CHECKPOINTS_FILE = 'checkpoints.json';

interface CheckpointsDocument {
  readonly version: 1;
  readonly checkpoints: CheckpointRecord[];
}

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

  private constructor(
    private readonly dir: string,
    private list: CheckpointRecord[],
  ) {}

  /** Loads `checkpoints.json` from `dir` (none yet: an empty list). */
  static async load(dir: string): Promise<CheckpointFile> {
    const file = join(dir, CHECKPOINTS_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new CheckpointFile(dir, []);
      throw new CustosError('UNAVAILABLE', `the audit checkpoints file ${file} cannot be read; check its permissions`, undefined, { cause: error });
    }
    try {
      const doc = JSON.parse(text) as CheckpointsDocument;
      if (doc.version !== 1 || !Array.isArray(doc.checkpoints)) throw new Error('unexpected shape');
      return new CheckpointFile(dir, [...doc.checkpoints].sort((a, b) => a.treeSize - b.treeSize));
    } catch {
      throw new CustosError('CONFIG_INVALID', `the audit checkpoints file ${file} is not a checkpoint list written by Custos; restore it from a backup (the checkpoints are also on chain)`);
    }
  }

  all(): CheckpointRecord[] {
    return this.list.map((c) => ({ ...c }));
  }

  where(query: CheckpointQuery): CheckpointRecord[] {
    return selectCheckpoints(this.list, query);
  }

  /** Adds `checkpoint`, replacing one of the same tree size. */
  record(checkpoint: CheckpointRecord): Promise<void> {
    return this.change((list) => [...list.filter((c) => c.treeSize !== checkpoint.treeSize), { ...checkpoint }].sort((a, b) => a.treeSize - b.treeSize));
  }

  drop(treeSize: number): Promise<void> {
    return this.change((list) => list.filter((c) => c.treeSize !== treeSize));
  }

  /** Applies changes one at a time; memory changes only once the file is durable. */
  private change(update: (list: CheckpointRecord[]) => CheckpointRecord[]): Promise<void> {
    const run = this.chain.then(async () => {
      const next = update(this.list);
      await this.write(next);
      this.list = next;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async write(list: CheckpointRecord[]): Promise<void> {
    const file = join(this.dir, CHECKPOINTS_FILE);
    const temporary = `${file}.tmp-${process.pid}`;
    try {
      const handle = await open(temporary, 'w', 0o600);
      try {
        await handle.writeFile(JSON.stringify({ version: 1, checkpoints: list } satisfies CheckpointsDocument, null, 1) + '\n');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, file);
      await syncDirectory(this.dir);
    } catch (error) {
      throw new CustosError('UNAVAILABLE', `the audit checkpoints file ${file} could not be written (${(error as NodeJS.ErrnoException).code ?? 'I/O error'}); check free space and permissions`, undefined, { cause: error });
    }
  }
}
