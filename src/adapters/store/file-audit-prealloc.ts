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
export async function allocate(handle: FileHandle, from: number, to: number): Promise<void> {
  for (let at = from; at < to; ) {
    const n = Math.min(ZEROS.length, to - at);
    const { bytesWritten } = await handle.write(ZEROS, 0, n, at);
    at += bytesWritten;
  }
}
