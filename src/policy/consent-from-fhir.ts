/**
 * Translates an R4 Consent resource (https://hl7.org/fhir/R4/consent.html) into on-chain grants:
 * one grant per `provision.actor`, scoped by `provision.class` (resource types), `provision.action`,
 * `provision.purpose` and `provision.period`, with the SHA-256 of the Consent's RFC 8785 canonical
 * form as the policy hash. Only the top-level provision is read; nested provisions (exceptions)
 * are refused rather than silently ignored, since ignoring one could widen access.
 */
import { createHash } from 'node:crypto';
import { CustosError } from '../errors.js';
import { canonicalJson } from '../fhir/canonical-json.js';
import { CONSENT_ACTIONS, CONSENT_PURPOSES, CONSENT_RESOURCE_TYPES, allBits, toMask } from './consent-codes.js';
import type { ConsentEffect, GrantInput } from './consent-model.js';
import type { Pseudonymizer } from './pseudonym.js';

const RESOURCE_TYPES_SYSTEM = 'http://hl7.org/fhir/resource-types';
const ACTION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/consentaction';
/** consentaction codes → our actions: reading the record, or changing it. */
const ACTION_MAP: Record<string, 'read' | 'write'> = { access: 'read', use: 'read', disclose: 'read', collect: 'write', correct: 'write' };

export interface TranslatedConsent {
  /** `Patient/<id>` */
  readonly patient: string;
  /** Literal references of the actors, one grant each, in the same order as `grants`. */
  readonly actors: readonly string[];
  readonly grants: readonly GrantInput[];
  readonly policyHash: string;
}

interface Coding { system?: string; code?: string }
interface Provision {
  type?: string;
  period?: { start?: string; end?: string };
  actor?: Array<{ reference?: { reference?: string } }>;
  action?: Array<{ coding?: Coding[] }>;
  purpose?: Coding[];
  class?: Coding[];
  provision?: unknown[];
}

export function consentToGrants(consent: unknown, pseudonyms: Pseudonymizer, nowSeconds: number): TranslatedConsent {
  const c = consent as { resourceType?: string; status?: string; patient?: { reference?: string }; provision?: Provision } | null;
  if (c?.resourceType !== 'Consent') throw invalid('the body must be a FHIR Consent resource', 'Consent');
  if (c.status !== 'active') throw invalid('only a Consent with status "active" is recorded; revoke a grant to withdraw consent', 'Consent.status');
  const patient = c.patient?.reference ?? '';
  if (!/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(patient)) throw invalid('Consent.patient must reference a Patient as "Patient/<id>"', 'Consent.patient');
  const provision = c.provision;
  if (!provision) throw invalid('Consent.provision is required: it says who may do what', 'Consent.provision');
  if (provision.provision?.length) throw invalid('nested provisions (exceptions) are not supported; record them as separate Consents', 'Consent.provision.provision');
  const effect: ConsentEffect = provision.type === 'deny' ? 'deny' : provision.type === 'permit' ? 'permit' : failEffect();

  const actors = (provision.actor ?? []).map((a, i) => {
    const ref = a.reference?.reference ?? '';
    if (!/^(Practitioner|PractitionerRole|Organization|RelatedPerson|Patient|Device|CareTeam)\/[A-Za-z0-9\-.]{1,64}$/.test(ref)) {
      throw invalid('each provision.actor.reference must be a literal reference such as "Practitioner/123" or "Organization/9"', `Consent.provision.actor[${i}].reference`);
    }
    return ref;
  });
  if (actors.length === 0) throw invalid('Consent.provision.actor is required: a grant to everyone is not recorded', 'Consent.provision.actor');

  const types = codes(provision.class, RESOURCE_TYPES_SYSTEM, 'Consent.provision.class');
  const resourceTypes = types.length ? mask(CONSENT_RESOURCE_TYPES, types, 'resource type in the Patient compartment', 'Consent.provision.class') : allBits(CONSENT_RESOURCE_TYPES);
  const actionCodes = (provision.action ?? []).flatMap((a) => codes(a.coding, ACTION_SYSTEM, 'Consent.provision.action'));
  const actionNames = actionCodes.length ? actionCodes.map((code) => ACTION_MAP[code] ?? failAction(code)) : ['read'];
  const actions = toMask(CONSENT_ACTIONS, [...new Set(actionNames)], 'action');
  const purposeCodes = (provision.purpose ?? []).map((p) => p.code ?? '');
  const purposes = purposeCodes.length ? mask(CONSENT_PURPOSES, purposeCodes, 'purpose of use', 'Consent.provision.purpose') : allBits(CONSENT_PURPOSES);
  const notBefore = seconds(provision.period?.start, 'Consent.provision.period.start');
  const notAfter = seconds(provision.period?.end, 'Consent.provision.period.end');
  if (notAfter && notBefore && notAfter <= notBefore) throw invalid('provision.period.end must be after its start', 'Consent.provision.period');
  if (notAfter && notAfter <= nowSeconds) throw invalid('provision.period.end is in the past', 'Consent.provision.period.end');

  const policyHash = '0x' + createHash('sha256').update(canonicalJson(consent)).digest('hex');
  const subject = pseudonyms.of('subject', patient);
  const grants = actors.map((actor) => ({
    subject,
    grantee: pseudonyms.grantee(actor),
    effect,
    resourceTypes,
    actions,
    purposes,
    notBefore,
    notAfter,
    policyHash,
  }));
  return { patient, actors, grants, policyHash };
}

function codes(codings: Coding[] | undefined, system: string, where: string): string[] {
  return (codings ?? []).map((coding, i) => {
    if (coding.system !== system || !coding.code) throw invalid(`codes here must come from ${system}`, `${where}[${i}]`);
    return coding.code;
  });
}

function mask(list: readonly string[], names: string[], what: string, where: string): bigint {
  try {
    return toMask(list, names, what);
  } catch (error) {
    throw invalid((error as Error).message, where);
  }
}

function seconds(text: string | undefined, where: string): number {
  if (text === undefined) return 0;
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) throw invalid('must be a FHIR date or dateTime', where);
  return Math.floor(ms / 1000);
}

function failEffect(): never {
  throw invalid('provision.type must be "permit" or "deny"', 'Consent.provision.type');
}

function failAction(code: string): never {
  throw invalid(`unsupported consent action "${code.slice(0, 40)}" (use access, use, disclose, collect or correct)`, 'Consent.provision.action');
}

function invalid(message: string, expression: string): CustosError {
  return new CustosError('INVALID_REQUEST', `${expression}: ${message}`);
}
