/**
 * Format negotiation (https://hl7.org/fhir/R4/http.html#mime-type). Custos speaks JSON only for
 * now: a request for XML, Turtle or HTML gets a clear 406/415 instead of reaching the upstream, so
 * an unfiltered non-JSON body can never reach the client.
 */
import { CustosError } from '../errors.js';
import type { BodyKind } from './interaction.js';

export const FHIR_JSON = 'application/fhir+json';

const JSON_FORMAT_PARAMS = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir']);
const JSON_MEDIA = new Set(['application/fhir+json', 'application/json', 'application/json+fhir']);
const WILDCARDS = new Set(['*/*', 'application/*']);

/** Checks `_format` and `Accept`; `_format` wins when both are present, as the spec says. */
export function negotiateResponseFormat(formatParam: string | undefined, accept: string | undefined): void {
  if (formatParam !== undefined) {
    const wanted = mediaType(formatParam);
    if (!JSON_FORMAT_PARAMS.has(wanted)) {
      throw new CustosError('NOT_ACCEPTABLE', `_format=${formatParam.slice(0, 40)} is not supported: this gateway serves JSON only (use _format=json)`);
    }
    return;
  }
  if (!accept || accept.trim() === '') return;
  const acceptable = accept.split(',').some((item) => {
    const [type = '', ...params] = item.split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) return false;
    const media = mediaType(type);
    return JSON_MEDIA.has(media) || WILDCARDS.has(media);
  });
  if (!acceptable) {
    throw new CustosError('NOT_ACCEPTABLE', 'the Accept header asks for a format this gateway does not serve; accept application/fhir+json');
  }
}

/** Checks the request's Content-Type against what the interaction's body must be. */
export function checkRequestContentType(bodyKind: BodyKind, method: string, contentType: string | undefined, hasBody: boolean): void {
  if (bodyKind === 'none' || !hasBody) return;
  const media = contentType ? mediaType(contentType.split(';')[0] ?? '') : '';
  if (bodyKind === 'form') {
    if (media === 'application/x-www-form-urlencoded') return;
    throw new CustosError('UNSUPPORTED_MEDIA_TYPE', '_search bodies must be sent as application/x-www-form-urlencoded');
  }
  if (JSON_MEDIA.has(media)) return;
  if (method === 'PATCH' && media === 'application/json-patch+json') return;
  const expected = method === 'PATCH' ? 'application/json-patch+json or application/fhir+json (FHIRPath Patch)' : FHIR_JSON;
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
