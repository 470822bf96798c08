/**
 * A search query → the clauses the query engine evaluates. Only what this source can really
 * filter on is accepted; anything else (an unknown parameter, a modifier, a chain, `_sort`,
 * `_include`, ...) is refused with 400 naming the parameter. R4 lets a server ignore unknown
 * parameters (https://hl7.org/fhir/R4/search.html#errors), but behind a consent gateway a filter
 * silently dropped means a caller gets more than it asked for, and cannot tell: so we refuse.
 * Empty values are ignored, as R4 asks (they filter nothing).
 *
 * Errors name parameters, never values (a value may be an MRN).
 */
import type { Observation, Patient } from 'fhir/r4.js';
import { CustosError } from '../../../errors.js';
import type { QueryParams } from '../../../fhir/query.js';
import { FHIR_ID } from './legacy-rows.js';

export type LegacyResource = Patient | Observation;
export type LegacyType = LegacyResource['resourceType'];

export interface Clause {
  /** Parameter name and raw value, as echoed in the Bundle's self link. */
  readonly name: string;
  readonly value: string;
  test(resource: LegacyResource): boolean;
  /** The only resource ids this clause can match, when it says so (lets the engine skip a scan). */
  readonly ids?: readonly string[];
  /** The only patients whose resources this clause can match, likewise. */
  readonly patients?: readonly string[];
}

export interface SearchRequest {
  readonly type: LegacyType;
  readonly clauses: readonly Clause[];
  /** `/Patient/{id}/Observation`: the patient whose compartment is searched. */
  readonly compartment?: string;
  readonly count: number;
  readonly offset: number;
}

export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 500;

type ClauseBuilder = (value: string, baseUrl: string) => Omit<Clause, 'name' | 'value'>;

const CRITERIA: Record<LegacyType, Record<string, ClauseBuilder>> = {
  Patient: {
    _id: idClause,
    identifier: (value) => {
      const tokens = orValues(value).map(token);
      return { test: (r) => r.resourceType === 'Patient' && tokens.some((t) => (r.identifier ?? []).some((i) => tokenMatches(t, i.system, i.value))) };
    },
  },
  Observation: {
    _id: idClause,
    patient: patientClause,
    subject: patientClause,
    code: (value) => {
      const tokens = orValues(value).map(token);
      return { test: (r) => r.resourceType === 'Observation' && tokens.some((t) => (r.code.coding ?? []).some((c) => tokenMatches(t, c.system, c.code))) };
    },
  },
};

/** Result parameters (https://hl7.org/fhir/R4/search.html#return) this source honours. */
const RESULT_PARAMS = new Set(['_count', '_offset', '_total']);

/** The parameters a type can be searched by, for the CapabilityStatement and for error messages. */
export function searchParamsOf(type: LegacyType): string[] {
  return Object.keys(CRITERIA[type]);
}

export function compileSearch(type: LegacyType, params: QueryParams, baseUrl: string, compartment?: string): SearchRequest {
  const builders = CRITERIA[type];
  const clauses: Clause[] = [];
  let count = DEFAULT_COUNT;
  let offset = 0;
  for (const [name, value] of params) {
    if (value === '') continue;
    if (name === '_count') count = Math.min(nonNegativeInteger(name, value), MAX_COUNT);
    else if (name === '_offset') offset = nonNegativeInteger(name, value);
    else if (name === '_total') {
      // The total is always exact here (the data is in memory); any valid request is honoured.
      if (!['none', 'estimate', 'accurate'].includes(value)) throw invalid(`parameter "_total" must be none, estimate or accurate`);
    } else {
      const builder = Object.hasOwn(builders, name) ? builders[name] : undefined;
      if (!builder) throw unsupported(type, name);
      clauses.push({ name, value, ...builder(value, baseUrl) });
    }
  }
  return { type, clauses, count, offset, ...(compartment ? { compartment } : {}) };
}

function unsupported(type: LegacyType, name: string): CustosError {
  const known = [...searchParamsOf(type), ...RESULT_PARAMS].join(', ');
  const shown = name.length > 40 ? `${name.slice(0, 40)}…` : name;
  const why = name.includes(':') ? 'modifiers are not supported' : name.includes('.') ? 'chained searches are not supported' : 'it is not supported';
  return invalid(`search parameter "${shown}" cannot be used on ${type} in this source (${why}); use only ${known}`);
}

function invalid(message: string): CustosError {
  return new CustosError('INVALID_REQUEST', message);
}

function nonNegativeInteger(name: string, value: string): number {
  if (!/^[0-9]{1,9}$/.test(value)) throw invalid(`parameter "${name}" must be a whole number of 0 or more`);
  return Number(value);
}

function idClause(value: string): Omit<Clause, 'name' | 'value'> {
  const ids = orValues(value);
  return { ids, test: (r) => ids.includes(r.id ?? '') };
}

function patientClause(value: string, baseUrl: string): Omit<Clause, 'name' | 'value'> {
  const patients = orValues(value).map((v) => patientIdOf(v, baseUrl)).filter((id): id is string => id !== undefined);
  return {
    patients,
    test: (r) => r.resourceType === 'Observation' && patients.some((id) => r.subject?.reference === `Patient/${id}`),
  };
}

/**
 * The patient id in a reference search value: `123`, `Patient/123` or `{base}/Patient/123`
 * (https://hl7.org/fhir/R4/search.html#reference). Anything else names no patient of this source.
 */
export function patientIdOf(value: string, baseUrl: string): string | undefined {
  let rest = value.startsWith(`${baseUrl}/`) ? value.slice(baseUrl.length + 1) : value;
  if (rest.startsWith('Patient/')) rest = rest.slice('Patient/'.length);
  return FHIR_ID.test(rest) ? rest : undefined;
}

interface Token {
  readonly system?: string;
  readonly code: string;
}

/** `[system]|[code]`, `|[code]`, `[system]|` or `[code]` (https://hl7.org/fhir/R4/search.html#token). */
function token(value: string): Token {
  const bar = unescapedIndex(value, '|');
  if (bar < 0) return { code: unescape(value) };
  return { system: unescape(value.slice(0, bar)), code: unescape(value.slice(bar + 1)) };
}

function tokenMatches(t: Token, system: string | undefined, code: string | undefined): boolean {
  if (t.system === undefined) return code === t.code;
  if (t.system === '') return system === undefined && code === t.code;
  return system === t.system && (t.code === '' || code === t.code);
}

/** Comma-separated alternatives, a `\,` being a comma inside one (https://hl7.org/fhir/R4/search.html#escaping). */
function orValues(value: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (let at = unescapedIndex(value, ','); at >= 0; at = unescapedIndex(value, ',', from)) {
    out.push(value.slice(from, at));
    from = at + 1;
  }
  out.push(value.slice(from));
  return out;
}

function unescapedIndex(text: string, char: string, from = 0): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === char) return i;
  }
  return -1;
}

function unescape(text: string): string {
  return text.replace(/\\([\\,|$])/g, '$1');
}
