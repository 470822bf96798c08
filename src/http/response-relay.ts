/**
 * Relays the upstream's answer to the client: headers cleaned and rewritten, body rewritten to the
 * gateway's base. Bodies of known length up to 1 MiB are taken whole once and sent with an exact
 * Content-Length; larger, unknown-length or compressed ones stream through a rewriting transform
 * with backpressure, never held whole. Anything that is not JSON is refused (502) rather than
 * passed on unfiltered.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { CustosError } from '../errors.js';
import type { BaseRewriter } from '../fhir/base-rewriter.js';
import { isJsonMediaType } from '../fhir/format.js';
import type { UpstreamResponse } from '../fhir/upstream.js';
import { clientResponseHeaders } from './header-hygiene.js';

/** Bodies up to this size are taken whole and sent with Content-Length. */
const COLLECT_LIMIT = 1024 * 1024;

export async function relayResponse(
  upstream: UpstreamResponse,
  res: ServerResponse,
  rewriter: BaseRewriter,
  isHead: boolean,
  requestId: string,
): Promise<void> {
  const headers = clientResponseHeaders(upstream.headers, rewriter);
  headers['x-request-id'] = requestId;
  const contentType = first(upstream.headers['content-type']);
  const encoding = first(upstream.headers['content-encoding'])?.trim().toLowerCase();
  const declaredLength = Number(first(upstream.headers['content-length']) ?? NaN);
  const noBody = isHead || upstream.status === 204 || upstream.status === 304 || declaredLength === 0;
  if (noBody) {
    upstream.body.discard();
    return sendWhole(res, upstream.status, headers, isHead ? undefined : EMPTY);
  }
  if (!isJsonMediaType(contentType)) {
    // No Content-Type and no bytes is fine (e.g. a 201 with Prefer: return=minimal sent chunked).
    if (!contentType && (await upstream.body.collect()).length === 0) return sendWhole(res, upstream.status, headers, EMPTY);
    upstream.body.discard();
    throw new CustosError('UPSTREAM_BAD_RESPONSE', `the upstream answered with Content-Type "${(contentType ?? 'none').slice(0, 60)}", which this gateway does not pass on (JSON only)`);
  }
  const plain = encoding === undefined || encoding === '' || encoding === 'identity';
  if (plain && declaredLength > 0 && declaredLength <= COLLECT_LIMIT) {
    const body = await upstream.body.collect();
    if (body.length !== declaredLength) throw new CustosError('UPSTREAM_BAD_RESPONSE', 'the upstream body did not match its Content-Length');
    return sendWhole(res, upstream.status, headers, rewriter.rewriteBuffer(body));
  }
  const decoded = decode(upstream.body.stream(), plain ? undefined : encoding);
  res.writeHead(upstream.status, headers);
  await pipeline(decoded, rewriter.createTransform(), res);
}

const EMPTY = Buffer.alloc(0);

function sendWhole(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: Buffer | undefined): void {
  if (body) headers['content-length'] = body.length;
  res.writeHead(status, headers);
  res.end(body);
}

function decode(body: Readable, encoding: string | undefined): Readable {
  switch (encoding) {
    case undefined:
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

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
