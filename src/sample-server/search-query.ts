/**
 * Turns a search query (https://hl7.org/fhir/R4/search.html) into a medplum SearchRequest, and
 * rejects what medplum would silently get wrong.
 *
 * medplum's in-memory matcher answers "no match" for a parameter it does not know or a type it
 * cannot evaluate (number, quantity, composite, special), so `Observation?foo=1` would return an
 * empty Bundle and look like a real answer. A server that ignores or cannot honour a parameter
 * must not pretend it did (search.html#errors), so we answer 400 with the reason instead.
 *
 * We also fill two gaps:
 * - bare ids on reference parameters (`subject=123`): medplum matches them only when the
 *   parameter has one target type; we expand `123` to `Patient/123,Group/123,...`, which is what
 *   search.html#reference means by "the id of the resource";
 * - the type modifier (`subject:Patient=123`), which medplum drops: it becomes `Patient/123`;
 * - string semantics (starts-with by default, `:contains`, `:exact`): medplum over-matches
 *   ("contains" always), so string criteria also yield a `refine` predicate (`string-match.ts`).
 */
import type { Filter, SearchRequest } from '@medplum/core';
import type { Resource, SearchParameter } from '@medplum/fhirtypes';
import { badRequest, getSearchParameter, isResourceType, Operator, parseSearchRequest } from './medplum.js';
import { fail, notSupported } from './outcomes.js';
import { matchesString, type StringCriterion } from './string-match.js';

export type QueryValues = Record<string, string | string[] | undefined>;
export type QueryPairs = readonly (readonly [string, string])[];

/** Page size when the client gives no `_count` (as HAPI and medplum's server do). */
export const DEFAULT_COUNT = 20;
/** Largest page served; a bigger `_count` is lowered to this (search.html#count allows it). */
export const MAX_COUNT = 1000;

export interface ParsedSearch {
  readonly request: SearchRequest;
  readonly count: number;
  readonly offset: number;
  /** `_summary=count` or `_count=0`: total only, no entries. */
  readonly countOnly: boolean;
  /** `_elements`, applied to the matches of the page. */
  readonly elements?: readonly string[];
  /** The client's parameters minus `_count`/`_offset`, for the paging links. */
  readonly echo: QueryPairs;
  /** Exact check of criteria medplum over-matches (string search); absent when none. */
  readonly refine?: (resource: Resource) => boolean;
}

const UNSUPPORTED_PARAM_TYPES = new Set(['number', 'quantity', 'composite', 'special']);
const PAGING_KEYS = new Set(['_count', '_offset']);
/** Handled here, not passed to medplum. */
const LOCAL_KEYS = new Set(['_count', '_offset', '_summary', '_elements', '_format', '_pretty']);

export function toPairs(query: QueryValues): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([key, v]);
  }
  return pairs;
}

function nonNegativeInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) fail(badRequest(`${name} must be a non-negative integer, got "${value.slice(0, 20)}".`, name));
  return Number(value);
}

/** `subject:Patient=123` → `subject=Patient/123` (the type modifier, search.html#reference). */
function applyTypeModifier(resourceType: string, key: string, value: string): [string, string] {
  const match = /^([a-z][a-z0-9-]*):([A-Z][A-Za-z]+)$/.exec(key);
  if (!match || !isResourceType(match[2] as string)) return [key, value];
  const [, code, target] = match as unknown as [string, string, string];
  if (getSearchParameter(resourceType, code)?.type !== 'reference') return [key, value];
  return [code, value.split(',').map((v) => (v.includes('/') ? v : `${target}/${v}`)).join(',')];
}

function expandBareIds(param: SearchParameter, filter: Filter): void {
  const targets = param.target ?? [];
  if (targets.length < 2 || (filter.operator !== Operator.EQUALS && filter.operator !== Operator.NOT_EQUALS)) return;
  filter.value = filter.value
    .split(',')
    .map((v) => (v === '' || v.includes('/') || v.includes(':') ? v : targets.map((t) => `${t}/${v}`).join(',')))
    .join(',');
}

const REFINED_STRING_OPERATORS = new Set<string>([Operator.EQUALS, Operator.CONTAINS, Operator.EXACT]);

/** Validates one filter; returns a string criterion to re-check exactly, if it is one. */
function checkFilter(resourceType: string, filter: Filter): StringCriterion | undefined {
  if (filter.code.startsWith('_has:')) fail(notSupported('Reverse chaining (_has) is not supported by this server.'));
  const chained = filter.code.includes('.');
  const code = filter.code.split('.')[0]?.split(':')[0] ?? filter.code;
  const param = getSearchParameter(resourceType, code);
  if (!param) {
    fail(notSupported(`Unknown search parameter "${code}" for ${resourceType}. See GET [base]/metadata for the supported parameters.`));
  }
  if (UNSUPPORTED_PARAM_TYPES.has(param.type ?? '')) {
    fail(notSupported(`Search parameter "${code}" (type ${param.type}) is not supported by this server.`));
  }
  if (chained && filter.operator !== Operator.EQUALS) fail(notSupported('Chained parameters support plain equality only.'));
  if (param.type === 'reference' && !chained) expandBareIds(param, filter);
  if (param.type === 'string' && !chained && param.expression && REFINED_STRING_OPERATORS.has(filter.operator)) {
    return { expression: param.expression, filter };
  }
  return undefined;
}

/**
 * Parses `query` for `resourceType`. Throws an OperationOutcomeError (400) for anything this
 * server cannot answer faithfully.
 */
export function parseSearchQuery(resourceType: string, query: QueryValues | QueryPairs): ParsedSearch {
  const pairs = Array.isArray(query) ? (query as QueryPairs) : toPairs(query as QueryValues);
  const echo: [string, string][] = [];
  const forMedplum: QueryValues = {};
  let count: number | undefined;
  let offset: number | undefined;
  let countOnly = false;
  let elements: string[] | undefined;
  for (const [rawKey, rawValue] of pairs) {
    if (rawKey === '_format' || rawKey === '_pretty') continue;
    if (!PAGING_KEYS.has(rawKey)) echo.push([rawKey, rawValue]);
    if (rawKey === '_count') count = nonNegativeInteger('_count', rawValue);
    else if (rawKey === '_offset') offset = nonNegativeInteger('_offset', rawValue);
    else if (rawKey === '_summary') {
      if (rawValue === 'count') countOnly = true;
      else if (rawValue !== 'false') fail(notSupported(`_summary=${rawValue.slice(0, 20)} is not supported; use _summary=count or _elements.`));
    } else if (rawKey === '_elements') {
      elements = [...(elements ?? []), ...rawValue.split(',').map((e) => e.trim()).filter(Boolean)];
    }
    if (LOCAL_KEYS.has(rawKey)) continue;
    const [key, value] = applyTypeModifier(resourceType, rawKey, rawValue);
    const existing = forMedplum[key];
    forMedplum[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  const request = parseSearchRequest(resourceType, forMedplum);
  const strings = (request.filters ?? []).flatMap((filter) => checkFilter(resourceType, filter) ?? []);
  for (const rule of request.sortRules ?? []) {
    if (!getSearchParameter(resourceType, rule.code)) fail(notSupported(`Cannot sort ${resourceType} by unknown parameter "${rule.code}".`));
  }
  const pageSize = countOnly ? 0 : Math.min(count ?? DEFAULT_COUNT, MAX_COUNT);
  const pageOffset = offset ?? 0;
  return {
    request: { ...request, count: pageSize, offset: pageOffset },
    count: pageSize,
    offset: pageOffset,
    countOnly: pageSize === 0,
    ...(elements ? { elements } : {}),
    echo,
    ...(strings.length ? { refine: (resource: Resource) => strings.every((c) => matchesString(resource, c)) } : {}),
  };
}

/** True when the query has at least one search criterion (conditional interactions need one). */
export function hasCriteria(request: SearchRequest): boolean {
  return (request.filters?.length ?? 0) > 0;
}
