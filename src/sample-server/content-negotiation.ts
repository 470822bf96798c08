/**
 * The few `Accept` decisions the sample server makes (https://hl7.org/fhir/R4/http.html#mime-type).
 * Everything is answered in FHIR JSON except a Binary's raw content (`binary-read.ts`) and the
 * bulk-export manifest and NDJSON files (`bulk-export.ts`), whose types the client may name.
 * Quality values are not ranked: a type listed at all counts as acceptable.
 */

/** The media types of an Accept header, lower case, without parameters. */
function mediaTypes(accept: string): string[] {
  return accept.split(',').map((part) => part.split(';')[0]?.trim().toLowerCase() ?? '').filter(Boolean);
}

/** An absent Accept header, a wildcard or any `…json` type (FHIR JSON, JSON, NDJSON) admits JSON. */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return mediaTypes(accept).some((type) => type === '*/*' || type === 'application/*' || type.includes('json'));
}

/** True when Accept admits `mediaType`: exactly, by its major type (`text/` + `*`), or by the full wildcard. */
export function acceptsMediaType(accept: string | undefined, mediaType: string): boolean {
  if (!accept) return true;
  const wanted = mediaType.toLowerCase();
  const major = wanted.split('/')[0];
  return mediaTypes(accept).some((type) => type === '*/*' || type === wanted || type === `${major}/*`);
}

/** A header value as one string (node gives repeated headers as arrays). */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
