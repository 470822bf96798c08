/**
 * FHIR XML → FHIR JSON (https://hl7.org/fhir/R4/xml.html, https://hl7.org/fhir/R4/json.html), for
 * request bodies of clients that speak XML, so that classification, consent enforcement and
 * filtering only ever see JSON.
 *
 * Parsing is done by saxes, a strict, non-validating XML 1.0 + namespaces parser that never reads a
 * DTD: a DOCTYPE is refused outright (no external entities, no entity expansion: XXE and "billion
 * laughs" cannot start), and entities other than the five predefined ones are a well-formedness
 * error. The conversion is strict too: every element must be an R4 element in the FHIR namespace,
 * values must have their type's lexical form, and every refusal names the line, column and element
 * path, never a value.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { CustosError } from '../../errors.js';
import { preloadFhirXmlModel, type FhirXmlModel, type Slot, type TypeModel } from './model.js';
import { FHIR_NS, XHTML_NS, safeName } from './xml-text.js';

type JsonObject = Record<string, unknown>;

interface ObjectFrame {
  readonly kind: 'object';
  readonly name: string;
  readonly model: TypeModel;
  readonly obj: JsonObject;
  /** Where the finished object goes; undefined for the root resource. */
  readonly parent: Frame | undefined;
  readonly slot: Slot | undefined;
  /** Set for a primitive element: the object is its `_name` part (id, extension). */
  readonly primitive?: { readonly value: string | undefined };
  /** Non-repeating elements already seen, to refuse duplicates. */
  seen?: Set<number>;
  /** Primitive arrays whose `[value]` / `[_value]` halves must be tidied at the end. */
  primitiveArrays?: Set<string>;
}
interface ContainerFrame {
  readonly kind: 'container';
  readonly name: string;
  readonly parent: ObjectFrame;
  readonly slot: Slot;
  resource?: JsonObject;
}
type Frame = ObjectFrame | ContainerFrame;

const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const INTEGER = /^[-+]?[0-9]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Converts a FHIR R4 XML resource to its JSON form. Throws CustosError('INVALID_REQUEST') on
 * malformed XML, a DOCTYPE or entity, a non-FHIR or unknown element, an unknown resource type, or a
 * value that does not fit its type; details carry `line`, `column` and `element` when known.
 */
export function fhirXmlToJson(xml: Buffer | string): JsonObject {
  let text: string;
  if (typeof xml === 'string') {
    text = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  } else {
    try {
      text = utf8.decode(xml); // also drops a byte order mark
    } catch {
      throw new CustosError('INVALID_REQUEST', 'the XML body is not valid UTF-8: FHIR XML must be encoded in UTF-8');
    }
  }
  return new XmlReader(preloadFhirXmlModel(), text).read();
}

class XmlReader {
  private readonly parser = new SaxesParser({ xmlns: true });
  private readonly stack: Frame[] = [];
  private result: JsonObject | undefined;
  /** Depth inside a narrative div (0 = not in one), where saxes only checks well-formedness. */
  private xhtmlDepth = 0;
  private xhtmlStart = 0;
  private xhtmlDeclared = false;

  /** What a primitive element may hold besides its value: id and extension. */
  private readonly element: TypeModel;

  constructor(private readonly model: FhirXmlModel, private readonly text: string) {
    this.element = model.type('Element');
  }

  read(): JsonObject {
    const parser = this.parser;
    parser.on('xmldecl', (decl) => {
      if (decl.encoding !== undefined && !/^utf-?8$/i.test(decl.encoding)) this.fail('the XML declaration names an encoding other than UTF-8, which FHIR XML requires');
    });
    parser.on('doctype', () => this.fail('a DOCTYPE is not allowed in FHIR XML (DTDs and entity declarations are refused)'));
    parser.on('opentag', (tag) => this.open(tag));
    parser.on('closetag', () => this.close());
    parser.on('text', (t) => {
      if (this.xhtmlDepth === 0 && /\S/.test(t)) this.fail('text content is not allowed here: FHIR XML carries values in value="..." attributes');
    });
    parser.on('cdata', () => {
      if (this.xhtmlDepth === 0) this.fail('CDATA is not allowed here: FHIR XML carries values in value="..." attributes');
    });
    try {
      parser.write(this.text).close();
    } catch (error) {
      if (error instanceof CustosError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      const at = /^(\d+):(\d+): (.*)$/s.exec(message);
      const details = at ? { line: Number(at[1]), column: Number(at[2]) + 1 } : undefined;
      // What follows the parser's ": " is a name taken from the body (`unclosed tag: X`).
      const what = (at ? at[3]! : message).slice(0, 200).replace(/: (.*)$/s, (_, name: string) => `: ${safeName(name)}`);
      throw new CustosError('INVALID_REQUEST', `the XML body is not well-formed: ${what}${at ? ` (line ${at[1]}, column ${Number(at[2]) + 1})` : ''}`, details);
    }
    if (!this.result) this.fail('the XML body holds no FHIR resource');
    return this.result;
  }

  private open(tag: SaxesTagNS): void {
    if (this.xhtmlDepth > 0) {
      this.xhtmlDepth++;
      return;
    }
    const top = this.stack[this.stack.length - 1];
    if (!top || top.kind === 'container') return this.openResource(tag, top);
    const slot = top.model.slots.get(tag.local);
    if (!slot || slot.attribute) this.fail(`<${safeName(tag.local)}> is not an element of ${top.model.key}`, tag.local);
    if (slot.type.kind === 'xhtml') {
      if (tag.uri !== XHTML_NS || tag.local !== 'div') this.fail(`the narrative must be a <div> in the ${XHTML_NS} namespace`, tag.local);
      this.claim(top, slot, tag.local);
      this.xhtmlDepth = 1;
      this.xhtmlStart = this.text.lastIndexOf('<', this.parser.position - 1);
      this.xhtmlDeclared = tag.prefix === '' && tag.attributes['xmlns'] !== undefined;
      if (tag.prefix !== '' && !tag.attributes[`xmlns:${tag.prefix}`]) this.fail('declare the XHTML namespace on the narrative <div> itself', tag.local);
      return;
    }
    if (tag.uri !== FHIR_NS) this.fail(`<${safeName(tag.name)}> is not in the FHIR namespace ${FHIR_NS}`, tag.local);
    this.claim(top, slot, tag.local);
    if (slot.type.kind === 'resource') {
      this.checkAttributes(tag, [], false);
      this.stack.push({ kind: 'container', name: tag.local, parent: top, slot });
      return;
    }
    if (slot.type.kind === 'primitive') {
      const value = this.checkAttributes(tag, ['id'], true);
      const obj: JsonObject = {};
      if (tag.attributes['id']) obj['id'] = tag.attributes['id'].value;
      this.stack.push({ kind: 'object', name: tag.local, model: this.element, obj, parent: top, slot, primitive: { value } });
      return;
    }
    const model = this.model.type(slot.type.key);
    const obj: JsonObject = {};
    this.checkAttributes(tag, model.attributes.map((a) => a.name), false);
    for (const attribute of model.attributes) {
      const found = tag.attributes[attribute.name];
      if (found) obj[attribute.name] = found.value;
    }
    this.stack.push({ kind: 'object', name: tag.local, model, obj, parent: top, slot });
  }

  private openResource(tag: SaxesTagNS, container: ContainerFrame | undefined): void {
    if (tag.uri !== FHIR_NS) this.fail(`<${safeName(tag.name)}> is not in the FHIR namespace: declare xmlns="${FHIR_NS}"`, tag.local);
    if (container?.resource || (!container && this.result)) this.fail('only one resource is allowed here', tag.local);
    const model = this.model.resource(tag.local);
    if (!model) this.fail(`<${safeName(tag.local)}> is not a FHIR R4 resource type`, tag.local);
    this.checkAttributes(tag, [], false);
    const obj: JsonObject = { resourceType: tag.local };
    this.stack.push({ kind: 'object', name: tag.local, model, obj, parent: container, slot: undefined });
  }

  /** Refuses a second occurrence of a non-repeating element (and a second type of a choice). */
  private claim(frame: ObjectFrame, slot: Slot, name: string): void {
    if (slot.array) return;
    frame.seen ??= new Set();
    if (frame.seen.has(slot.order)) this.fail(`<${name}> may appear only once in ${frame.model.key}`, name);
    frame.seen.add(slot.order);
  }

  /** Allows namespace declarations, namespaced attributes (xsi:schemaLocation) and the named ones. */
  private checkAttributes(tag: SaxesTagNS, allowed: readonly string[], primitive: boolean): string | undefined {
    let value: string | undefined;
    for (const [name, attribute] of Object.entries(tag.attributes)) {
      if (attribute.prefix !== '' || name === 'xmlns') continue;
      if (primitive && name === 'value') {
        if (attribute.value === '') this.fail(`the value attribute of <${tag.local}> must not be empty`, tag.local);
        value = attribute.value;
      } else if (!allowed.includes(name)) {
        this.fail(`<${tag.local}> cannot have an attribute "${safeName(name)}"`, tag.local);
      }
    }
    return value;
  }

  private close(): void {
    if (this.xhtmlDepth > 0) {
      if (--this.xhtmlDepth === 0) this.closeXhtml();
      return;
    }
    const frame = this.stack.pop()!;
    if (frame.kind === 'container') {
      if (!frame.resource) this.fail(`<${frame.name}> must contain a resource`, frame.name);
      return place(frame.parent, frame.slot, frame.resource);
    }
    if (frame.primitiveArrays) tidyPrimitiveArrays(frame.obj, frame.primitiveArrays);
    if (frame.primitive) return this.closePrimitive(frame, frame.primitive.value);
    if (!frame.parent) {
      this.result = frame.obj;
    } else if (frame.parent.kind === 'container') {
      frame.parent.resource = frame.obj;
    } else {
      place(frame.parent, frame.slot!, frame.obj);
    }
  }

  private closePrimitive(frame: ObjectFrame, text: string | undefined): void {
    const slot = frame.slot!;
    const parent = frame.parent as ObjectFrame;
    const value = text === undefined ? undefined : this.primitiveValue(slot, text);
    const extension = Object.keys(frame.obj).length > 0 ? frame.obj : undefined;
    if (value === undefined && extension === undefined) this.fail(`<${slot.name}> needs a value attribute or an extension`, slot.name);
    if (!slot.array) {
      if (value !== undefined) parent.obj[slot.name] = value;
      if (extension) parent.obj[`_${slot.name}`] = extension;
      return;
    }
    ((parent.obj[slot.name] ??= []) as unknown[]).push(value ?? null);
    ((parent.obj[`_${slot.name}`] ??= []) as unknown[]).push(extension ?? null);
    (parent.primitiveArrays ??= new Set()).add(slot.name);
  }

  private primitiveValue(slot: Slot, text: string): string | number | boolean {
    if (slot.type.kind !== 'primitive' || slot.type.json === 'string') return text;
    if (slot.type.json === 'boolean') {
      if (text === 'true' || text === 'false') return text === 'true';
      this.fail(`the value of <${slot.name}> must be true or false`, slot.name);
    }
    const pattern = slot.type.code === 'decimal' ? DECIMAL : INTEGER;
    if (!pattern.test(text)) this.fail(`the value of <${slot.name}> must be ${slot.type.code === 'decimal' ? 'a decimal number' : 'an integer'}`, slot.name);
    return Number(text);
  }

  private closeXhtml(): void {
    const frame = this.stack[this.stack.length - 1] as ObjectFrame;
    // Copied as written (line ends included): the JSON div is the XHTML source, and an XML reader of
    // it normalizes exactly as it would have here.
    let div = this.text.slice(this.xhtmlStart, this.parser.position);
    // The JSON div must carry its namespace itself (https://hl7.org/fhir/R4/narrative.html#xhtml).
    if (!this.xhtmlDeclared && div.startsWith('<div')) div = div.replace(/^<div/, `<div xmlns="${XHTML_NS}"`);
    frame.obj['div'] = div;
  }

  private fail(problem: string, element?: string): never {
    const path = this.stack.map((f) => f.name).join('.');
    const where = element ? (path ? `${path}.${element}` : element) : path;
    const line = this.parser.line;
    const column = this.parser.column + 1;
    throw new CustosError('INVALID_REQUEST', `the XML body is not valid FHIR R4: ${problem} (line ${line}, column ${column}${where ? `, at ${safeName(where, 200)}` : ''})`, {
      line,
      column,
      ...(where ? { element: safeName(where, 200) } : {}),
    });
  }
}

function place(parent: ObjectFrame, slot: Slot, value: JsonObject): void {
  if (slot.array) ((parent.obj[slot.name] ??= []) as unknown[]).push(value);
  else parent.obj[slot.name] = value;
}

/** `given: [null, null]` and `_given: [null]` say nothing: FHIR JSON omits an all-null half. */
function tidyPrimitiveArrays(obj: JsonObject, names: ReadonlySet<string>): void {
  for (const name of names) {
    if ((obj[name] as unknown[]).every((v) => v === null)) delete obj[name];
    if ((obj[`_${name}`] as unknown[]).every((v) => v === null)) delete obj[`_${name}`];
  }
}


