/**
 * FHIR GraphQL answers (https://hl7.org/fhir/R4/graphql.html), decided node by node when
 * `enforcement.graphql` enables them. A GraphQL answer is shaped by the query, so the gateway can
 * only decide what it can recognise: every object that carries `resourceType` is decided as a
 * resource (a denied one becomes null), and an answer holding an object with an `id` but no
 * `resourceType` is refused whole, because that object might be a resource the gateway cannot
 * decide. A compartment resource whose patient elements the query did not select is denied, as a
 * subsetted resource is. So queries must select `resourceType` and the patient references
 * (e.g. `subject { reference }`) of every resource they want back.
 */
import { CustosError } from '../errors.js';
import type { RequestAccess } from './request-access.js';
import { deniedError } from './response-filter.js';

type Json = Record<string, unknown>;

/** Filters `body.data` in place; returns how many nodes were removed. */
export function filterGraphqlAnswer(body: Json, access: RequestAccess): number {
  let removed = 0;
  const visit = (value: unknown, depth: number): unknown => {
    if (depth > 64) throw new CustosError('FORBIDDEN', 'the GraphQL answer is nested too deeply to be decided');
    if (Array.isArray(value)) return value.map((item) => visit(item, depth + 1));
    if (typeof value !== 'object' || value === null) return value;
    const node = value as Json;
    if (typeof node['resourceType'] === 'string') {
      // Decided as subsetted: a GraphQL node only holds what the query selected.
      const decision = access.resource({ ...node, meta: { tag: [{ code: 'SUBSETTED' }] } }, 'read');
      if (decision.rule === 'index-stale') throw deniedError(decision);
      if (!decision.permitted) {
        removed++;
        return null;
      }
    } else if ('id' in node) {
      throw new CustosError('FORBIDDEN', 'GraphQL queries through this gateway must select resourceType on every resource (and its patient references), so each one can be decided');
    }
    for (const key of Object.keys(node)) node[key] = visit(node[key], depth + 1);
    return node;
  };
  if ('data' in body) body['data'] = visit(body['data'], 0);
  return removed;
}
