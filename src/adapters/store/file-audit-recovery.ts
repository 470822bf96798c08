/**
 * Reads `events.log` once on open, rebuilding the in-memory index and deciding what a crash left.
 *
 * Only the last write can be unfinished (each write waits for the previous one's fsync), and its
 * append never resolved, so an unfinished last write is dropped whole: the records after the last
 * complete write are cut off when one of them is missing, torn or fails its CRC. Anything else that
 * does not read back is damage in the middle of the log, and is never dropped silently: a record
 * whose frame is intact but whose CRC fails is served exactly as stored (the verifier will find its
 * leaf hash or links wrong), and bytes that cannot be framed at all are skipped, which the verifier
 * sees as a gap in the stored indices and a broken `previousLeafHash` link. Both are listed in the
 * recovery report.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { syncDirectory } from './file-audit-checkpoints.js';
import { checkFrame, FRAME_SIZE, HEADER_SIZE, MAGIC_BYTES, MAX_BODY, readIndexFacts, type FrameCheck, type IndexFacts } from './file-audit-codec.js';
import type { FileAuditIndex } from './file-audit-index.js';

/** Damage found in the middle of the log: kept visible, never repaired. */
export interface LogDamage {
  /** `checksum`: a record served as stored although its CRC fails; `unreadable`: bytes skipped. */
  readonly kind: 'checksum' | 'unreadable';
  /** The position the damaged record is served at, or the position of the first record after the skipped bytes. */
  readonly position: number;
  readonly offset: number;
  readonly length: number;
}

export interface RecoveryResult {
  /** Where the log ends; bytes beyond it belong to an unfinished last write. */
  readonly end: number;
  readonly damage: LogDamage[];
}

const CHUNK = 8 * 1024 * 1024;

/** A sliding window over the file: big sequential reads, one record never split. */
class Window {
  private buf = Buffer.allocUnsafe(CHUNK);
  private start = 0;
  private length = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly fileSize: number,
  ) {}

  /** Makes [pos, pos + n) (clamped to the file) resident; returns the buffer and where pos is in it. */
  async at(pos: number, n: number): Promise<{ buf: Buffer; off: number; available: number }> {
    const want = Math.min(n, this.fileSize - pos);
    if (pos < this.start || pos + want > this.start + this.length) {
      if (this.buf.length < want) this.buf = Buffer.allocUnsafe(want);
      const size = Math.min(this.buf.length, this.fileSize - pos);
      let read = 0;
      while (read < size) {
        const { bytesRead } = await this.handle.read(this.buf, read, size - read, pos + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      this.start = pos;
      this.length = read;
    }
    return { buf: this.buf, off: pos - this.start, available: this.start + this.length - pos };
  }
}

interface Framed {
  readonly check: FrameCheck;
  readonly buf: Buffer;
  readonly off: number;
}

async function frameAt(window: Window, pos: number): Promise<Framed> {
  let { buf, off, available } = await window.at(pos, FRAME_SIZE);
  if (available >= FRAME_SIZE) {
    const bodyLength = buf.readUInt32LE(off + 4);
    if (bodyLength <= MAX_BODY) ({ buf, off, available } = await window.at(pos, FRAME_SIZE + bodyLength));
  }
  return { check: checkFrame(buf, off, available), buf, off };
}

interface Found {
  readonly offset: number;
  readonly length: number;
  readonly facts: IndexFacts;
  readonly buf: Buffer;
}

/** The next record after `from` that frames, passes its CRC and parses, or null. */
async function resync(window: Window, from: number): Promise<Found | null> {
  let p = from;
  while (p + FRAME_SIZE <= window.fileSize) {
    const { buf, off, available } = await window.at(p, CHUNK);
    const hit = buf.subarray(off, off + available).indexOf(MAGIC_BYTES);
    if (hit < 0) {
      p += Math.max(1, available - (MAGIC_BYTES.length - 1));
      continue;
    }
    const candidate = p + hit;
    const framed = await frameAt(window, candidate);
    if (framed.check.kind === 'ok') {
      const facts = readIndexFacts(framed.buf, framed.off, framed.check.bodyLength);
      if (facts) return { offset: candidate, length: FRAME_SIZE + framed.check.bodyLength, facts, buf: framed.buf };
    }
    p = candidate + 1;
  }
  return null;
}

/** Reads the whole log from its header on, filling `index`; see the module comment for the rules. */
export async function recoverLog(handle: FileHandle, fileSize: number, index: FileAuditIndex): Promise<RecoveryResult> {
  const window = new Window(handle, fileSize);
  const damage: LogDamage[] = [];
  let pos = HEADER_SIZE;
  /** End of the last record that completed its write: the log is whole up to here. */
  let wholeUpTo = HEADER_SIZE;
  let cut: number | null = null;

  const accept = (offset: number, length: number, facts: IndexFacts, buf: Buffer, trusted: boolean): void => {
    index.add(offset, length, facts, buf, facts.leafHashAt);
    if (trusted && facts.batchOffset + length === facts.batchLength) wholeUpTo = offset + length;
  };

  while (pos < fileSize) {
    const framed = await frameAt(window, pos);
    if (framed.check.kind === 'ok') {
      const facts = readIndexFacts(framed.buf, framed.off, framed.check.bodyLength);
      if (facts) {
        accept(pos, FRAME_SIZE + framed.check.bodyLength, facts, framed.buf, true);
        pos += FRAME_SIZE + framed.check.bodyLength;
        continue;
      }
    }
    // `pos` does not hold a good record. Keep what frames and parses about it before looking on,
    // since looking on moves the window.
    const damagedLength = framed.check.kind === 'bad-frame' ? 0 : FRAME_SIZE + framed.check.bodyLength;
    const damagedFacts = damagedLength > 0 ? readIndexFacts(framed.buf, framed.off, damagedLength - FRAME_SIZE) : null;
    const damagedCopy = damagedFacts ? Buffer.from(framed.buf.subarray(framed.off, framed.off + damagedLength)) : null;

    const next = await resync(window, pos + 1);
    if (next === null) {
      cut = pos;
      break;
    }
    const batchStart = next.offset - next.facts.batchOffset;
    if (batchStart === wholeUpTo && batchStart <= pos && batchStart + next.facts.batchLength >= fileSize) {
      cut = batchStart; // the damage lies in the last write, which never finished
      break;
    }
    if (damagedFacts && damagedCopy && pos + damagedLength === next.offset) {
      damage.push({ kind: 'checksum', position: index.count, offset: pos, length: damagedLength });
      accept(pos, damagedLength, { ...damagedFacts, leafHashAt: damagedFacts.leafHashAt - framed.off }, damagedCopy, false);
    } else {
      damage.push({ kind: 'unreadable', position: index.count, offset: pos, length: next.offset - pos });
    }
    pos = next.offset;
  }

  // Records after the last complete write belong to an unfinished one.
  const end = Math.min(cut ?? fileSize, wholeUpTo);
  let keep = index.count;
  while (keep > 0 && index.offsetOf(keep - 1) >= end) keep--;
  index.truncate(keep);
  return { end, damage: damage.filter((d) => d.offset < end) };
}

/**
 * Copies the unfinished last write [from, size) to `savedAs` (kept for forensics, never destroyed),
 * then cuts it off the log, syncing both and the directory.
 */
export async function setAsideTail(handle: FileHandle, dir: string, savedAs: string, from: number, size: number): Promise<void> {
  const tail = Buffer.allocUnsafe(size - from);
  for (let read = 0; read < tail.length; ) {
    const { bytesRead } = await handle.read(tail, read, tail.length - read, from + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  const aside = await open(savedAs, 'wx', 0o600);
  try {
    await aside.write(tail, 0, tail.length, 0);
    await aside.sync();
  } finally {
    await aside.close();
  }
  await handle.truncate(from);
  await handle.sync();
  await syncDirectory(dir);
}
