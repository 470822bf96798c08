/**
 * Reads a request body up to the configured limit. A declared Content-Length over the limit is
 * refused before a byte is read; a body that grows past it while streaming is refused as soon as
 * it does (413), and the connection is closed since the rest of the body is left unread.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CustosError } from '../errors.js';

export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

export async function readRequestBody(req: IncomingMessage, res: ServerResponse, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limitBytes) throw tooLarge(res, limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw tooLarge(res, limitBytes);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

function tooLarge(res: ServerResponse, limitBytes: number): CustosError {
  res.setHeader('connection', 'close');
  return new CustosError('PAYLOAD_TOO_LARGE', `the request body is larger than the limit of ${limitBytes} bytes (server.bodyLimitBytes)`);
}
