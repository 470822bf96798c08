/**
 * Exact FHIR semantics for string search parameters (https://hl7.org/fhir/R4/search.html#string):
 * by default a value matches when a string part of the element STARTS WITH it, ignoring case and
 * accents; `:contains` matches anywhere; `:exact` matches the whole part, case-sensitively.
 * HumanName and Address match on their parts (`name=Ele` finds given name "Elena").
 *
 * medplum's in-memory matcher treats every string search as a case-insensitive "contains" on a
 * formatted value (`family=brah` finds "Ibrahim"), a superset of the correct answer. We let
 * medplum narrow the candidates and re-check them here.
 */
import type { Filter } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { evalFhirPath, Operator } from './medplum.js';

/** Elements of HumanName and Address (and plain strings) that string search looks at. */
const PART_KEYS = new Set(['text', 'family', 'given', 'prefix', 'suffix', 'line', 'city', 'district', 'state', 'postalCode', 'country']);

const fold = (s: string): string => s.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();

function parts(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) parts(v, out);
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) if (PART_KEYS.has(key)) parts(child, out);
  }
}

export interface StringCriterion {
  readonly expression: string;
  readonly filter: Filter;
}

function matchesOne(part: string, operator: string, wanted: string): boolean {
  if (operator === Operator.EXACT) return part === wanted;
  const p = fold(part);
  const w = fold(wanted);
  return operator === Operator.CONTAINS ? p.includes(w) : p.startsWith(w);
}

/** True when `resource` satisfies the string criterion (comma = OR between values). */
export function matchesString(resource: Resource, { expression, filter }: StringCriterion): boolean {
  const values: string[] = [];
  parts(evalFhirPath(expression, resource), values);
  const wanted = filter.value.split(',');
  return values.some((part) => wanted.some((w) => matchesOne(part, filter.operator, w)));
}
