/**
 * Break-the-glass: emergency access to one patient's data without (or against) their consent,
 * asked for with `X-Break-Glass: <reason>`. It is an exception that must stay rare and reviewable:
 *
 * - only actors that configuration names (`enforcement.breakGlass.actors`: a user such as
 *   `Practitioner/123`, or an organization whose users may) can claim it;
 * - a reason is required (it is recorded with the audit event and shown in the review report);
 * - reads only: read, vread, search, a resource's history, `$everything`;
 * - one patient per request: the request must name the patient (compartment search
 *   `/Patient/X/Type`, `patient=` / `subject=` with one patient, `Patient/X`, `Patient/X/$everything`)
 *   or, for a read by id, the resource must belong to exactly one patient. Other patients' data in
 *   the same answer is decided by their consent as usual.
 */
import { CustosError } from '../errors.js';
import type { FhirInteraction } from '../fhir/interaction.js';
import type { QueryParams } from '../fhir/query.js';
import type { BreakGlassClaim } from './access-actor.js';
import { isFhirId, type Actor } from './identity/actor.js';

export const BREAK_GLASS_HEADER = 'X-Break-Glass';
const MAX_REASON = 500;

export interface BreakGlassPolicy {
  /** References of users or organizations allowed to break the glass. */
  readonly actors: readonly string[];
}

export interface BreakGlassScope {
  readonly claim: BreakGlassClaim;
  /** The patient the request names; undefined for a read by id (then: the resource's one patient). */
  readonly patient: string | undefined;
}

/** Checks an `X-Break-Glass` header; undefined when there is none. */
export function checkBreakGlass(
  header: string | undefined,
  actor: Actor,
  interaction: FhirInteraction,
  params: QueryParams,
  policy: BreakGlassPolicy,
): BreakGlassScope | undefined {
  if (header === undefined) return undefined;
  const reason = header.trim();
  if (reason.length === 0) throw new CustosError('INVALID_REQUEST', `${BREAK_GLASS_HEADER} needs a reason, e.g. "${BREAK_GLASS_HEADER}: unconscious patient in ED"`);
  if (reason.length > MAX_REASON) throw new CustosError('INVALID_REQUEST', `${BREAK_GLASS_HEADER}: the reason is longer than ${MAX_REASON} characters`);
  const allowed = policy.actors.some((ref) => ref === actor.fhirUser || ref === actor.organization);
  if (!allowed) throw new CustosError('FORBIDDEN', 'this actor may not break the glass (enforcement.breakGlass.actors does not name it or its organization)');
  const claim = { reason };
  switch (interaction.kind) {
    case 'read':
    case 'vread':
    case 'history-instance':
      return { claim, patient: interaction.resourceType === 'Patient' ? interaction.id : undefined };
    case 'search-compartment':
      return { claim, patient: interaction.compartment!.id };
    case 'operation':
      if (interaction.operation === 'everything' && interaction.resourceType === 'Patient' && interaction.id) return { claim, patient: interaction.id };
      break;
    case 'search-type': {
      const patient = namedPatient(params);
      if (patient !== undefined) return { claim, patient };
      throw new CustosError('INVALID_REQUEST', `${BREAK_GLASS_HEADER} reaches one patient per request: search /Patient/{id}/${interaction.resourceType} or add patient={id}`);
    }
    default:
      break;
  }
  throw new CustosError('FORBIDDEN', `${BREAK_GLASS_HEADER} allows reads of one patient only (read, search, history of a resource, $everything), not ${interaction.kind}`);
}

/** The one patient named by `patient=` or `subject=Patient/…`, if exactly one is named. */
function namedPatient(params: QueryParams): string | undefined {
  const named = new Set<string>();
  for (const [name, value] of params) {
    const base = name.split(':')[0];
    if (base !== 'patient' && base !== 'subject') continue;
    for (const v of value.split(',')) {
      const id = v.startsWith('Patient/') ? v.slice('Patient/'.length) : base === 'patient' ? v : undefined;
      if (id === undefined || !isFhirId(id)) return undefined;
      named.add(id);
    }
  }
  return named.size === 1 ? named.values().next().value : undefined;
}
