/**
 * One process at a time per embedded audit directory: the store is the log's only writer and
 * assigns leaf indices at append time, so a second writer would fork the log.
 *
 * The lock is a file (`LOCK`) created with O_EXCL holding `{ pid, host, start }`. A lock whose
 * process is gone (crash, SIGKILL, power loss) is stale and taken over; `start` (the process start
 * time from /proc on Linux) tells a reused pid from the process that wrote the lock, which matters
 * in containers where the gateway is pid 1 on every start. Takeover renames the stale file aside
 * first and re-reads what it moved, so two processes taking over at once cannot both win.
 */
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CustosError } from '../../errors.js';

export const LOCK_FILE = 'LOCK';

interface LockContent {
  readonly pid: number;
  readonly host: string;
  readonly start: string | null;
}

/** Directories this process holds, so a second open in the same process is refused too. */
const held = new Set<string>();

/** The start time of `pid` as the kernel reports it (Linux), or null where that is not known. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime) counted after the parenthesised command name, which may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(owner: LockContent): boolean {
  if (owner.host !== hostname()) return true; // cannot tell from here: a shared disk, say
  if (owner.pid === process.pid) return false; // not in `held` (checked first): a previous life of this pid
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const start = processStart(owner.pid);
  return owner.start === null || start === null || start === owner.start;
}

function parse(text: string): LockContent | null {
  try {
    const value = JSON.parse(text) as Partial<LockContent>;
    if (typeof value.pid !== 'number' || !Number.isInteger(value.pid) || value.pid <= 0) return null;
    return { pid: value.pid, host: typeof value.host === 'string' ? value.host : hostname(), start: typeof value.start === 'string' ? value.start : null };
  } catch {
    return null;
  }
}

/** A held directory lock; `release` removes it. */
export interface DirectoryLock {
  release(): Promise<void>;
}

/**
 * Takes the lock of `dir`, or throws CONFLICT naming the live process holding it.
 * A lock file that is empty or unreadable (left by an older version) counts as stale.
 */
export async function acquireDirectoryLock(dir: string): Promise<DirectoryLock> {
  const file = join(dir, LOCK_FILE);
  if (held.has(file)) throw conflict(dir, process.pid, hostname(), 'this process');
  const content = JSON.stringify({ pid: process.pid, host: hostname(), start: processStart(process.pid) } satisfies LockContent) + '\n';
  for (let attempt = 0; attempt < 5; attempt++) {
    // The lock appears whole or not at all: written to a private file, then linked into place
    // (link fails with EEXIST if a lock exists). Created in place, it would be empty for a moment,
    // and a second gateway starting just then would judge it stale and take it too.
    const temp = `${file}.${process.pid}-${attempt}-${Date.now()}`;
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await link(temp, file);
      await unlink(temp).catch(() => undefined);
      held.add(file);
      return { release: () => release(file, content) };
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unusable(dir, error);
    }
    const existing = await readFile(file, 'utf8').catch(() => null);
    if (existing === null) continue; // removed meanwhile: try again
    const owner = parse(existing);
    if (owner && isAlive(owner)) throw conflict(dir, owner.pid, owner.host, owner.host === hostname() ? 'a live process' : `a process on host ${owner.host}`);
    // Stale: move it aside, and check that what moved is what we judged stale.
    const aside = `${file}.stale-${process.pid}-${Date.now()}`;
    try {
      await rename(file, aside);
    } catch {
      continue;
    }
    const moved = await readFile(aside, 'utf8').catch(() => '');
    if (moved !== existing) {
      // Another process took over between our read and our rename: give its lock back.
      await link(aside, file).catch(() => undefined);
      await unlink(aside).catch(() => undefined);
      continue;
    }
    await unlink(aside).catch(() => undefined);
  }
  throw new CustosError('CONFLICT', `could not take the lock of the audit directory ${dir}: it keeps changing hands; make sure only one gateway uses this data directory`);
}

async function release(file: string, content: string): Promise<void> {
  if (!held.delete(file)) return;
  const current = await readFile(file, 'utf8').catch(() => null);
  if (current === content) await unlink(file).catch(() => undefined);
}

function conflict(dir: string, pid: number, host: string, who: string): CustosError {
  return new CustosError(
    'CONFLICT',
    `the audit directory ${dir} is in use by ${who} (pid ${pid}${host === hostname() ? '' : ` on ${host}`}); stop that gateway, or point this one at another data directory. If no gateway is running, delete ${join(dir, LOCK_FILE)}`,
    { pid },
  );
}

function unusable(dir: string, error: unknown): CustosError {
  const code = (error as NodeJS.ErrnoException).code ?? 'an I/O error';
  return new CustosError('UNAVAILABLE', `the audit directory ${dir} cannot be locked (${code}); check that it exists and is writable by this user`, undefined, { cause: error });
}
