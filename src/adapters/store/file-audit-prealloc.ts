/**
 * Space for the embedded audit log, allocated ahead in zero-filled chunks.
 *
 * Why: a synchronous write that grows the file must also commit the new size (ext4 journals it),
 * which on these VMs doubles the CPU and the wait of every durable append (measured: write +
 * fdatasync 175 µs of CPU per append when appending, 131 µs into allocated space; O_DSYNC into
 * allocated space 106 µs). Overwriting blocks that already exist needs no metadata commit.
 *
 * The log's records always end with the canonical event's closing brace, never a zero byte, so the
 * written part of the file ends at its last non-zero byte; everything after is unused space.
 */
import type { FileHandle } from 'node:fs/promises';

/** How much is allocated at a time, and how early the next chunk is prepared. */
export const PREALLOC_CHUNK = 64 * 1024 * 1024;
export const PREALLOC_AHEAD = 16 * 1024 * 1024;
const ZEROS = Buffer.alloc(4 * 1024 * 1024);
const SCAN = 1024 * 1024;

/** Where the written log ends in `buf` (the bytes after it are all zero). */
export function writtenEndOf(buf: Buffer, from = buf.length): number {
  let i = from;
  while (i > 0 && buf[i - 1] === 0) i--;
  return i;
}

/** Where the written log ends in a file of `size` bytes, reading its tail backwards. */
export async function writtenEnd(handle: FileHandle, size: number, floor: number): Promise<number> {
  const buf = Buffer.allocUnsafe(SCAN);
  let to = size;
  while (to > floor) {
    const from = Math.max(floor, to - SCAN);
    const { bytesRead } = await handle.read(buf, 0, to - from, from);
    const end = writtenEndOf(buf.subarray(0, bytesRead));
    if (end > 0) return from + end;
    to = from;
  }
  return floor;
}

/** Zero-fills [from, to): the blocks exist afterwards, so later writes there commit no metadata. */
async function allocate(handle: FileHandle, from: number, to: number): Promise<void> {
  for (let at = from; at < to; ) {
    const n = Math.min(ZEROS.length, to - at);
    const { bytesWritten } = await handle.write(ZEROS, 0, n, at);
    at += bytesWritten;
  }
}

/** The space written ahead of a log: how far the file's zeroed blocks reach, grown in chunks. */
export class AheadSpace {
  private growing: Promise<void> | null = null;

  /** `allocated`: the file's size, of which [written end, allocated) is zero-filled. */
  constructor(
    private readonly handle: FileHandle,
    private allocated: number,
  ) {}

  /** The file was cut at `size` (a failed write undone, a torn tail set aside). */
  reset(size: number): void {
    this.allocated = size;
  }

  /**
   * Makes sure [.., upTo) lies in allocated space, and prepares the next chunk in the background
   * once less than PREALLOC_AHEAD is left, so appends rarely wait for it.
   */
  async reserve(upTo: number): Promise<void> {
    if (upTo > this.allocated) {
      await this.growing;
      if (upTo > this.allocated) await this.grow(upTo);
    }
    if (!this.growing && this.allocated - upTo < PREALLOC_AHEAD) {
      this.growing = this.grow(upTo).finally(() => (this.growing = null));
    }
  }

  private async grow(atLeast: number): Promise<void> {
    const from = this.allocated;
    const to = Math.max(atLeast, from) + PREALLOC_CHUNK;
    try {
      await allocate(this.handle, from, to);
      this.allocated = Math.max(this.allocated, to);
    } catch {
      // No space to write ahead: appends still work, growing the file as they go.
      this.allocated = Math.max(this.allocated, atLeast);
    }
  }
}
