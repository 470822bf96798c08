/**
 * The audit export file: what a regulator receives and verifies without the gateway's database.
 * NDJSON, one JSON value per line, streamed both ways (a million events never sit in memory):
 *
 *   {"format":"custos-audit-export/1","chainId":31337,"contract":"0x…","treeSize":N,"root":"0x…","exportedAt":"…"}
 *   {"index":0,"leafHash":"…","previousLeafHash":"…","canonical":"{…the AuditEvent, RFC 8785…}"}
 *   …
 *   {"checkpoint":{…CheckpointRecord: where the operator says each checkpoint landed…}}
 *
 * `canonical` is the event's canonical JSON as a JSON string, so its bytes survive the round trip
 * exactly. The header and checkpoint lines are the exporter's claims; the verifier trusts only the
 * events' own bytes and the checkpoints it reads from the chain itself.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CustosError } from '../errors.js';
import type { VerifiableEvent } from './verify.js';
import type { CheckpointRecord, StoredAuditEvent } from './store.js';

export const EXPORT_FORMAT = 'custos-audit-export/1';

export interface ExportHeader {
  readonly format: typeof EXPORT_FORMAT;
  readonly chainId: number;
  readonly contract: string;
  readonly treeSize: number;
  readonly root: string;
  readonly exportedAt: string;
}

export function headerLine(header: ExportHeader): string {
  return JSON.stringify(header) + '\n';
}

export function eventLine(event: StoredAuditEvent): string {
  return `{"index":${event.index},"leafHash":"${event.leafHash.toString('hex')}","previousLeafHash":"${event.previousLeafHash.toString('hex')}","canonical":${JSON.stringify(event.canonical.toString('utf8'))}}\n`;
}

export function checkpointLine(checkpoint: CheckpointRecord): string {
  return JSON.stringify({ checkpoint }) + '\n';
}

export interface ExportReader {
  readonly header: ExportHeader;
  /** Streams the events; checkpoints are collected as they go by (complete once events are consumed). */
  readonly events: AsyncIterable<VerifiableEvent>;
  readonly checkpoints: CheckpointRecord[];
}

/** Opens an export; a line that is not what the format says is refused with its line number. */
export async function readExportFile(path: string): Promise<ExportReader> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new CustosError('INVALID_REQUEST', `${path} is empty: not an audit export`);
  const header = parseLine(first.value, 1) as Partial<ExportHeader>;
  if (header.format !== EXPORT_FORMAT || typeof header.contract !== 'string' || typeof header.chainId !== 'number') {
    throw new CustosError('INVALID_REQUEST', `${path} is not an audit export (line 1 must be a "${EXPORT_FORMAT}" header)`);
  }
  const checkpoints: CheckpointRecord[] = [];
  async function* events(): AsyncGenerator<VerifiableEvent> {
    let n = 1;
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      n++;
      if (next.value.trim() === '') continue;
      const value = parseLine(next.value, n) as Record<string, unknown>;
      if (value['checkpoint']) {
        checkpoints.push(value['checkpoint'] as CheckpointRecord);
        continue;
      }
      const { index, leafHash, previousLeafHash, canonical } = value;
      if (typeof index !== 'number' || !isHash(leafHash) || !isHash(previousLeafHash) || typeof canonical !== 'string') {
        throw new CustosError('INVALID_REQUEST', `line ${n} of the export is not an event line (index, leafHash, previousLeafHash, canonical)`);
      }
      yield { index, leafHash: Buffer.from(leafHash, 'hex'), previousLeafHash: Buffer.from(previousLeafHash, 'hex'), canonical: Buffer.from(canonical, 'utf8') };
    }
  }
  return { header: header as ExportHeader, events: events(), checkpoints };
}

function parseLine(text: string, n: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CustosError('MALFORMED_JSON', `line ${n} of the export is not valid JSON`);
  }
}

function isHash(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}
