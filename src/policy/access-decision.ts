/**
 * The consent decision, as a pure function: actor × action × resource type × patients × now →
 * permit or deny, always naming the rule (and the grants) that decided, so the audit event can
 * record it (medplum's `satisfiedAccessPolicy` returns the policy that matched, not a boolean).
 *
 * Rules, in order, for a resource whose compartment holds `patients`:
 *
 * 0. Registrars (`custos/registrar`, `custos/admin`) read and write Consent resources (`registrar`):
 *    recording consent is their job, and a Consent they write becomes grants on chain.
 * 1. No patient compartment holds it (Practitioner, Medication, ...): scopes alone decide
 *    (`scope-only`), except for a caller confined to one patient's compartment, who may still read
 *    such shared resources but may not write them.
 * 2. Deny overrides: EVERY patient must permit, else the resource is denied (a resource in
 *    several patients' compartments is visible only if all of them allow it).
 * 3. For each patient: a caller confined to another patient's compartment is denied
 *    (`outside-compartment`); a patient's own data needs no grant (`self`), except that a
 *    resource shared with other patients still needs theirs; a break-the-glass read of the one
 *    patient it names is permitted (`break-the-glass`, flagged); otherwise the consent index
 *    answers for (patient, actor or organization, type, action, purpose, now); a request without
 *    a purpose of use cannot be permitted by consent (`no-purpose`).
 */
import { CONSENT_ACTIONS, CONSENT_RESOURCE_TYPES, bitOf } from './consent-codes.js';
import type { Bytes32, ConsentAnswer, ConsentQuery } from './consent-model.js';
import type { AccessActor } from './access-actor.js';

export type AccessAction = 'read' | 'write';

export type DecisionRule =
  | 'scope-only'
  | 'self'
  | 'grant'
  | 'opt-out-default'
  | 'break-the-glass'
  | 'denial'
  | 'no-grant'
  | 'index-stale'
  | 'outside-compartment'
  | 'no-purpose'
  | 'shared-resource-write'
  | 'insufficient-scope'
  | 'subsetted'
  | 'unknown-security-context'
  | 'registrar';

export interface AccessDecision {
  readonly permitted: boolean;
  readonly rule: DecisionRule;
  /** The grants that permitted (one per patient decided by consent). */
  readonly grantIds: readonly string[];
  /** The patient whose answer denied (for audit only: never shown to the caller). */
  readonly deniedPatient?: string;
  /** The grant that denied, for an explicit denial. */
  readonly deniedBy?: string;
}

/** The consent index, as the decision reads it (ConsentIndexer implements it). */
export interface ConsentReader {
  decide(query: ConsentQuery): ConsentAnswer;
}

export interface AccessQuestion {
  readonly actor: AccessActor;
  readonly action: AccessAction;
  readonly resourceType: string;
  /** Patient ids whose compartments hold the resource (empty: none does). */
  readonly patients: readonly string[];
  /** The one patient a break-the-glass claim reaches in this request, if any. */
  readonly breakGlassPatient?: string;
  /** Unix seconds. */
  readonly now: number;
  /**
   * At a source other than the default one, the actor's own patient id (`self` / `confinedTo`, an
   * id of the default source) means nothing: her records there are the patients with this subject
   * (identity across sources), or none at all (null: no identifier system, or not resolvable).
   * Undefined: the default source, where ids are compared as they are.
   */
  readonly selfSubject?: Bytes32 | null;
}

const SCOPE_ONLY: AccessDecision = Object.freeze({ permitted: true, rule: 'scope-only', grantIds: [] });
const SELF: AccessDecision = Object.freeze({ permitted: true, rule: 'self', grantIds: [] });
const REGISTRAR: AccessDecision = Object.freeze({ permitted: true, rule: 'registrar', grantIds: [] });
const SHARED_WRITE: AccessDecision = Object.freeze({ permitted: false, rule: 'shared-resource-write', grantIds: [] });
const ACTION_BITS: Record<AccessAction, number> = { read: bitOf(CONSENT_ACTIONS, 'read'), write: bitOf(CONSENT_ACTIONS, 'write') };

export function decideAccess(q: AccessQuestion, consents: ConsentReader, subjectOf: (patientId: string) => Bytes32): AccessDecision {
  const { actor, patients } = q;
  if (actor.registrar && q.resourceType === 'Consent') return REGISTRAR;
  if (patients.length === 0) {
    // A compartment type with no patient (e.g. a device's Observation) is as shared as a Practitioner.
    if (actor.confinedTo !== undefined && q.action === 'write') return SHARED_WRITE;
    return SCOPE_ONLY;
  }
  let grantIds: string[] | undefined;
  let breakGlass = false;
  let optOut = false;
  const typeBit = bitOf(CONSENT_RESOURCE_TYPES, q.resourceType);
  const selfSubject = q.selfSubject;
  const own = selfSubject === undefined
    ? (patient: string) => patient === actor.confinedTo
    : (patient: string) => selfSubject !== null && subjectOf(patient) === selfSubject;
  if (actor.confinedTo !== undefined && !patients.some(own)) {
    return { permitted: false, rule: 'outside-compartment', grantIds: [], deniedPatient: patients[0]! };
  }
  for (const patient of patients) {
    if (actor.self !== undefined && (selfSubject === undefined ? patient === actor.self : own(patient))) continue;
    if (q.breakGlassPatient === patient && q.action === 'read' && actor.breakGlass) {
      breakGlass = true;
      continue;
    }
    if (actor.purposeBit < 0) return { permitted: false, rule: 'no-purpose', grantIds: [], deniedPatient: patient };
    if (typeBit < 0) return { permitted: false, rule: 'no-grant', grantIds: [], deniedPatient: patient };
    const answer = consents.decide({
      subject: subjectOf(patient),
      grantees: actor.grantees,
      resourceTypeBit: typeBit,
      actionBit: ACTION_BITS[q.action],
      purposeBit: actor.purposeBit,
      now: q.now,
    });
    if (!answer.permitted) {
      return { permitted: false, rule: answer.rule, grantIds: [], deniedPatient: patient, ...(answer.grantId ? { deniedBy: answer.grantId } : {}) };
    }
    if (answer.grantId !== null) (grantIds ??= []).push(answer.grantId);
    else optOut = true;
  }
  if (breakGlass) return { permitted: true, rule: 'break-the-glass', grantIds: grantIds ?? [] };
  if (grantIds) return { permitted: true, rule: 'grant', grantIds };
  if (optOut) return { permitted: true, rule: 'opt-out-default', grantIds: [] };
  return SELF;
}
