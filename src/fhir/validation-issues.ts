/**
 * Turns ajv errors against the R4 JSON schema into validation issues a client can act on: a
 * FHIRPath expression naming the element and a message saying what is wrong and what is expected.
 *
 * PHI: a message is built only from the schema (element names, primitive type names, allowed
 * codes) and never from the resource, so no value the client sent is echoed. Element names come
 * from the resource only where an unknown element is reported, and only when they look like an
 * element name (letters, digits, `_`), so a key carrying personal data is not repeated either.
 */
import type { ErrorObject } from 'ajv';
import { REQUIRED_KEYWORD, type RequiredElement } from './fhir-schema.js';

/** Issue types from https://hl7.org/fhir/R4/valueset-issue-type.html. */
export type ValidationIssueCode = 'structure' | 'required' | 'value' | 'invalid' | 'too-costly';

export interface ValidationIssue {
  readonly severity: 'error';
  readonly code: ValidationIssueCode;
  /** FHIRPath of the element at fault, e.g. `Patient.name[0].given[1]`, `Bundle.entry[3].resource.ofType(Patient).birthDate`. */
  readonly expression: string;
  /** What is wrong and what is expected; never a value from the resource. */
  readonly message: string;
}

/** What a primitive's `pattern` demands (https://hl7.org/fhir/R4/datatypes.html#primitive). */
const FORMATS: Readonly<Record<string, string>> = {
  date: 'YYYY, YYYY-MM or YYYY-MM-DD',
  dateTime: 'YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fff] with a time zone (Z or +hh:mm)',
  instant: 'YYYY-MM-DDThh:mm:ss[.fff] with a time zone (Z or +hh:mm)',
  time: 'hh:mm:ss[.fff]',
  id: '1 to 64 characters, each A-Z, a-z, 0-9, "-" or "."',
  code: 'at least one character, no leading or trailing whitespace, single spaces only',
  string: 'at least one character (empty strings are not allowed in FHIR)',
  markdown: 'at least one character (empty strings are not allowed in FHIR)',
  uri: 'no whitespace', url: 'no whitespace', canonical: 'no whitespace',
  oid: '"urn:oid:" followed by a dotted numeric OID',
  uuid: '"urn:uuid:" followed by a lower-case UUID',
};

const JSON_TYPES: Readonly<Record<string, string>> = {
  string: 'a JSON string', number: 'a JSON number', integer: 'a JSON number without a fraction',
  boolean: 'JSON true or false', object: 'a JSON object', array: 'a JSON array',
};

const ELEMENT_NAME = /^_?[A-Za-z][A-Za-z0-9_]{0,99}$/;
const MAX_LISTED_CODES = 12;

/** Names the definition (`date`, `HumanName`) an error's keyword belongs to (needs ajv's `verbose`). */
export type DefinitionNames = ReadonlyMap<object, string>;

function definitionOf(error: ErrorObject, names: DefinitionNames, fallback: string): string {
  const parent = error.parentSchema;
  return (parent && names.get(parent)) ?? /^#\/definitions\/([^/]+)\//.exec(error.schemaPath)?.[1] ?? fallback;
}

/** FHIR name of a JSON property: `_birthDate` (the primitive's id and extensions) is `birthDate` in FHIRPath. */
function fhirName(jsonName: string): string {
  return jsonName.startsWith('_') ? jsonName.slice(1) : jsonName;
}

/** JSON pointer (`/name/0/given/1`) → FHIRPath steps (`.name[0].given[1]`) below `base`. */
function toExpression(base: string, instancePath: string): string {
  let expression = base;
  if (instancePath === '') return expression;
  for (const raw of instancePath.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(segment)) expression += `[${segment}]`;
    else if (ELEMENT_NAME.test(segment)) expression += `.${fhirName(segment)}`;
    else break; // cannot happen for schema-known properties; never echo an odd key
  }
  return expression;
}

function typeMessage(error: ErrorObject, definition: string): string {
  const type = error.params['type'] as string | string[];
  // `string,null` for nullable array items: null is only allowed as a placeholder there.
  const expected = Array.isArray(type) ? String(type[0]) : String(type);
  if (expected === 'array') return 'Wrong JSON type: this element repeats, so it must be a JSON array';
  if (definition === 'ResourceList') return 'Wrong JSON type: expected a resource (a JSON object with a resourceType)';
  const what = JSON_TYPES[expected] ?? expected;
  return `Wrong JSON type: expected ${what} (FHIR ${definition})`;
}

function enumMessage(error: ErrorObject): string {
  const allowed = (error.params['allowedValues'] as unknown[]).map(String);
  const listed = allowed.slice(0, MAX_LISTED_CODES).join(', ');
  return `Code not allowed: expected one of ${listed}${allowed.length > MAX_LISTED_CODES ? ', …' : ''}`;
}

function rangeMessage(error: ErrorObject, definition: string): string {
  const bound = String(error.params['limit']);
  return `Number out of range for FHIR ${definition}: must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${bound}`;
}

function requiredIssue(expression: string, element: string, jsonNames: readonly string[]): ValidationIssue {
  const spelled = jsonNames.length > 1 ? ` (as ${jsonNames.join(' or ')})` : '';
  return {
    severity: 'error', code: 'required', expression: `${expression}.${element.replace(/\[x\]$/, '')}`,
    message: `Missing required element ${element}${spelled}: its minimum cardinality is 1`,
  };
}

/** One ajv error → one issue. `base` is the FHIRPath of the resource (`Patient`, `Bundle.entry[0].resource.ofType(Patient)`). */
export function issueFromAjv(error: ErrorObject, base: string, resourceType: string, names: DefinitionNames): ValidationIssue {
  const expression = toExpression(base, error.instancePath);
  const definition = definitionOf(error, names, resourceType);
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(error.params['additionalProperty']);
      // A property name is the client's text: only a plain element-like name is repeated (no digits,
      // which is where dates, record numbers and phone numbers would show).
      if (!ELEMENT_NAME.test(name) || /[0-9]/.test(name) || name.length > 40) {
        return { severity: 'error', code: 'structure', expression, message: `A property whose name is not a FHIR element name is not allowed in ${definition}` };
      }
      return { severity: 'error', code: 'structure', expression: `${expression}.${fhirName(name)}`, message: `Unknown element "${name}": FHIR R4 ${definition} has no element of that name` };
    }
    case 'required':
      return requiredIssue(expression, String(error.params['missingProperty']), []);
    case REQUIRED_KEYWORD: {
      const missing = error.params['missing'] as RequiredElement;
      return requiredIssue(expression, missing.element, missing.names);
    }
    case 'type':
      return { severity: 'error', code: 'structure', expression, message: typeMessage(error, definition) };
    case 'pattern': {
      const format = FORMATS[definition];
      const message = format ? `Invalid FHIR ${definition}: expected ${format}` : `Invalid FHIR ${definition}: the value does not match its format`;
      return { severity: 'error', code: 'value', expression, message };
    }
    case 'enum':
      return { severity: 'error', code: 'value', expression, message: enumMessage(error) };
    case 'const':
      return { severity: 'error', code: 'value', expression, message: `Wrong value: expected ${String(error.params['allowedValue'])}` };
    case 'minimum':
    case 'maximum':
      return { severity: 'error', code: 'value', expression, message: rangeMessage(error, definition) };
    default:
      return { severity: 'error', code: 'invalid', expression, message: `Invalid content: fails the R4 schema's "${error.keyword}" rule for ${definition}` };
  }
}
