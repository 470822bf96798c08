/**
 * Relays the upstream's answer to the client: headers cleaned and rewritten, body rewritten to the
 * gateway's base. Small bodies of known length are collected once and sent with an exact
 * Content-Length; larger or unknown ones stream through a rewriting transform, never held whole.
 * Anything that is not JSON is refused (502) rather than passed on unfiltered.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { CustosError } from '../errors.js';
import type { BaseRewriter } from '../fhir/base-rewriter.js';
import { isJsonMediaType } from '../fhir/format.js';
import type { UpstreamResponse } from '../fhir/upstream.js';
import { clientResponseHeaders } from './header-hygiene.js';

/** Bodies up to this size are collected and sent with Content-Length. */
const COLLECT_LIMIT = 1024 * 1024;

export async function relayResponse(
  upstream: UpstreamResponse,
  res: ServerResponse,
  rewriter: BaseRewriter,
  isHead: boolean,
): Promise<void> {
  const headers = clientResponseHeaders(upstream.headers, rewriter);
  const contentType = first(upstream.headers['content-type']);
  const declaredLength = Number(first(upstream.headers['content-length']) ?? NaN);
  const noBody = isHead || upstream.status === 204 || upstream.status === 304 || declaredLength === 0;
  if (noBody) {
    upstream.body.resume();
    if (!isHead) headers['content-length'] = '0';
    res.writeHead(upstream.status, headers);
    res.end();
    return;
  }
  if (!isJsonMediaType(contentType)) {
    // An empty body with no Content-Type is fine (e.g. 201 with Prefer: return=minimal and chunked encoding).
    const sample = await readUpTo(upstream.body, 1);
    if (sample.length === 0 && !contentType) {
      headers['content-length'] = '0';
      res.writeHead(upstream.status, headers);
      res.end();
      return;
    }
    upstream.body.destroy();
    throw new CustosError('UPSTREAM_BAD_RESPONSE', `the upstream answered with Content-Type "${(contentType ?? 'none').slice(0, 60)}", which this gateway does not pass on (JSON only)`);
  }
  const body = decoded(upstream.body, first(upstream.headers['content-encoding']));
  if (body === upstream.body && declaredLength > 0 && declaredLength <= COLLECT_LIMIT) {
    const whole = rewriter.rewriteBuffer(await collect(body, declaredLength));
    headers['content-length'] = String(whole.length);
    res.writeHead(upstream.status, headers);
    res.end(whole);
    return;
  }
  res.writeHead(upstream.status, headers);
  await pipeline(body, rewriter.createTransform(), res);
}

function decoded(body: Readable, encoding: string | undefined): Readable {
  switch (encoding?.trim().toLowerCase()) {
    case undefined:
    case '':
    case 'identity':
      return body;
    case 'gzip':
    case 'x-gzip':
      return body.pipe(createGunzip());
    case 'deflate':
      return body.pipe(createInflate());
    case 'br':
      return body.pipe(createBrotliDecompress());
    default:
      body.destroy();
      throw new CustosError('UPSTREAM_BAD_RESPONSE', 'the upstream answered with a content encoding this gateway cannot read');
  }
}

async function collect(body: Readable, expected: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
  }
  if (size !== expected) throw new CustosError('UPSTREAM_BAD_RESPONSE', 'the upstream body did not match its Content-Length');
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

async function readUpTo(body: Readable, bytes: number): Promise<Buffer> {
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (chunk.length >= bytes) return chunk;
  }
  return Buffer.alloc(0);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
