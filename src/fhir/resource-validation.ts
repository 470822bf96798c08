/**
 * Validation of written resources against the R4 JSON schema (https://hl7.org/fhir/R4/json.html#schema)
 * with ajv: the "basic FHIR validation rules" whose failure makes a create or update a 400
 * (https://hl7.org/fhir/R4/http.html#create).
 *
 * Each resource type is compiled on first use and cached (the first type pays ~0.3 s for the
 * shared data types, each later one tens of ms); `warmUp` moves that cost to start-up.
 * Nested resources (contained, Bundle.entry.resource, Bundle.entry.response.outcome,
 * Parameters.parameter.resource) are validated one by one against their own resourceType, so an
 * error is reported where it is: `Bundle.entry[3].resource.ofType(Patient).birthDate`.
 *
 * What the schema cannot see, and so this does not check: invariants (FHIRPath constraints such as
 * dom-2 "no nested contained", ele-1 "no empty elements"), empty arrays and objects, terminology
 * bindings other than required code enums, that dates exist (2021-02-30), references resolving,
 * profiles, the XHTML of Narrative.div, base64 content.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { createRequire } from 'node:module';
import { loadFhirSchema, NESTED_RESOURCE, REQUIRED_KEYWORD, SCHEMA_KEY, type FhirSchema, type RequiredElement } from './fhir-schema.js';
import { isJsonObject, type JsonObject } from './json-object.js';
import { R4_RESOURCE_TYPES } from './resource-types.js';
import { issueFromAjv, type ValidationIssue } from './validation-issues.js';

export type { ValidationIssue, ValidationIssueCode } from './validation-issues.js';

/** `off`: no validation; `warn`: validate, forward anyway, report the issues; `enforce`: reject invalid writes. */
export type ResourceValidationMode = 'off' | 'warn' | 'enforce';

export interface ResourceValidatorOptions {
  /** At most this many issues per call, the last of them saying that more were cut (default 20). */
  readonly maxIssues?: number;
}

export interface ResourceValidator {
  /**
   * The problems of `resource` against R4; [] when it is valid. `at` is the FHIRPath of where the
   * resource sits when it is part of something larger the caller is walking itself (a batch
   * entry: `Bundle.entry[3].resource`); expressions then read `Bundle.entry[3].resource.ofType(Patient).…`.
   */
  validate(resource: unknown, at?: string): ValidationIssue[];
  /** Compiles these types now (default: all 146), so no write pays the first-use compile. */
  warmUp(resourceTypes?: Iterable<string>): void;
}

const DEFAULT_MAX_ISSUES = 20;
/** Resources inside resources inside …: deeper than this is not a real-world payload. */
const MAX_NESTING = 8;

const require = createRequire(import.meta.url);

/** `x-fhir-required`: each listed element must be present under one of its JSON names. */
function checkRequiredElements(required: readonly RequiredElement[], data: JsonObject): boolean {
  const errors: Partial<ErrorObject>[] = [];
  for (const entry of required) {
    if (!entry.names.some((name) => data[name] !== undefined)) errors.push({ keyword: REQUIRED_KEYWORD, params: { missing: entry } });
  }
  (checkRequiredElements as { errors?: Partial<ErrorObject>[] }).errors = errors;
  return errors.length === 0;
}

function createAjv(schema: FhirSchema['schema']): Ajv {
  const ajv = new Ajv({
    allErrors: true, // every problem in one answer, not one per round trip
    strict: false, // the FHIR schema carries `description`s and draft-06 idioms strict mode rejects
    messages: false, // we write our own, from the schema only
    verbose: true, // for `parentSchema`, which names the failing type; `data` is never read
    validateSchema: false, // a published schema; meta-validating 3.6 MB on start buys nothing
  });
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as object);
  ajv.addKeyword({ keyword: REQUIRED_KEYWORD, type: 'object', schemaType: 'array', errors: true, validate: checkRequiredElements });
  ajv.addSchema(schema, SCHEMA_KEY);
  return ajv;
}

/** Collects issues up to the cap; the last slot then says that validation stopped. */
class IssueList {
  readonly issues: ValidationIssue[] = [];
  constructor(private readonly max: number, private readonly root: string) {}
  get full(): boolean {
    return this.issues.length >= this.max;
  }
  add(issue: ValidationIssue): void {
    if (this.full) return;
    if (this.issues.length === this.max - 1) {
      this.issues.push({ severity: 'error', code: 'too-costly', expression: this.root, message: `Validation stopped after ${this.max - 1} issues: fix these and submit again` });
    } else {
      this.issues.push(issue);
    }
  }
}

export function createResourceValidator(options: ResourceValidatorOptions = {}): ResourceValidator {
  const maxIssues = Math.max(2, options.maxIssues ?? DEFAULT_MAX_ISSUES);
  let loaded: { ajv: Ajv; nestedPaths: FhirSchema['nestedPaths']; names: FhirSchema['definitionNames'] } | undefined;
  const compiled = new Map<string, ValidateFunction>();

  function validatorFor(resourceType: string): ValidateFunction {
    let fn = compiled.get(resourceType);
    if (!fn) {
      if (!loaded) {
        const { schema, nestedPaths, definitionNames } = loadFhirSchema();
        loaded = { ajv: createAjv(schema), nestedPaths, names: definitionNames };
      }
      fn = loaded.ajv.compile({ $ref: `${SCHEMA_KEY}#/definitions/${resourceType}` });
      compiled.set(resourceType, fn);
    }
    return fn;
  }

  /** `at` is '' at the top, else the FHIRPath of the element holding this resource. */
  function check(value: unknown, at: string, depth: number, out: IssueList): void {
    const where = at === '' ? '' : `${at}.`;
    if (!isJsonObject(value)) {
      const message = at === '' ? 'The body must be a FHIR resource: a JSON object with a resourceType' : 'Expected a resource: a JSON object with a resourceType';
      out.add({ severity: 'error', code: 'structure', expression: at === '' ? '%resource' : at, message });
      return;
    }
    const resourceType = value['resourceType'];
    if (resourceType === undefined) {
      out.add({ severity: 'error', code: 'required', expression: `${where}resourceType`, message: 'Missing resourceType: a resource must name its type' });
      return;
    }
    if (typeof resourceType !== 'string' || !R4_RESOURCE_TYPES.has(resourceType)) {
      out.add({ severity: 'error', code: 'value', expression: `${where}resourceType`, message: 'Unknown resourceType: expected one of the FHIR R4 resource types (case-sensitive), see https://hl7.org/fhir/R4/resourcelist.html' });
      return;
    }
    if (depth > MAX_NESTING) {
      out.add({ severity: 'error', code: 'structure', expression: at, message: `Resources nested more than ${MAX_NESTING} deep are not accepted` });
      return;
    }
    const base = at === '' ? resourceType : `${at}.ofType(${resourceType})`;
    const fn = validatorFor(resourceType);
    let valid: boolean;
    try {
      valid = fn(value) as boolean;
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      // Stack exhausted by pathologically deep elements (e.g. Parameters.parameter.part…).
      out.add({ severity: 'error', code: 'structure', expression: base, message: 'Elements are nested too deeply to validate' });
      return;
    }
    if (!valid) for (const error of fn.errors ?? []) out.add(issueFromAjv(error, base, resourceType, loaded?.names ?? new Map()));
    walk(resourceType, value, base, depth, out);
  }

  /** Follows the schema's paths to nested resources; shapes the schema rejected were reported already. */
  function walk(definition: string, value: JsonObject, path: string, depth: number, out: IssueList): void {
    const steps = loaded?.nestedPaths.get(definition);
    if (!steps) return;
    for (const [prop, step] of steps) {
      if (out.full) return;
      const child = value[prop];
      if (child === undefined || Array.isArray(child) !== step.array) continue;
      const items: Array<[unknown, string]> = Array.isArray(child) ? child.map((c, i) => [c, `${path}.${prop}[${i}]`]) : [[child, `${path}.${prop}`]];
      for (const [item, itemPath] of items) {
        if (out.full) return;
        if (!isJsonObject(item)) continue;
        if (step.to === NESTED_RESOURCE) check(item, itemPath, depth + 1, out);
        else walk(step.to, item, itemPath, depth, out);
      }
    }
  }

  return {
    validate(resource, at = '') {
      const root = isJsonObject(resource) && typeof resource['resourceType'] === 'string' && R4_RESOURCE_TYPES.has(resource['resourceType'])
        ? (at === '' ? resource['resourceType'] : `${at}.ofType(${resource['resourceType']})`)
        : at || '%resource';
      const out = new IssueList(maxIssues, root);
      check(resource, at, 0, out);
      return out.issues;
    },
    warmUp(resourceTypes = R4_RESOURCE_TYPES) {
      for (const type of resourceTypes) if (R4_RESOURCE_TYPES.has(type)) validatorFor(type);
    },
  };
}
