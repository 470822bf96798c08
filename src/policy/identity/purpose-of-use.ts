/**
 * Purpose of use: why the caller wants the data, as an HL7 v3 PurposeOfUse code
 * (https://terminology.hl7.org/ValueSet-v3-PurposeOfUse.html, codes of the v3 ActReason system).
 * Consents are scoped by purpose, so every request resolves to at most one code, in this order:
 *
 *   1. the access token (`purpose_of_use` or `pou` claim): asserted by the authorization server;
 *   2. the `X-Purpose-Of-Use` request header, only when configuration allows it: asserted by the
 *      client alone, so a deployment that needs purposes vouched for keeps this off;
 *   3. the configured default (e.g. TREAT), or none.
 *
 * Ambiguity is refused, not resolved by guessing: several codes, an unknown code, or a header that
 * contradicts the token all fail with a message that says what to change.
 */
import { CustosError } from '../../errors.js';
import { CONSENT_PURPOSES } from '../consent-codes.js';

/** One code of CONSENT_PURPOSES (the purposes a consent on chain can name). */
export type PurposeOfUse = string;

/** Where the request's purpose came from; recorded in the audit event. */
export type PurposeOfUseSource = 'token' | 'header' | 'default';

export interface ResolvedPurposeOfUse {
  readonly purposeOfUse: PurposeOfUse;
  readonly source: PurposeOfUseSource;
}

export interface PurposeOfUsePolicy {
  /** Whether `X-Purpose-Of-Use` is read when the token states no purpose. */
  readonly acceptHeader: boolean;
  /** The purpose assumed when neither token nor header states one; absent = no purpose. */
  readonly default?: PurposeOfUse;
}

/** The code system of the PurposeOfUse value set; a code may be written `system|code`. */
export const PURPOSE_OF_USE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const SYSTEM_ALIASES: readonly string[] = [PURPOSE_OF_USE_SYSTEM, 'urn:oid:2.16.840.1.113883.5.8'];

/** Token claims read, in this order. `pou` is the short form some authorization servers emit. */
export const PURPOSE_OF_USE_CLAIMS: readonly string[] = ['purpose_of_use', 'pou'];

export const PURPOSE_OF_USE_HEADER = 'X-Purpose-Of-Use';

const ACCEPTED = `accepted codes: ${CONSENT_PURPOSES.join(', ')}`;

export function isPurposeOfUse(code: string): code is PurposeOfUse {
  return CONSENT_PURPOSES.includes(code);
}

/** Checks a policy from configuration; throws CONFIG_INVALID naming the bad default. */
export function checkPurposeOfUsePolicy(policy: PurposeOfUsePolicy): PurposeOfUsePolicy {
  if (policy.default !== undefined && !isPurposeOfUse(policy.default)) {
    throw new CustosError('CONFIG_INVALID', `identity.purposeOfUse.default: ${shown(policy.default)} is not a PurposeOfUse code (${ACCEPTED})`);
  }
  return policy;
}

/**
 * The purpose the token states, or undefined when it states none. A claim may be a code, a
 * `system|code`, or an array of them (an empty array states none). Throws FORBIDDEN when the token
 * states several different purposes or an unknown one: the token is genuine but unusable here.
 */
export function purposeOfUseFromClaims(claims: Readonly<Record<string, unknown>>): PurposeOfUse | undefined {
  const found = new Set<PurposeOfUse>();
  for (const claim of PURPOSE_OF_USE_CLAIMS) {
    const value = claims[claim];
    if (value === undefined) continue;
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      const code = typeof item === 'string' ? parseCode(item) : undefined;
      if (code === undefined) {
        throw new CustosError('FORBIDDEN', `the token's ${claim} claim holds ${typeof item === 'string' ? shown(item) : 'a non-string value'}, which is not a PurposeOfUse code (${ACCEPTED})`);
      }
      found.add(code);
    }
  }
  if (found.size > 1) {
    throw new CustosError('FORBIDDEN', `the token states several purposes of use (${[...found].join(', ')}); request a token with exactly one`);
  }
  return found.values().next().value;
}

/**
 * The request's purpose of use (see the order above), or undefined when there is none and no
 * default. `header` is the raw `X-Purpose-Of-Use` value (repeated headers arrive comma-joined).
 */
export function resolvePurposeOfUse(
  fromToken: PurposeOfUse | undefined,
  header: string | undefined,
  policy: PurposeOfUsePolicy,
): ResolvedPurposeOfUse | undefined {
  const fromHeader = header === undefined ? undefined : parseHeader(header, policy);
  if (fromToken !== undefined) {
    if (fromHeader !== undefined && fromHeader !== fromToken) {
      throw new CustosError('FORBIDDEN', `${PURPOSE_OF_USE_HEADER} (${fromHeader}) contradicts the purpose of use in the access token (${fromToken}); drop the header or request a token for ${fromHeader}`);
    }
    return { purposeOfUse: fromToken, source: 'token' };
  }
  if (fromHeader !== undefined) return { purposeOfUse: fromHeader, source: 'header' };
  if (policy.default !== undefined) return { purposeOfUse: policy.default, source: 'default' };
  return undefined;
}

function parseHeader(header: string, policy: PurposeOfUsePolicy): PurposeOfUse {
  if (!policy.acceptHeader) {
    throw new CustosError('INVALID_REQUEST', `this gateway does not accept the ${PURPOSE_OF_USE_HEADER} header: the purpose of use must come from the access token; remove the header`);
  }
  if (header.includes(',')) {
    throw new CustosError('INVALID_REQUEST', `${PURPOSE_OF_USE_HEADER} must carry exactly one code`);
  }
  const code = parseCode(header.trim());
  if (code === undefined) {
    throw new CustosError('INVALID_REQUEST', `${PURPOSE_OF_USE_HEADER}: ${shown(header.trim())} is not a PurposeOfUse code (${ACCEPTED})`);
  }
  return code;
}

/** `TREAT` or `http://terminology.hl7.org/CodeSystem/v3-ActReason|TREAT`; codes are case-sensitive. */
function parseCode(text: string): PurposeOfUse | undefined {
  const bar = text.lastIndexOf('|');
  if (bar >= 0 && !SYSTEM_ALIASES.includes(text.slice(0, bar))) return undefined;
  const code = text.slice(bar + 1);
  return isPurposeOfUse(code) ? code : undefined;
}

/** Echoes caller input only when it looks like a code; anything else could be arbitrary text. */
function shown(text: string): string {
  return /^[A-Za-z0-9_-]{1,32}$/.test(text) ? `"${text}"` : 'a value';
}
