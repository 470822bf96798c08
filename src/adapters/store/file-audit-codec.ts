/**
 * The on-disk record format of the embedded audit store (`events.log`), shared by the store and by
 * the tamper tool the tests use. One file, a 16-byte header, then records back to back:
 *
 * ```
 * file header   "CUSTOSAL" | u32 version (1) | u32 reserved
 * record        u32 magic 0xFE4C41FF | u32 bodyLength | u32 CRC-32(body) | body
 * body          u32 index lo | u32 index hi | u32 batchOffset | u32 batchLength | f64 recorded
 *               | u8 outcome | u8 flags (bit 0: breakGlass) | u16 reserved
 *               | leafHash[32] | previousLeafHash[32]
 *               | str eventId | str requestId | str? actor | str? clientId
 *               | u32 patientCount, str × patientCount | u32 canonicalLength, canonical
 * str           u32 byteLength (0xFFFFFFFF: null) | UTF-8 bytes
 * ```
 * All integers little-endian. The magic's bytes FF and FE never occur in UTF-8, so a reader that
 * lost its place (a damaged length) can resynchronise on it; the CRC tells a torn or damaged record
 * from a good one. `batchOffset`/`batchLength` place the record inside the single write that
 * carried it, so recovery can tell "the last write did not finish" (drop it whole: its append never
 * resolved) from "a record in the middle is damaged" (keep it visible to the verifier).
 * CRC-32 detects accidents, not attackers: tamper evidence is the leaf hashes, links and anchors.
 */
import { crc32 } from 'node:zlib';
import { CustosError } from '../../errors.js';
import type { AuditRecord, StoredAuditEvent } from '../../audit/store.js';

export const FILE_HEADER = Buffer.from('CUSTOSAL\x01\x00\x00\x00\x00\x00\x00\x00', 'latin1');
export const HEADER_SIZE = FILE_HEADER.length;
export const MAGIC = 0xfe4c41ff;
export const MAGIC_BYTES = Buffer.from([0xff, 0x41, 0x4c, 0xfe]);
export const FRAME_SIZE = 12;
/** A body larger than this is taken for a damaged length field, not read. */
export const MAX_BODY = 256 * 1024 * 1024;
const FIXED_BODY = 96;
const NULL_LENGTH = 0xffffffff;
const TWO_32 = 2 ** 32;

/** Where a record sits in the log and in the write that carried it. */
export interface RecordPlacement {
  readonly index: number;
  readonly previousLeafHash: Buffer;
  readonly batchOffset: number;
  readonly batchLength: number;
}

/** The fields the in-memory indexes need, read without copying the canonical bytes. */
export interface IndexFacts {
  readonly index: number;
  readonly batchOffset: number;
  readonly batchLength: number;
  readonly recorded: number;
  readonly outcome: number;
  readonly breakGlass: boolean;
  /** Offset of the 32-byte leaf hash inside the buffer that was parsed. */
  readonly leafHashAt: number;
  readonly patients: string[];
  readonly actor: string | null;
  readonly clientId: string | null;
}

const byteLength = (value: string | null): number => (value === null ? 4 : 4 + Buffer.byteLength(value, 'utf8'));

/** Total bytes (frame + body) `record` takes on disk. */
export function encodedLength(record: AuditRecord): number {
  const f = record.facts;
  let n = FRAME_SIZE + FIXED_BODY + byteLength(f.eventId) + byteLength(f.requestId) + byteLength(f.actor) + byteLength(f.clientId) + 4;
  for (const p of f.patients) n += byteLength(p);
  return n + 4 + record.canonical.length;
}

/**
 * Writes `record` at `at` in `out` (which must have `encodedLength(record)` bytes free there) and
 * returns the offset after it.
 */
export function encodeRecord(out: Buffer, at: number, record: AuditRecord, placement: RecordPlacement): number {
  const f = record.facts;
  const body = at + FRAME_SIZE;
  out.writeUInt32LE(placement.index % TWO_32, body);
  out.writeUInt32LE(Math.floor(placement.index / TWO_32), body + 4);
  out.writeUInt32LE(placement.batchOffset, body + 8);
  out.writeUInt32LE(placement.batchLength, body + 12);
  out.writeDoubleLE(f.recorded, body + 16);
  out.writeUInt8(f.outcome, body + 24);
  out.writeUInt8(f.breakGlass ? 1 : 0, body + 25);
  out.writeUInt16LE(0, body + 26);
  record.leafHash.copy(out, body + 32);
  placement.previousLeafHash.copy(out, body + 64);
  let p = body + FIXED_BODY;
  p = writeString(out, p, f.eventId);
  p = writeString(out, p, f.requestId);
  p = writeString(out, p, f.actor);
  p = writeString(out, p, f.clientId);
  out.writeUInt32LE(f.patients.length, p);
  p += 4;
  for (const patient of f.patients) p = writeString(out, p, patient);
  out.writeUInt32LE(record.canonical.length, p);
  p += 4;
  p += record.canonical.copy(out, p);
  out.writeUInt32LE(MAGIC, at);
  out.writeUInt32LE(p - body, at + 4);
  out.writeUInt32LE(crc32(out.subarray(body, p)), at + 8);
  return p;
}

function writeString(out: Buffer, at: number, value: string | null): number {
  if (value === null) {
    out.writeUInt32LE(NULL_LENGTH, at);
    return at + 4;
  }
  const written = out.write(value, at + 4, 'utf8');
  out.writeUInt32LE(written, at);
  return at + 4 + written;
}

/** What the frame at `at` says, before the body is trusted. */
export type FrameCheck =
  | { readonly kind: 'ok'; readonly bodyLength: number }
  | { readonly kind: 'bad-crc'; readonly bodyLength: number }
  | { readonly kind: 'bad-frame' };

/** Checks the frame at `at` in `buf`, whose bytes must extend at least to `at + FRAME_SIZE`. */
export function checkFrame(buf: Buffer, at: number, available: number): FrameCheck {
  if (available < FRAME_SIZE || buf.readUInt32LE(at) !== MAGIC) return { kind: 'bad-frame' };
  const bodyLength = buf.readUInt32LE(at + 4);
  if (bodyLength < FIXED_BODY + 24 || bodyLength > MAX_BODY || FRAME_SIZE + bodyLength > available) return { kind: 'bad-frame' };
  const crc = crc32(buf.subarray(at + FRAME_SIZE, at + FRAME_SIZE + bodyLength));
  return crc === buf.readUInt32LE(at + 8) ? { kind: 'ok', bodyLength } : { kind: 'bad-crc', bodyLength };
}

/** Thrown (internally) when a body's own lengths do not add up. */
class Malformed extends Error {}

/** A bounds-checked cursor over one record body: attacker-controlled bytes are parsed defensively. */
class BodyReader {
  constructor(
    readonly buf: Buffer,
    public at: number,
    private readonly end: number,
  ) {}
  u32(): number {
    if (this.at + 4 > this.end) throw new Malformed();
    const v = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }
  string(): string | null {
    const n = this.u32();
    if (n === NULL_LENGTH) return null;
    if (this.at + n > this.end) throw new Malformed();
    const s = this.buf.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }
  /** Steps over a string without decoding it (the index rebuild needs no ids). */
  skip(): string {
    const n = this.u32();
    if (n === NULL_LENGTH || this.at + n > this.end) throw new Malformed();
    this.at += n;
    return '';
  }
  required(): string {
    const s = this.string();
    if (s === null) throw new Malformed();
    return s;
  }
}

interface ParsedBody {
  index: number;
  batchOffset: number;
  batchLength: number;
  recorded: number;
  outcome: number;
  breakGlass: boolean;
  eventId: string;
  requestId: string;
  actor: string | null;
  clientId: string | null;
  patients: string[];
  canonicalAt: number;
  canonicalLength: number;
}

function parseBody(buf: Buffer, body: number, bodyLength: number, ids = true): ParsedBody {
  const end = body + bodyLength;
  const r = new BodyReader(buf, body + FIXED_BODY, end);
  const eventId = ids ? r.required() : r.skip();
  const requestId = ids ? r.required() : r.skip();
  const actor = r.string();
  const clientId = r.string();
  const count = r.u32();
  if (count > bodyLength / 4) throw new Malformed();
  const patients: string[] = new Array<string>(count);
  for (let i = 0; i < count; i++) patients[i] = r.required();
  const canonicalLength = r.u32();
  if (r.at + canonicalLength !== end) throw new Malformed();
  return {
    index: buf.readUInt32LE(body) + buf.readUInt32LE(body + 4) * TWO_32,
    batchOffset: buf.readUInt32LE(body + 8),
    batchLength: buf.readUInt32LE(body + 12),
    recorded: buf.readDoubleLE(body + 16),
    outcome: buf.readUInt8(body + 24),
    breakGlass: (buf.readUInt8(body + 25) & 1) === 1,
    eventId,
    requestId,
    actor,
    clientId,
    patients,
    canonicalAt: r.at,
    canonicalLength,
  };
}

/** The facts of the record whose frame starts at `at`, or null if its body does not parse. */
export function readIndexFacts(buf: Buffer, at: number, bodyLength: number): IndexFacts | null {
  try {
    const b = parseBody(buf, at + FRAME_SIZE, bodyLength, false);
    return {
      index: b.index,
      batchOffset: b.batchOffset,
      batchLength: b.batchLength,
      recorded: b.recorded,
      outcome: b.outcome,
      breakGlass: b.breakGlass,
      leafHashAt: at + FRAME_SIZE + 32,
      patients: b.patients,
      actor: b.actor,
      clientId: b.clientId,
    };
  } catch (error) {
    if (error instanceof Malformed) return null;
    throw error;
  }
}

/**
 * The event stored in the record whose frame starts at `at` (`length` bytes, frame included),
 * exactly as written on disk: nothing is recomputed. The result owns a copy of its bytes.
 * Throws if the body does not parse (the file changed under a running store).
 */
export function decodeEvent(buf: Buffer, at: number, length: number): StoredAuditEvent {
  const bodyLength = length - FRAME_SIZE;
  let b: ParsedBody;
  try {
    if (bodyLength < FIXED_BODY + 24 || at + length > buf.length) throw new Malformed();
    b = parseBody(buf, at + FRAME_SIZE, bodyLength);
  } catch (error) {
    if (!(error instanceof Malformed)) throw error;
    throw new CustosError('UNAVAILABLE', 'the embedded audit store could not read back a record it indexed; the file changed while the store was open: restart the gateway to re-check it');
  }
  const own = Buffer.from(buf.subarray(at + FRAME_SIZE, at + length));
  const base = at + FRAME_SIZE;
  return {
    index: b.index,
    leafHash: own.subarray(32, 64),
    previousLeafHash: own.subarray(64, 96),
    canonical: own.subarray(b.canonicalAt - base, b.canonicalAt - base + b.canonicalLength),
    facts: {
      eventId: b.eventId,
      requestId: b.requestId,
      recorded: b.recorded,
      patients: b.patients,
      actor: b.actor,
      clientId: b.clientId,
      outcome: b.outcome as 0 | 4 | 8 | 12, // as stored, even if out of range: the verifier judges
      breakGlass: b.breakGlass,
    },
  };
}
