/**
 * FHIR JSON → FHIR XML (https://hl7.org/fhir/R4/xml.html), for answers to clients that asked for
 * XML. The JSON has already been filtered by the gateway, so this only changes the notation, and it
 * refuses (rather than drops) anything it cannot write: an element unknown to R4, a value of the
 * wrong JSON kind, a character XML cannot carry, a narrative that is not well-formed XHTML.
 * Elements are written in definition order, as XML requires; primitive extensions (`_given`) are
 * merged back into their element.
 */
import { SaxesParser } from 'saxes';
import { CustosError } from '../../errors.js';
import { preloadFhirXmlModel, type FhirXmlModel, type Slot, type TypeModel } from './model.js';
import { FHIR_NS, XHTML_NS, escapeAttribute, isXmlText, safeName } from './xml-text.js';

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/**
 * Writes a FHIR R4 resource as an XML document (declaration, `http://hl7.org/fhir` namespace).
 * Throws CustosError('UPSTREAM_BAD_RESPONSE') naming the element path when the resource cannot be
 * written faithfully (the JSON came from the upstream, so a 502 is the honest answer).
 */
export function fhirJsonToXml(resource: Record<string, unknown>): string {
  const writer = new XmlWriter(preloadFhirXmlModel());
  writer.resource(resource, '', true);
  return DECLARATION + writer.out;
}

class XmlWriter {
  out = '';
  private readonly extension: TypeModel;

  constructor(private readonly model: FhirXmlModel) {
    this.extension = model.type('Extension');
  }

  resource(value: unknown, path: string, root: boolean): void {
    if (!isObject(value)) fail(path, 'a resource must be a JSON object');
    const type = value['resourceType'];
    const model = typeof type === 'string' ? this.model.resource(type) : undefined;
    if (!model) fail(path, typeof type === 'string' ? `"${safeName(type)}" is not an R4 resource type` : 'the resource has no resourceType');
    const here = path ? `${path}.${type}` : (type as string);
    this.out += root ? `<${type} xmlns="${FHIR_NS}">` : `<${type}>`;
    for (const slot of this.present(value, model, here, true)) this.slot(value, slot, `${here}.${slot.name}`);
    this.out += `</${type}>`;
  }

  private complex(value: unknown, model: TypeModel, name: string, path: string): void {
    if (!isObject(value)) fail(path, 'expected a JSON object');
    this.out += `<${name}`;
    for (const slot of model.attributes) {
      const attribute = value[slot.name];
      if (attribute === undefined) continue;
      if (typeof attribute !== 'string') fail(`${path}.${slot.name}`, 'expected a string');
      this.out += ` ${slot.name}="${xmlValue(attribute, `${path}.${slot.name}`)}"`;
    }
    const present = this.present(value, model, path, false);
    if (present.length === 0) {
      this.out += '/>';
      return;
    }
    this.out += '>';
    for (const slot of present) this.slot(value, slot, `${path}.${slot.name}`);
    this.out += `</${name}>`;
  }

  /** The elements of an object to write, in definition order; any key R4 does not define is refused. */
  private present(value: Record<string, unknown>, model: TypeModel, path: string, isResource: boolean): Slot[] {
    const present: Slot[] = [];
    for (const key of Object.keys(value)) {
      if (isResource && key === 'resourceType') continue;
      const extensionKey = key.charCodeAt(0) === 0x5f; /* _ */
      const name = extensionKey ? key.slice(1) : key;
      const slot = model.slots.get(name);
      if (!slot || (extensionKey && slot.type.kind !== 'primitive')) fail(`${path}.${safeName(key)}`, 'this element is not defined in FHIR R4');
      if (slot.attribute) continue; // written with the start tag
      if (extensionKey && value[name] !== undefined) continue; // written with its value
      present.push(slot);
    }
    if (present.length > 1) present.sort((a, b) => a.order - b.order);
    return present;
  }

  private slot(value: Record<string, unknown>, slot: Slot, path: string): void {
    const item = value[slot.name];
    if (slot.type.kind === 'primitive') {
      const extension = value[`_${slot.name}`];
      if (!slot.array) return this.primitive(slot, item, extension, path);
      if ((item !== undefined && !Array.isArray(item)) || (extension !== undefined && !Array.isArray(extension))) fail(path, 'expected an array');
      const items = (item ?? []) as unknown[];
      const extensions = (extension ?? []) as unknown[];
      const length = Math.max(items.length, extensions.length);
      for (let i = 0; i < length; i++) this.primitive(slot, items[i], extensions[i], `${path}[${i}]`);
      return;
    }
    if (!slot.array) return this.one(slot, item, path);
    if (!Array.isArray(item)) fail(path, 'expected an array');
    for (let i = 0; i < item.length; i++) this.one(slot, item[i], `${path}[${i}]`);
  }

  private one(slot: Slot, item: unknown, path: string): void {
    switch (slot.type.kind) {
      case 'complex':
        return this.complex(item, this.model.type(slot.type.key), slot.name, path);
      case 'resource':
        this.out += `<${slot.name}>`;
        this.resource(item, path, false);
        this.out += `</${slot.name}>`;
        return;
      case 'xhtml':
        this.out += xhtml(item, path);
        return;
      default:
        fail(path, 'unexpected element kind');
    }
  }

  private primitive(slot: Slot, item: unknown, extension: unknown, path: string): void {
    if (item == null && extension == null) fail(path, 'a primitive needs a value or an extension');
    let attributes = '';
    if (extension != null) {
      if (!isObject(extension)) fail(path, `_${slot.name} must be an object with id and/or extension`);
      for (const key of Object.keys(extension)) {
        if (key !== 'id' && key !== 'extension') fail(`${path}._${safeName(key)}`, 'a primitive element can only carry id and extension');
      }
      const id = extension['id'];
      if (id !== undefined) {
        if (typeof id !== 'string') fail(`${path}.id`, 'expected a string');
        attributes += ` id="${xmlValue(id, `${path}.id`)}"`;
      }
    }
    if (item != null) attributes += ` value="${xmlValue(primitiveText(slot, item, path), path)}"`;
    if (extension == null || !isObject(extension) || extension['extension'] === undefined) {
      this.out += `<${slot.name}${attributes}/>`;
      return;
    }
    this.out += `<${slot.name}${attributes}>`;
    const extensions = extension['extension'];
    if (!Array.isArray(extensions)) fail(`${path}.extension`, 'expected an array');
    for (let i = 0; i < extensions.length; i++) this.complex(extensions[i], this.extension, 'extension', `${path}.extension[${i}]`);
    this.out += `</${slot.name}>`;
  }
}

function primitiveText(slot: Slot, item: unknown, path: string): string {
  const kind = slot.type.kind === 'primitive' ? slot.type.json : 'string';
  if (kind === 'number' && typeof item === 'number' && Number.isFinite(item)) return String(item);
  if (kind === 'boolean' && typeof item === 'boolean') return item ? 'true' : 'false';
  if (kind === 'string' && typeof item === 'string') return item;
  return fail(path, `expected a JSON ${kind}`);
}

/**
 * The narrative `div` is copied as written once it is proven to be one well-formed XHTML element
 * without DOCTYPE or entities: copied text cannot then close the surrounding FHIR elements.
 */
function xhtml(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, 'expected a string of XHTML');
  const parser = new SaxesParser({ xmlns: true, position: false });
  let root: { local: string; uri: string; declared: boolean } | undefined;
  parser.on('xmldecl', () => fail(path, 'the narrative must not carry an XML declaration'));
  parser.on('doctype', () => fail(path, 'the narrative must not carry a DOCTYPE'));
  parser.on('opentag', (tag) => {
    root ??= { local: tag.local, uri: tag.uri, declared: tag.attributes['xmlns'] !== undefined || tag.prefix !== '' };
  });
  try {
    parser.write(value).close();
  } catch (error) {
    if (error instanceof CustosError) throw error;
    fail(path, 'the narrative is not well-formed XHTML');
  }
  if (!root || root.local !== 'div' || (root.uri !== XHTML_NS && root.uri !== '')) fail(path, `the narrative must be one <div> element in the ${XHTML_NS} namespace`);
  const text = value.trim();
  // A div without its namespace would fall into the FHIR namespace once embedded: declare it.
  return root.declared ? text : text.replace(/^<div/, `<div xmlns="${XHTML_NS}"`);
}

function xmlValue(text: string, path: string): string {
  if (!isXmlText(text)) fail(path, 'the value holds a character that XML 1.0 cannot represent');
  return escapeAttribute(text);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keys and type names are echoed in messages; keep them short and plain. */

function fail(path: string, problem: string): never {
  throw new CustosError('UPSTREAM_BAD_RESPONSE', `the upstream's answer cannot be sent as FHIR XML: ${problem} (at ${path})`, { element: path.slice(0, 200) });
}
