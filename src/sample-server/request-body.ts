/**
 * Reading and parsing request bodies (https://hl7.org/fhir/R4/http.html#mime-type): FHIR JSON,
 * JSON Patch (`application/json-patch+json`, http.html#patch) and, for `POST [type]/_search`,
 * `application/x-www-form-urlencoded` (http.html#search). XML is not served: 415.
 */
import type { IncomingMessage } from 'node:http';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { badRequest } from './medplum.js';
import { tooLarge, unsupportedMediaType } from './outcomes.js';
import type { QueryValues } from './search-query.js';

export type ParsedBody = { ok: true; body: unknown } | { ok: false; outcome: OperationOutcome };

const JSON_TYPES = new Set(['application/fhir+json', 'application/json', 'application/json+fhir', 'application/json-patch+json']);
const FORM = 'application/x-www-form-urlencoded';

/**
 * Reads the whole body, or answers 413 when it is larger than `limitBytes`. An oversized body is
 * still drained (not kept): leaving the loop early would destroy the socket, and a keep-alive
 * client would see its next request fail.
 */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer | OperationOutcome> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size <= limitBytes) chunks.push(buffer);
  }
  return size > limitBytes ? tooLarge(limitBytes) : Buffer.concat(chunks);
}

export function formToQuery(text: string): QueryValues {
  const query: QueryValues = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const existing = query[key];
    query[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

/** Parses `raw` by its Content-Type. An empty body is `undefined`. */
export function parseBody(contentTypeHeader: string | undefined, raw: Buffer, isSearchPost: boolean): ParsedBody {
  if (raw.length === 0) return { ok: true, body: undefined };
  const mediaType = (contentTypeHeader ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const text = raw.toString('utf8');
  if (mediaType === FORM) {
    if (!isSearchPost) return { ok: false, outcome: unsupportedMediaType(`${FORM} is accepted only by POST [type]/_search.`) };
    return { ok: true, body: formToQuery(text) };
  }
  // A missing Content-Type is read as JSON, as most FHIR servers do.
  if (mediaType !== '' && !JSON_TYPES.has(mediaType)) {
    return {
      ok: false,
      outcome: unsupportedMediaType(`Content-Type "${mediaType.slice(0, 60)}" is not supported; send application/fhir+json (or application/json-patch+json for PATCH).`),
    };
  }
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch (err) {
    // Report where the JSON broke, never the content (it may hold personal data).
    const position = /position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
    return { ok: false, outcome: badRequest(`The request body is not valid JSON${position ? ` (error at character ${position})` : ''}.`) };
  }
}
