/**
 * Path safety: the gateway decides on exactly the path it forwards.
 *
 * A path is split into segments, each checked against the FHIR REST grammar
 * (https://hl7.org/fhir/R4/http.html#general) and then re-encoded canonically. Anything the gateway
 * and an upstream could read differently (dot segments, encoded dots, slashes or backslashes,
 * double encoding, empty segments, matrix parameters, control characters) is rejected with 400
 * rather than passed through to be interpreted differently upstream.
 */
import { CustosError } from '../errors.js';

/** RFC 3986 pchar minus sub-delims we never need in FHIR paths; `;` (matrix parameters) is absent on purpose. */
const ALLOWED_RAW = /^[A-Za-z0-9\-._~$%/:@!*'()+,=&]*$/;
/** Encodings of `.`, `/`, `\` and `%`: decoding them changes how a path splits or normalises. */
const DANGEROUS_ENCODING = /%(2e|2f|5c|25)/i;

export function splitPathSegments(rawPath: string): string[] {
  if (rawPath.includes(';')) {
    throw invalid('matrix parameters (";") are not allowed in FHIR paths');
  }
  if (rawPath.includes('\\')) {
    throw invalid('backslashes are not allowed in FHIR paths');
  }
  if (!ALLOWED_RAW.test(rawPath)) {
    throw invalid('the path contains a character that is not allowed in a FHIR REST path');
  }
  const encoded = rawPath.includes('%');
  if (encoded && DANGEROUS_ENCODING.test(rawPath)) {
    throw invalid('percent-encoded ".", "/", "\\" or "%" are not allowed in FHIR paths; send them unencoded or not at all');
  }
  // "/Patient/" and "/Patient" are the same request; a single trailing slash is normalised away.
  const trimmed = rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath;
  if (trimmed === '') return [];
  if (!trimmed.startsWith('/')) throw invalid('the path must start with "/"');
  const raw = trimmed.slice(1).split('/');
  return raw.map((segment) => {
    if (segment === '') throw invalid('empty path segments ("//") are not allowed');
    let decoded = segment;
    if (encoded) {
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        throw invalid('the path contains an invalid percent-encoding');
      }
    }
    if (decoded === '.' || decoded === '..') throw invalid('dot segments ("." and "..") are not allowed in FHIR paths');
    return decoded;
  });
}

/** A FHIR logical id (https://hl7.org/fhir/R4/datatypes.html#id). */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
/** An operation name as it appears in a path, `$everything`. */
export const OPERATION_SEGMENT = /^\$[A-Za-z][A-Za-z0-9\-_]*$/;

function invalid(message: string): CustosError {
  return new CustosError('INVALID_PATH', message);
}
