/**
 * Reading an upstream answer whole, so it can be decided before any of it is sent: bounded in size,
 * decoded when compressed, parsed when it is JSON. Also the gateway's own reads (the current
 * version of a resource before a write, the matches of conditional criteria): plain GETs that the
 * caller never sees.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { CustosError } from '../errors.js';
import { isJsonMediaType } from './format.js';
import type { FhirSource, UpstreamResponse } from './upstream.js';

export type Json = Record<string, unknown>;

export interface CollectedAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The decoded bytes (empty when there was no body). */
  readonly raw: Buffer;
  /** The parsed body, when it is a JSON object. */
  readonly json: Json | undefined;
}

export async function collectAnswer(upstream: UpstreamResponse, limit: number): Promise<CollectedAnswer> {
  const declared = Number(first(upstream.headers['content-length']) ?? NaN);
  if (declared > limit) {
    upstream.body.discard();
    throw tooLarge(limit);
  }
  let raw = await upstream.body.collect();
  if (raw.length > limit) throw tooLarge(limit);
  const encoding = first(upstream.headers['content-encoding'])?.trim().toLowerCase();
  if (raw.length > 0 && encoding && encoding !== 'identity') raw = decode(raw, encoding, limit);
  const contentType = first(upstream.headers['content-type']);
  if (raw.length === 0) return { status: upstream.status, headers: upstream.headers, raw, json: undefined };
  if (!isJsonMediaType(contentType)) {
    throw new CustosError('UPSTREAM_BAD_RESPONSE', `the upstream answered with Content-Type "${(contentType ?? 'none').slice(0, 60)}", which this gateway does not pass on (JSON only)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new CustosError('UPSTREAM_BAD_RESPONSE', 'the upstream answered with a body that is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CustosError('UPSTREAM_BAD_RESPONSE', 'the upstream answered with JSON that is not a FHIR resource');
  }
  return { status: upstream.status, headers: upstream.headers, raw, json: json as Json };
}

/** The gateway's own GET (never shown to the caller as such). */
export async function internalGet(source: FhirSource, path: string, query: string, headers: Record<string, string>, limit: number): Promise<CollectedAnswer> {
  const upstream = await source.send({ method: 'GET', path, query, headers: { ...headers, accept: 'application/fhir+json' }, cancel: {} });
  return collectAnswer(upstream, limit);
}

function decode(raw: Buffer, encoding: string, limit: number): Buffer {
  const options = { maxOutputLength: limit };
  try {
    switch (encoding) {
      case 'gzip':
      case 'x-gzip':
        return gunzipSync(raw, options);
      case 'deflate':
        return inflateSync(raw, options);
      case 'br':
        return brotliDecompressSync(raw, options);
    }
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit);
    throw new CustosError('UPSTREAM_BAD_RESPONSE', 'the upstream body could not be decompressed');
  }
  throw new CustosError('UPSTREAM_BAD_RESPONSE', 'the upstream answered with a content encoding this gateway cannot read');
}

function tooLarge(limit: number): CustosError {
  return new CustosError('UPSTREAM_BAD_RESPONSE', `the upstream answer is larger than ${limit} bytes (enforcement.maxResponseBytes); it must be read whole to be filtered, so ask for smaller pages (_count)`);
}

export function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
