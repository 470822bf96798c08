/**
 * Recording an R4 Consent resource as on-chain grants, shared by the admin API
 * (`POST /admin/consents/fhir`) and the FHIR API (a registrar's `POST /fhir/Consent`).
 *
 * Only registrars record consent; nobody can grant themselves (or their organization) access.
 * A Consent written through the FHIR API by anyone else is stored upstream as a document and has
 * no effect on access: the chain is the only source of consent.
 */
import { CustosError } from '../errors.js';
import { consentToGrants } from '../policy/consent-from-fhir.js';
import type { ConsentLedger } from '../policy/consents.js';
import type { Actor } from '../policy/identity/actor.js';
import type { SubjectOfReference } from '../policy/patient-reference-subject.js';
import type { Pseudonymizer } from '../policy/pseudonym.js';

import { REGISTRAR_SCOPES } from '../policy/access-actor.js';

export { REGISTRAR_SCOPES };

export interface ConsentCaller {
  readonly fhirUser?: string;
  readonly organization?: string;
  /** Raw scope strings from the token. */
  readonly scopes: readonly string[];
}

export interface ConsentIntakeDeps {
  readonly ledger: ConsentLedger;
  readonly pseudonyms: Pseudonymizer;
  nowSeconds(): number;
  /** The subject the Consent's patient reference names (identity across sources); absent: its pseudonym. */
  readonly subjectOf?: SubjectOfReference;
}

export interface RecordedConsent {
  readonly policyHash: string;
  readonly grants: ReadonlyArray<{ readonly id: string | undefined; readonly actor: string; readonly transactionHash: string; readonly blockNumber: number }>;
}

export function isRegistrar(caller: ConsentCaller): boolean {
  return REGISTRAR_SCOPES.some((s) => caller.scopes.includes(s));
}

export function refuseSelfGrant(caller: ConsentCaller, grantees: readonly string[]): void {
  if (grantees.some((g) => g === caller.fhirUser || g === caller.organization)) {
    throw new CustosError('FORBIDDEN', 'a caller cannot grant consent to itself or its own organization');
  }
}

export async function recordConsentResource(deps: ConsentIntakeDeps, caller: ConsentCaller, consent: unknown): Promise<RecordedConsent> {
  return (await prepareConsentResource(deps, caller, consent)).commit();
}

/**
 * Checks everything that can be checked without the chain (who, what, translation, and whose
 * consent it is: the subject is resolved here, through the source when identity spans sources), so
 * a FHIR write can be refused before it reaches the upstream; `commit` then records the grants.
 */
export async function prepareConsentResource(deps: ConsentIntakeDeps, caller: ConsentCaller, consent: unknown): Promise<{ commit(): Promise<RecordedConsent> }> {
  if (!isRegistrar(caller)) throw new CustosError('INSUFFICIENT_SCOPE', `recording consent needs the scope ${REGISTRAR_SCOPES.join(' or ')}`);
  const translated = consentToGrants(consent, deps.pseudonyms, deps.nowSeconds());
  refuseSelfGrant(caller, translated.actors);
  const subject = deps.subjectOf ? await deps.subjectOf(translated.patient) : undefined;
  return {
    async commit() {
      const grants = [];
      for (const [i, input] of translated.grants.entries()) {
        const receipt = await deps.ledger.grant(subject ? { ...input, subject } : input);
        grants.push({ id: receipt.grantId, actor: translated.actors[i]!, transactionHash: receipt.transactionHash, blockNumber: receipt.blockNumber });
      }
      return { policyHash: translated.policyHash, grants };
    },
  };
}

/** The caller as consent recording sees it, from an authenticated Actor. */
export function callerOf(actor: Actor): ConsentCaller {
  return {
    ...(actor.fhirUser ? { fhirUser: actor.fhirUser } : {}),
    ...(actor.organization ? { organization: actor.organization } : {}),
    scopes: [...actor.otherScopes, ...actor.scopes.map((s) => s.scope)],
  };
}
