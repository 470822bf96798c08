/**
 * Tampering with the embedded audit store's files the way an attacker with disk access would, so
 * tests can show what the verifier catches and what only an on-chain anchor can. The attacker here
 * knows the format: every record it rewrites has a valid frame and CRC (a CRC is no seal), so the
 * store reads the edit back as ordinary data. Damage that is NOT dressed up (`damageBytes`,
 * `smashFrame`) is what a failing disk or a clumsy attacker leaves.
 *
 * The store must be closed while these run; reopen it afterwards.
 * PostgreSQL counterparts: `audit-tamper-pg.ts`.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkFrame, decodeEvent, encodedLength, encodeRecord, FILE_HEADER, FRAME_SIZE, HEADER_SIZE } from '../../src/adapters/store/file-audit-codec.js';
import { EVENTS_FILE } from '../../src/adapters/store/file-audit-store.js';
import { writtenEndOf } from '../../src/adapters/store/file-audit-prealloc.js';
import type { StoredAuditEvent } from '../../src/audit/store.js';
import { leafHashOf, ZERO_HASH } from './audit-store-conformance.js';

/** Where each record of the log lies: byte offset and length, frame included. */
export interface RecordSpan {
  readonly offset: number;
  readonly length: number;
}

/** The spans of every well-framed record (the log must be undamaged). */
export async function recordSpans(dir: string): Promise<RecordSpan[]> {
  const data = await readFile(join(dir, EVENTS_FILE));
  const spans: RecordSpan[] = [];
  const end = Math.max(HEADER_SIZE, writtenEndOf(data)); // the zeroed space written ahead is not log
  for (let at = HEADER_SIZE; at < end; ) {
    const check = checkFrame(data, at, end - at);
    if (check.kind !== 'ok') throw new Error(`record at byte ${at} does not frame: the log is already damaged`);
    spans.push({ offset: at, length: FRAME_SIZE + check.bodyLength });
    at += FRAME_SIZE + check.bodyLength;
  }
  return spans;
}

async function readEvents(dir: string): Promise<StoredAuditEvent[]> {
  const data = await readFile(join(dir, EVENTS_FILE));
  return (await recordSpans(dir)).map((s) => decodeEvent(data, s.offset, s.length));
}

/** Writes `events` as the whole log, each record its own write, fields exactly as given. */
async function writeEvents(dir: string, events: readonly StoredAuditEvent[]): Promise<void> {
  const lengths = events.map((e) => encodedLength(e));
  const out = Buffer.alloc(HEADER_SIZE + lengths.reduce((a, b) => a + b, 0));
  FILE_HEADER.copy(out, 0);
  let at = HEADER_SIZE;
  events.forEach((e, i) => {
    at = encodeRecord(out, at, e, { index: e.index, previousLeafHash: e.previousLeafHash, batchOffset: 0, batchLength: lengths[i]! });
  });
  const file = join(dir, EVENTS_FILE);
  await writeFile(`${file}.attacker`, out);
  await rename(`${file}.attacker`, file);
}

function checkIndex(events: readonly unknown[], index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= events.length) throw new Error(`no event ${index} in a log of ${events.length}`);
}

/**
 * Rewrites event `index`'s canonical JSON. With `fixLeafHash`, its stored leaf hash is recomputed
 * too (then only the next event's `previousLeafHash` link, and the anchored root, give it away).
 */
export async function editEvent(dir: string, index: number, mutate: (canonical: string) => string, options: { fixLeafHash: boolean }): Promise<void> {
  const events = await readEvents(dir);
  checkIndex(events, index);
  const e = events[index]!;
  const canonical = Buffer.from(mutate(e.canonical.toString('utf8')), 'utf8');
  events[index] = { ...e, canonical, leafHash: options.fixLeafHash ? leafHashOf(canonical) : e.leafHash };
  await writeEvents(dir, events);
}

/**
 * Rewrites the search fields stored beside event `index` (patients, actor, time, ...), leaving its
 * content, hashes and links alone: what an operator would do to hide an event from a report.
 */
export async function editFacts(dir: string, index: number, mutate: (facts: StoredAuditEvent['facts']) => StoredAuditEvent['facts']): Promise<void> {
  const events = await readEvents(dir);
  checkIndex(events, index);
  events[index] = { ...events[index]!, facts: mutate(events[index]!.facts) };
  await writeEvents(dir, events);
}

/** Removes event `index`; the events after it move up one place, keeping what they claim. */
export async function deleteEvent(dir: string, index: number): Promise<void> {
  const events = await readEvents(dir);
  checkIndex(events, index);
  events.splice(index, 1);
  await writeEvents(dir, events);
}

/** Exchanges the places of events `i` and `j` (each keeps its stored index and link). */
export async function swapEvents(dir: string, i: number, j: number): Promise<void> {
  const events = await readEvents(dir);
  checkIndex(events, i);
  checkIndex(events, j);
  [events[i], events[j]] = [events[j]!, events[i]!];
  await writeEvents(dir, events);
}

/** Keeps the first `keep` events, cleanly: the log looks whole, only shorter than anchored. */
export async function truncate(dir: string, keep: number): Promise<void> {
  const events = await readEvents(dir);
  await writeEvents(dir, events.slice(0, Math.max(0, keep)));
}

/**
 * Edits event `index` and rewrites history from there consistently: every stored index, leaf hash
 * and `previousLeafHash` from `index` on is recomputed, so the log verifies on its own and only a
 * root anchored on chain can expose it.
 */
export async function rewriteFrom(dir: string, index: number, mutate: (canonical: string) => string): Promise<void> {
  const events = await readEvents(dir);
  checkIndex(events, index);
  events[index] = { ...events[index]!, canonical: Buffer.from(mutate(events[index]!.canonical.toString('utf8')), 'utf8') };
  for (let k = index; k < events.length; k++) {
    const e = events[k]!;
    events[k] = { ...e, index: k, leafHash: leafHashOf(e.canonical), previousLeafHash: k === 0 ? ZERO_HASH : events[k - 1]!.leafHash };
  }
  await writeEvents(dir, events);
}

/** Flips one byte of event `index`'s canonical bytes in place, leaving its CRC wrong (bit rot). */
export async function damageBytes(dir: string, index: number): Promise<void> {
  const spans = await recordSpans(dir);
  checkIndex(spans, index);
  const file = join(dir, EVENTS_FILE);
  const data = await readFile(file);
  const last = spans[index]!.offset + spans[index]!.length - 1; // canonical bytes end the record
  data[last] = data[last]! ^ 0x20;
  await writeFile(file, data);
}

/** Overwrites the frame (magic and length) of event `index`, so it cannot even be delimited. */
export async function smashFrame(dir: string, index: number): Promise<void> {
  const spans = await recordSpans(dir);
  checkIndex(spans, index);
  const file = join(dir, EVENTS_FILE);
  const data = await readFile(file);
  data.fill(0x58, spans[index]!.offset, spans[index]!.offset + FRAME_SIZE);
  await writeFile(file, data);
}

/**
 * What a verifier reading the log through the port finds wrong, locally (without the anchors):
 * `index i: claims k`, `leaf i` (hash does not match the canonical bytes), `link i`
 * (previousLeafHash is not the previous event's leaf hash).
 */
export function localFindings(events: readonly StoredAuditEvent[]): string[] {
  const found: string[] = [];
  events.forEach((e, i) => {
    if (e.index !== i) found.push(`index ${i}: claims ${e.index}`);
    if (!leafHashOf(e.canonical).equals(e.leafHash)) found.push(`leaf ${i}`);
    if (!e.previousLeafHash.equals(i === 0 ? ZERO_HASH : events[i - 1]!.leafHash)) found.push(`link ${i}`);
  });
  return found;
}
