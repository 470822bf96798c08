/**
 * Format negotiation (https://hl7.org/fhir/R4/http.html#mime-type). Custos serves JSON and XML:
 * XML is converted at the gateway (src/fhir/xml/), so the upstream is always spoken to in JSON and
 * enforcement and filtering only ever see JSON. A request for Turtle or HTML gets a clear 406/415
 * instead of reaching the upstream, so an unfiltered body in another format can never reach the
 * client.
 */
import { CustosError } from '../errors.js';
import type { BodyKind } from './interaction.js';

export const FHIR_JSON = 'application/fhir+json';
export const FHIR_XML = 'application/fhir+xml';

/** The format the gateway answers in. */
export type ResponseFormat = 'json' | 'xml';
/** The format a request body is in: `json` covers JSON Patch too, `none` means no body to read. */
export type RequestBodyFormat = 'json' | 'xml' | 'form' | 'none';

const JSON_FORMAT_PARAMS = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir']);
const XML_FORMAT_PARAMS = new Set(['xml', 'text/xml', 'application/xml', 'application/fhir+xml', 'application/xml+fhir']);
const JSON_MEDIA = new Set(['application/fhir+json', 'application/json', 'application/json+fhir']);
const XML_MEDIA = new Set(['application/fhir+xml', 'application/xml', 'text/xml', 'application/xml+fhir']);
const WILDCARDS = new Set(['*/*', 'application/*']);

/**
 * Chooses the response format from `_format` and `Accept`; `_format` wins when both are present, as
 * the spec says. XML only when the client prefers it over JSON (by q-value); wildcards, ties and a
 * missing Accept mean JSON. Anything else (Turtle, HTML, ...) is a 406.
 */
export function negotiateResponseFormat(formatParam: string | undefined, accept: string | undefined): ResponseFormat {
  if (formatParam !== undefined) {
    const wanted = mediaType(formatParam);
    if (JSON_FORMAT_PARAMS.has(wanted)) return 'json';
    if (XML_FORMAT_PARAMS.has(wanted)) return 'xml';
    throw new CustosError('NOT_ACCEPTABLE', `_format=${formatParam.slice(0, 40)} is not supported: this gateway serves JSON and XML (use _format=json or _format=xml)`);
  }
  if (!accept || accept.trim() === '') return 'json';
  let json = 0;
  let xml = 0;
  for (const item of accept.split(',')) {
    const [type = '', ...params] = item.split(';');
    const media = mediaType(type);
    const q = quality(params);
    if (JSON_MEDIA.has(media) || WILDCARDS.has(media)) json = Math.max(json, q);
    else if (XML_MEDIA.has(media)) xml = Math.max(xml, q);
  }
  if (xml > json) return 'xml';
  if (json > 0) return 'json';
  throw new CustosError('NOT_ACCEPTABLE', `the Accept header asks for a format this gateway does not serve; accept ${FHIR_JSON} or ${FHIR_XML}`);
}

/** `q=` of one Accept item (RFC 9110 §12.4.2): 1 when absent, 0 when unreadable. */
function quality(params: readonly string[]): number {
  const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
  if (q === undefined) return 1;
  const value = Number(q.slice(2));
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : 0;
}

/**
 * Checks the request's Content-Type against what the interaction's body must be, and says which
 * format the body is in: an `xml` body must go through `fhirXmlToJson` before anything reads it.
 */
export function checkRequestContentType(bodyKind: BodyKind, method: string, contentType: string | undefined, hasBody: boolean): RequestBodyFormat {
  if (bodyKind === 'none' || !hasBody) return 'none';
  const media = contentType ? mediaType(contentType.split(';')[0] ?? '') : '';
  if (bodyKind === 'form') {
    if (media === 'application/x-www-form-urlencoded') return 'form';
    throw new CustosError('UNSUPPORTED_MEDIA_TYPE', '_search bodies must be sent as application/x-www-form-urlencoded');
  }
  if (JSON_MEDIA.has(media)) return 'json';
  if (XML_MEDIA.has(media)) return 'xml';
  if (method === 'PATCH' && media === 'application/json-patch+json') return 'json';
  const expected = method === 'PATCH' ? 'application/json-patch+json, or application/fhir+json or application/fhir+xml (FHIRPath Patch)' : `${FHIR_JSON} or ${FHIR_XML}`;
  throw new CustosError('UNSUPPORTED_MEDIA_TYPE', media
    ? `Content-Type ${media.slice(0, 60)} is not supported: send ${expected}`
    : `the request has a body but no Content-Type: send ${expected}`);
}

/** True when an upstream response's Content-Type is JSON we can safely pass on. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  // Fast path for what FHIR servers send (this runs on every response).
  if (contentType.startsWith('application/fhir+json') || contentType.startsWith('application/json')) {
    const next = contentType.charCodeAt(contentType.indexOf('json') + 4);
    if (Number.isNaN(next) || next === 0x3b /* ; */ || next === 0x20) return true;
  }
  const media = mediaType(contentType.split(';')[0] ?? '');
  return JSON_MEDIA.has(media) || media === 'application/json-patch+json';
}

function mediaType(text: string): string {
  return text.trim().toLowerCase().replace(/ /g, '+');
}
