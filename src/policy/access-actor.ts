/**
 * The caller as the consent decision sees it, built once per request from the authenticated Actor:
 *
 * - **level**: `patient` (the user is a Patient: `fhirUser` = `Patient/X`), `system` (a backend
 *   service: `system/` scopes and no user), or `user` (everyone else, e.g. a practitioner).
 * - **confinedTo**: the one patient whose compartment the caller may reach at all. A patient acting
 *   for themselves reaches their own compartment only; an app holding only `patient/` scopes
 *   reaches the launch patient's (`patient` claim) only, and nothing when no patient was launched.
 * - **grantees**: the pseudonyms a consent grant must name to apply: the user (`fhirUser`, or
 *   `Device/{client_id}` for a backend service without a user) and the user's organization.
 * - **purposeBit**: the request's purpose of use as a bit of CONSENT_PURPOSES, -1 when it has none
 *   (then consent cannot permit anything: grants are always scoped by purpose).
 * - **breakGlass**: an emergency-access claim (`X-Break-Glass: <reason>`), already checked against
 *   configuration; it never permits a write and reaches one patient per request.
 */
import { CONSENT_PURPOSES, bitOf } from './consent-codes.js';
import type { Bytes32 } from './consent-model.js';
import { isFhirId, type Actor } from './identity/actor.js';
import type { Pseudonymizer } from './pseudonym.js';

export type ActorLevel = 'patient' | 'user' | 'system';

/** Scopes of the people who record consent (Custos' own, not SMART): they read and write Consent resources. */
export const REGISTRAR_SCOPES = ['custos/registrar', 'custos/admin'] as const;

export interface BreakGlassClaim {
  /** Why (free text from the caller, kept for audit and review; never logged). */
  readonly reason: string;
}

export interface AccessActor {
  readonly level: ActorLevel;
  /** The only patient whose compartment the caller may reach, '' for none at all; undefined = not confined. */
  readonly confinedTo: string | undefined;
  /** The patient a patient-level caller is (their own data needs no grant). */
  readonly self: string | undefined;
  readonly grantees: readonly Bytes32[];
  readonly purposeBit: number;
  readonly breakGlass: BreakGlassClaim | undefined;
  /** A registrar records consent: Consent resources are theirs to read and write, whoever the patient. */
  readonly registrar: boolean;
}

/** The references a consent grant names for this actor, most specific first. */
export function granteeReferences(actor: Actor): string[] {
  const refs: string[] = [];
  if (actor.fhirUser) refs.push(actor.fhirUser);
  else if (isFhirId(actor.clientId)) refs.push(`Device/${actor.clientId}`);
  if (actor.organization) refs.push(actor.organization);
  return refs;
}

export function actorLevel(actor: Actor): ActorLevel {
  if (actor.fhirUser?.startsWith('Patient/')) return 'patient';
  if (!actor.fhirUser && actor.scopes.some((s) => s.context === 'system')) return 'system';
  return 'user';
}

/**
 * Builds the AccessActor. `breakGlass` must already have been checked (see break-glass.ts).
 * Pseudonyms are HMACs (≈ 6 µs each): callers cache the result per Actor.
 */
export function toAccessActor(actor: Actor, pseudonyms: Pseudonymizer, breakGlass?: BreakGlassClaim): AccessActor {
  const level = actorLevel(actor);
  const self = level === 'patient' ? actor.fhirUser!.slice('Patient/'.length) : undefined;
  let confinedTo = self;
  if (confinedTo === undefined && actor.scopes.length > 0 && actor.scopes.every((s) => s.context === 'patient')) {
    confinedTo = actor.patient ?? '';
  }
  return {
    level,
    confinedTo,
    self,
    grantees: granteeReferences(actor).map((ref) => pseudonyms.grantee(ref)),
    purposeBit: actor.purposeOfUse === undefined ? -1 : bitOf(CONSENT_PURPOSES, actor.purposeOfUse),
    breakGlass,
    registrar: REGISTRAR_SCOPES.some((s) => actor.otherScopes.includes(s)),
  };
}
