/**
 * Who is calling: the Actor every later step (decision, audit) works from. Plain data, built from
 * the claims of a verified SMART on FHIR access token
 * (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html, RFC 9068 for the JWT
 * access-token claims). Verification itself is an adapter's job (src/adapters/identity/); this
 * module only reads claims that were already verified, and refuses claims it cannot read rather
 * than guessing (a trusted issuer sending a malformed identity is still a malformed identity).
 */
import { CustosError } from '../../errors.js';
import { purposeOfUseFromClaims, type PurposeOfUse, type PurposeOfUseSource, type ResolvedPurposeOfUse } from './purpose-of-use.js';
import { parseScopes, type SmartScope } from './smart-scopes.js';

export interface Actor {
  /** The token's `sub`, unique within its issuer. */
  readonly subject: string;
  /** The user as a FHIR reference, e.g. `Practitioner/123` or `Patient/9` (from `fhirUser`). */
  readonly fhirUser?: string;
  /** The OAuth client acting (`client_id`, RFC 9068; else `azp`, OIDC). */
  readonly clientId: string;
  /** The user's organization, e.g. `Organization/org-01` (from an `organization` claim). */
  readonly organization?: string;
  /** Resource scopes granted; decisions name the one that allowed them (scopeAllows). */
  readonly scopes: readonly SmartScope[];
  /** Non-resource scopes granted (`openid`, `launch/patient`, `offline_access`, ...), for audit. */
  readonly otherScopes: readonly string[];
  /** Launch context: the patient id the app was launched for (`patient` claim). */
  readonly patient?: string;
  readonly purposeOfUse?: PurposeOfUse;
  readonly purposeOfUseSource?: PurposeOfUseSource;
  /** The verified `iss`. */
  readonly issuer: string;
  /** A SHA-256 of the token (base64url), for audit and logs; never the token itself. */
  readonly tokenId: string;
  /** The token's `exp`, Unix seconds. */
  readonly expiresAt: number;
}

/** What a token alone says about its bearer; a request adds the resolved purpose of use. */
export interface TokenIdentity extends Omit<Actor, 'purposeOfUse' | 'purposeOfUseSource'> {
  /** The purpose the token states, if any (it takes precedence over a request header). */
  readonly tokenPurposeOfUse?: PurposeOfUse;
}

/** User types a `fhirUser` may reference (SMART App Launch, "fhirUser" scope). */
export const FHIR_USER_TYPES: readonly string[] = ['Patient', 'Practitioner', 'PractitionerRole', 'RelatedPerson', 'Person'];
/** FHIR R4 id (https://hl7.org/fhir/R4/datatypes.html#id). */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

export function isFhirId(text: string): boolean {
  return FHIR_ID.test(text);
}

/**
 * A relative reference `Type/id` from a relative or absolute reference (`Practitioner/1`,
 * `https://ehr.example/fhir/Practitioner/1`, optionally with `/_history/n`), or undefined when the
 * text is not a reference to one of `types`. The base is dropped: the issuer, which vouches for the
 * identity, is kept beside it in the Actor.
 */
export function toRelativeReference(text: string, types: readonly string[]): string | undefined {
  const match = /^(?:https?:\/\/[^?#\s]+\/)?([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(text);
  return match && types.includes(match[1]!) ? `${match[1]}/${match[2]}` : undefined;
}

/** `Organization/x` from `Organization/x`, a bare id `x`, or an absolute reference. */
export function toOrganizationReference(text: string): string | undefined {
  return isFhirId(text) ? `Organization/${text}` : toRelativeReference(text, ['Organization']);
}

/** The patient id from `x` or `Patient/x` (the SMART `patient` claim is an id; some servers send a reference). */
export function toPatientId(text: string): string | undefined {
  if (isFhirId(text)) return text;
  return toRelativeReference(text, ['Patient'])?.slice('Patient/'.length);
}

/**
 * Reads the identity out of verified claims. Throws UNAUTHENTICATED when a claim the gateway needs
 * is missing or unreadable, and FORBIDDEN when the token states an unusable purpose of use.
 */
export function identityFromClaims(claims: Readonly<Record<string, unknown>>, tokenId: string): TokenIdentity {
  const issuer = requiredString(claims, 'iss');
  const subject = requiredString(claims, 'sub');
  const expiresAt = claims['exp'];
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) throw unreadable('the token has no expiry (exp claim)');
  const clientId = optionalString(claims, 'client_id') ?? optionalString(claims, 'azp');
  if (clientId === undefined) throw unreadable('the token names no client (client_id or azp claim)');

  const fhirUserClaim = optionalString(claims, 'fhirUser');
  const fhirUser = fhirUserClaim === undefined ? undefined : toRelativeReference(fhirUserClaim, FHIR_USER_TYPES);
  if (fhirUserClaim !== undefined && fhirUser === undefined) {
    throw unreadable(`the token's fhirUser claim is not a reference to a ${FHIR_USER_TYPES.join(', ')} resource`);
  }
  const organizationClaim = optionalString(claims, 'organization');
  const organization = organizationClaim === undefined ? undefined : toOrganizationReference(organizationClaim);
  if (organizationClaim !== undefined && organization === undefined) {
    throw unreadable("the token's organization claim is not an Organization id or reference");
  }
  const patientClaim = optionalString(claims, 'patient');
  const patient = patientClaim === undefined ? undefined : toPatientId(patientClaim);
  if (patientClaim !== undefined && patient === undefined) throw unreadable("the token's patient claim is not a Patient id");

  const granted = scopeClaim(claims);
  const scopes = parseScopes(granted);
  const tokenPurposeOfUse = purposeOfUseFromClaims(claims);
  return {
    subject,
    clientId,
    scopes: Object.freeze(scopes.resource),
    otherScopes: Object.freeze(scopes.other),
    issuer,
    tokenId,
    expiresAt,
    ...(fhirUser !== undefined ? { fhirUser } : {}),
    ...(organization !== undefined ? { organization } : {}),
    ...(patient !== undefined ? { patient } : {}),
    ...(tokenPurposeOfUse !== undefined ? { tokenPurposeOfUse } : {}),
  };
}

/** The Actor for one request: the token's identity plus the request's resolved purpose of use. */
export function actorOf(identity: TokenIdentity, purpose: ResolvedPurposeOfUse | undefined): Actor {
  const { tokenPurposeOfUse: _, ...actor } = identity;
  return purpose ? { ...actor, purposeOfUse: purpose.purposeOfUse, purposeOfUseSource: purpose.source } : actor;
}

/** `scope` (RFC 9068 §2.2.3, space-delimited) or `scp` (a string or an array, as some servers send). */
function scopeClaim(claims: Readonly<Record<string, unknown>>): string | string[] {
  for (const name of ['scope', 'scp']) {
    const value = claims[name];
    if (value === undefined) continue;
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.every((s): s is string => typeof s === 'string')) return value;
    throw unreadable(`the token's ${name} claim is neither a string nor an array of strings`);
  }
  return [];
}

function requiredString(claims: Readonly<Record<string, unknown>>, name: string): string {
  const value = optionalString(claims, name);
  if (value === undefined) throw unreadable(`the token has no ${name} claim`);
  return value;
}

function optionalString(claims: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw unreadable(`the token's ${name} claim is not a non-empty string`);
  return value;
}

function unreadable(message: string): CustosError {
  return new CustosError('UNAUTHENTICATED', message);
}
