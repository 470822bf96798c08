/**
 * The query string, parsed once and re-serialised canonically, so the upstream receives exactly the
 * parameters the gateway looked at (no second parser to disagree with ours).
 */
import { CustosError } from '../errors.js';

export type QueryParams = ReadonlyArray<readonly [name: string, value: string]>;

export interface ParsedQuery {
  readonly params: QueryParams;
  /** The `_format` value, removed from what is forwarded: the gateway speaks JSON upstream. */
  readonly format?: string;
}

export function parseQuery(raw: string): ParsedQuery {
  const params: Array<[string, string]> = [];
  let format: string | undefined;
  if (raw === '') return { params };
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    if (name === '') throw new CustosError('INVALID_REQUEST', 'a query parameter has an empty name');
    if (name === '_format') {
      format = value;
      continue;
    }
    params.push([name, value]);
  }
  return format === undefined ? { params } : { params, format };
}

/** Parses an `application/x-www-form-urlencoded` search body with the same rules. */
export function parseFormBody(body: Buffer): ParsedQuery {
  return parseQuery(body.toString('utf8').trim());
}

export function serializeQuery(params: QueryParams): string {
  if (params.length === 0) return '';
  return '?' + params.map(([n, v]) => `${encode(n)}=${encode(v)}`).join('&');
}

/** True when the query carries search criteria (anything but result-shaping parameters). */
export function hasSearchCriteria(params: QueryParams): boolean {
  return params.some(([name]) => !RESULT_PARAMETERS.has(name));
}

const RESULT_PARAMETERS = new Set(['_count', '_sort', '_summary', '_elements', '_include', '_revinclude', '_total', '_contained', '_containedType', '_pretty']);

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new CustosError('INVALID_REQUEST', 'the query string contains an invalid percent-encoding');
  }
}

/** Encodes like encodeURIComponent but keeps the characters FHIR search syntax gives meaning to readable. */
function encode(text: string): string {
  return encodeURIComponent(text).replace(/%2C/g, ',').replace(/%7C/g, '|').replace(/%3A/g, ':').replace(/%2F/g, '/').replace(/%24/g, '$');
}
