/**
 * Writing text into XML attributes, and the characters XML 1.0 cannot carry at all
 * (https://www.w3.org/TR/xml/#charsets).
 */

export const FHIR_NS = 'http://hl7.org/fhir';
export const XHTML_NS = 'http://www.w3.org/1999/xhtml';

const ATTRIBUTE_SPECIAL = /[&<>"\t\n\r]/;
const ATTRIBUTE_SPECIAL_ALL = /[&<>"\t\n\r]/g;
const ESCAPES: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;',
  // Tab, newline and carriage return are written as character references: an XML parser turns the
  // literal characters into spaces (attribute-value normalization), which would change the value.
  '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;',
};

/** Control characters, U+FFFE/U+FFFF and unpaired surrogates: not representable in XML 1.0. */
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Escapes a string for a double-quoted attribute value. */
export function escapeAttribute(value: string): string {
  return ATTRIBUTE_SPECIAL.test(value) ? value.replace(ATTRIBUTE_SPECIAL_ALL, (c) => ESCAPES[c]!) : value;
}

/** True when every character of `value` may appear in an XML 1.0 document. */
export function isXmlText(value: string): boolean {
  return !NOT_XML_CHAR.test(value);
}

/**
 * A name taken from a body, as error messages may repeat it: plain characters only, short, and
 * digits masked (where a date, a record number or a phone number would show), so an element or
 * attribute name the client made up cannot carry personal data into a message or a log.
 */
export function safeName(name: string, max = 64): string {
  return name.replace(/[^A-Za-z0-9_.:-]/g, '?').replace(/[0-9]/g, '#').slice(0, max);
}
