/**
 * Decide-before: the request shapes refused outright, the ones decided before anything is forwarded,
 * and how a search is sent upstream so that its answer can be decided entry by entry.
 *
 * - Type and system history are refused for user-level and patient callers (they would list
 *   every patient's changes); a backend service gets them filtered.
 * - Operations: `$everything` on a permitted patient only; `$graphql` only when configuration
 *   enables it; `$export` only for backend services that configuration names; any other operation
 *   only when configuration lists it, or for backend services (their answers are filtered).
 * - Searches: `_summary=count` and `_total=accurate|estimate` are refused whenever entries could be
 *   filtered (a count would include what the caller may not see); chained and `_has` parameters on
 *   a type outside the patient compartment are refused (`Practitioner?_has:Observation:performer:subject=…`
 *   would say something about a patient through a resource that is not theirs, and that answer is
 *   not filterable); `_elements` is widened with the elements that say whose data a resource is,
 *   which are taken out again after the decision, and `_summary=text` becomes the equivalent
 *   `_elements=text` so that those elements come back.
 */
import { CustosError } from '../errors.js';
import type { FhirInteraction } from '../fhir/interaction.js';
import type { PatientCompartment } from '../fhir/patient-compartment.js';
import type { QueryParams } from '../fhir/query.js';
import { R4_RESOURCE_TYPES } from '../fhir/resource-types.js';
import type { AccessActor } from './access-actor.js';
import type { FilterOptions } from './response-filter.js';

export interface OperationPolicy {
  /** Operations (without `$`) user-level and patient callers may invoke, besides `$everything`. */
  readonly allowed: readonly string[];
  readonly graphql: boolean;
  /** Client ids of backend services allowed to run `$export`. */
  readonly bulkExportClients: readonly string[];
}

export interface RequestPlan {
  /** The query to forward. */
  readonly params: QueryParams;
  readonly filter: FilterOptions;
  /** Patients to decide before forwarding (compartment searches, `$everything`). */
  readonly decideFirst?: { readonly resourceType: string; readonly patient: string };
}

export function planRequest(
  interaction: FhirInteraction,
  params: QueryParams,
  actor: AccessActor,
  clientId: string,
  compartment: PatientCompartment,
  policy: OperationPolicy,
): RequestPlan {
  const userLevel = actor.level !== 'system';
  switch (interaction.kind) {
    case 'history-type':
    case 'history-system':
      if (userLevel) throw new CustosError('FORBIDDEN', "type and system history list every patient's changes; read one resource's history instead (/{type}/{id}/_history)");
      return { params, filter: { dropTotal: true } };
    case 'operation':
      return planOperation(interaction, params, actor, clientId, policy);
    case 'search-type':
    case 'search-system':
    case 'search-compartment':
      return planSearch(interaction, params, compartment);
    case 'read':
    case 'vread':
      return withElements(params, interaction.resourceType ? [interaction.resourceType] : [], compartment, false);
    default:
      return { params, filter: { dropTotal: true } };
  }
}

function planOperation(
  interaction: FhirInteraction,
  params: QueryParams,
  actor: AccessActor,
  clientId: string,
  policy: OperationPolicy,
): RequestPlan {
  const op = interaction.operation ?? '';
  const userLevel = actor.level !== 'system';
  if (op === 'graphql' && !policy.graphql) {
    throw new CustosError('FORBIDDEN', '$graphql is disabled on this gateway (enforcement.graphql): use the REST API, whose answers are filtered by consent');
  }
  if (op === 'graphql') return { params, filter: { dropTotal: true } }; // decided node by node (graphql-filter.ts)
  if (op === 'export') {
    if (actor.level !== 'system' || !policy.bulkExportClients.includes(clientId)) {
      throw new CustosError('FORBIDDEN', '$export is only for backend services named in enforcement.bulkExport.clients');
    }
    return { params, filter: { dropTotal: true } };
  }
  if (op === 'everything') {
    if (interaction.resourceType === 'Patient' && interaction.id) {
      return { params, filter: { dropTotal: true }, decideFirst: { resourceType: 'Patient', patient: interaction.id } };
    }
    if (userLevel) throw new CustosError('FORBIDDEN', '$everything is available for one patient at a time: /Patient/{id}/$everything');
    return { params, filter: { dropTotal: true } };
  }
  if (userLevel && !policy.allowed.includes(op)) {
    throw new CustosError('FORBIDDEN', `the operation $${op.slice(0, 64)} is not enabled for users on this gateway (enforcement.operations)`);
  }
  return { params, filter: { dropTotal: true } };
}

function planSearch(interaction: FhirInteraction, params: QueryParams, compartment: PatientCompartment): RequestPlan {
  const types = searchedTypes(interaction, params);
  const includes = params.some(([name]) => name.startsWith('_include') || name.startsWith('_revinclude'));
  const couldFilter = includes || types === undefined || types.some((t) => compartment.isCompartmentType(t));
  for (const [name, value] of params) {
    if (couldFilter && ((name === '_summary' && value === 'count') || (name === '_total' && value !== 'none'))) {
      throw new CustosError('FORBIDDEN', `${name === '_total' ? '_total' : '_summary=count'} is not available here: results are filtered by consent, so a count would include what this caller may not see`);
    }
    const chained = name.startsWith('_has:') || (!name.startsWith('_') && name.split(':')[0]!.includes('.'));
    if (chained && types !== undefined && types.every((t) => !compartment.isCompartmentType(t))) {
      throw new CustosError('FORBIDDEN', "chained and _has search parameters are not available on resource types outside the patient compartment: their matches would reveal patient data that consent filtering cannot remove; search the patient's resources directly");
    }
  }
  const plan = withElements(params, types ?? compartment.types, compartment, couldFilter);
  if (interaction.kind === 'search-compartment') {
    return { ...plan, decideFirst: { resourceType: interaction.resourceType ?? 'Patient', patient: interaction.compartment!.id } };
  }
  return plan;
}

/** The types a search returns as matches: its type, `_type`, or undefined for "every type". */
function searchedTypes(interaction: FhirInteraction, params: QueryParams): string[] | undefined {
  if (interaction.kind !== 'search-system') return interaction.resourceType ? [interaction.resourceType] : undefined;
  const listed = params.filter(([name]) => name === '_type').flatMap(([, v]) => v.split(','));
  // Checked here, not left to the upstream: a type this gateway does not recognise (`Patient ` with
  // a space) would count as outside the compartment and let a count or a chain through.
  for (const type of listed) {
    if (!R4_RESOURCE_TYPES.has(type)) throw new CustosError('UNKNOWN_RESOURCE_TYPE', '_type lists a name that is not an R4 resource type (types are case-sensitive, e.g. "Observation")');
  }
  return listed.length > 0 ? listed : undefined;
}

/** Widens `_elements` (or `_summary=text`) with what the decision needs; the additions are trimmed later. */
function withElements(params: QueryParams, types: readonly string[], compartment: PatientCompartment, couldFilter: boolean): RequestPlan {
  const elementsParam = params.find(([name]) => name === '_elements');
  const summaryText = params.some(([name, value]) => name === '_summary' && value === 'text');
  const filter = { dropTotal: couldFilter };
  if (!elementsParam && !summaryText) return { params, filter };
  const needed = new Set<string>();
  for (const t of types) for (const e of compartment.elementsOf(t)) needed.add(e);
  if (needed.size === 0) return { params, filter };
  const requested = new Set((elementsParam?.[1] ?? 'text').split(',').map((e) => e.trim()).filter(Boolean));
  const added = [...needed].filter((e) => !requested.has(e) && e !== 'id');
  const rest = params.filter(([name, value]) => name !== '_elements' && !(name === '_summary' && value === 'text'));
  return { params: [...rest, ['_elements', [...requested, ...added].join(',')]], filter: { ...filter, trimElements: added } };
}
