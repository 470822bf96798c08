/**
 * FHIR XML for clients that ask for it (`_format=xml`, `Accept: application/fhir+xml`). The
 * upstream is always spoken to in JSON and enforcement only ever sees JSON: requests are converted
 * on the way in, the filtered answer on the way out, once it has been decided (just before its
 * audit event, so a conversion failure is audited as the failure it is).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { FHIR_XML, isJsonMediaType } from '../fhir/format.js';
import { fhirJsonToXml, fhirXmlToJson } from '../fhir/xml/fhir-xml.js';
import type { ExecutionResult } from './enforcement/interaction-executor.js';

export const FHIR_XML_CONTENT_TYPE = `${FHIR_XML}; charset=utf-8`;

/** An XML request body as the JSON the rest of the pipeline reads (throws a clear 400 when it is not FHIR XML). */
export function xmlRequestBody(body: Buffer): { parsed: Record<string, unknown>; json: Buffer } {
  const parsed = fhirXmlToJson(body);
  return { parsed, json: Buffer.from(JSON.stringify(parsed)) };
}

/** The answer in XML; bodies that are not FHIR JSON (Binary content, empty bodies) pass unchanged. */
export function asXmlResult(result: ExecutionResult): ExecutionResult {
  const type = result.headers['content-type'];
  if (result.json === undefined || !isJsonMediaType(typeof type === 'string' ? type : undefined)) return result;
  const json = result.json;
  const headers: IncomingHttpHeaders = { ...result.headers, 'content-type': FHIR_XML_CONTENT_TYPE };
  return { ...result, headers, body: Buffer.from(fhirJsonToXml(json)) };
}
