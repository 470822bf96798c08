/**
 * The patched schema (fhir-schema.ts) must accept exactly R4's elements: medplum's schema carries
 * elements of its own and of R4B/R5 that are easy to miss by reading, so compare every property of
 * every definition that stands for an R4 resource, data type or backbone element with the official
 * R4 StructureDefinitions (hl7.fhir.r4.examples 4.0.1, independent of medplum).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadFhirSchema } from '../../src/fhir/fhir-schema.js';

interface ElementDefinition { path: string; type?: { code: string }[] }
interface StructureDefinition { type: string; kind: string; url: string }
// The generator's reading of R4 (plain .mjs outside tsc's include, loaded from the repository root
// three levels above dist/test/fhir/): the same StructureDefinitions and element owners.
interface R4Definitions {
  readR4StructureDefinitions(): StructureDefinition[];
  ownedElements(sd: StructureDefinition, definitions: unknown): Iterable<{ owner: string; name: string; element: ElementDefinition }>;
  refTarget(node: unknown): string | undefined;
  isPrimitiveType(code: string): boolean;
}
const r4 = (await import(new URL('../../../scripts/r4-required-elements-lib.mjs', import.meta.url).href)) as R4Definitions;
// The package also holds 441 profiles and 5 logical models; R4 itself is what this reads.
const base = r4.readR4StructureDefinitions();

const { schema, definitionNames } = loadFhirSchema();
const { definitions } = schema;
/** The R4 definition a schema definition stands for: fhir-schema.ts's nullable copies (`ElementOrNull`) are their original. */
const original = (name: string): string => definitionNames.get(definitions[name] ?? {}) ?? name;
const { refTarget } = r4;
const isPrimitive = r4.isPrimitiveType;
const jsonNames = (name: string, primitive: boolean): string[] => (primitive ? [name, `_${name}`] : [name]);

/**
 * Schema definition → the JSON property names R4 allows there (owners as the generator finds them).
 */
const allowed = new Map<string, Set<string>>();
for (const sd of base) {
  // The abstract Resource and DomainResource have no definition in the schema.
  if (sd.kind === 'resource' && definitions[sd.type]) allowed.set(sd.type, new Set(['resourceType']));
  for (const { owner, name, element } of r4.ownedElements(sd, definitions)) {
    const types = (element.type ?? []).map((t) => t.code);
    const names = name.endsWith('[x]')
      ? types.flatMap((t) => jsonNames(name.slice(0, -'[x]'.length) + t.charAt(0).toUpperCase() + t.slice(1), isPrimitive(t)))
      : jsonNames(name, types.length > 0 && types.every(isPrimitive));
    let set = allowed.get(owner);
    if (!set) allowed.set(owner, (set = new Set()));
    for (const n of names) set.add(n);
  }
}

describe('the patched R4 schema against the official R4 StructureDefinitions', () => {
  it('reads R4 itself from hl7.fhir.r4.examples: 148 resources, 41 complex and 20 primitive types', () => {
    const count = (kind: string): number => base.filter((sd) => sd.kind === kind).length;
    // 146 resource types, plus the abstract Resource and DomainResource.
    assert.deepEqual([count('resource'), count('complex-type'), count('primitive-type')], [148, 41, 20]);
    for (const sd of base) assert.equal(sd.url, `http://hl7.org/fhir/StructureDefinition/${sd.type}`);
  });

  it('has no property that is not an R4 element', () => {
    const extras = Object.entries(definitions).flatMap(([name, def]) => {
      const names = allowed.get(original(name));
      return names ? Object.keys(def.properties ?? {}).filter((p) => !names.has(p)).map((p) => `${name}.${p}`) : [];
    });
    assert.deepEqual(extras.sort(), []);
  });

  it('has every R4 element', () => {
    // But `_id` and `_div`: the HL7 schema has no extensions on ids (Resource.id, Element.id) or
    // on Narrative.div (XHTML); that is not medplum's doing.
    const missing = [...allowed].flatMap(([owner, names]) => [...names]
      .filter((n) => n !== '_id' && n !== '_div' && !(n in (definitions[owner]?.properties ?? {})))
      .map((n) => `${owner}.${n}`));
    assert.deepEqual(missing, []);
  });

  it('checks every definition an R4 type reaches (no backbone escaped the mapping)', () => {
    const seen = new Set<string>();
    const queue = base.map((sd) => sd.type).filter((t) => definitions[t]?.properties);
    for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
      if (seen.has(name)) continue;
      seen.add(name);
      for (const node of Object.values(definitions[name]?.properties ?? {})) {
        const target = refTarget(node);
        if (target !== undefined && definitions[target]?.properties) queue.push(target);
      }
    }
    assert.deepEqual([...seen].filter((name) => !allowed.has(original(name))).sort(), []);
  });
});
