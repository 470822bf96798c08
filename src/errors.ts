/**
 * The one error base of Custos (after sigstore-js `BaseError<Code>` and undici `UND_ERR_*`).
 *
 * Code throws `new CustosError('UNKNOWN_RESOURCE_TYPE', 'Unknown resource type "patient"')`;
 * one module (`src/http/error-mapper.ts`) turns it into an HTTP status and an OperationOutcome or
 * problem document. No handler sets a status code by hand.
 *
 * Messages are shown to the caller: they must say what to fix and must never contain request
 * bodies, query values or anything else that could be personal data.
 */
export type CustosErrorCode =
  // The request itself is wrong
  | 'INVALID_PATH'
  | 'INVALID_REQUEST'
  | 'MALFORMED_JSON'
  | 'UNKNOWN_RESOURCE_TYPE'
  | 'INVALID_RESOURCE' // 400: a written resource fails R4 validation (the answer lists each failing element)
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'NOT_ACCEPTABLE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  // Who is calling, and may they
  | 'UNAUTHENTICATED' // 401 + WWW-Authenticate: missing, malformed, expired or untrusted token
  | 'RATE_LIMITED' // 429 + Retry-After: too many requests without a valid token from one address
  | 'INSUFFICIENT_SCOPE' // 403: the token's scopes do not allow the interaction
  | 'FORBIDDEN' // 403: not allowed for another reason (role, configuration)
  | 'CONSENT_DENIED' // 403: the patient's consent does not allow it (the decision names the rule)
  | 'PRECONDITION_FAILED' // 412: e.g. a conditional write whose criteria match several resources
  | 'CONFLICT' // 409: e.g. revoking a grant that is already revoked
  // The upstream FHIR server failed us
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_BAD_RESPONSE'
  | 'UPSTREAM_AUTH_FAILED' // 502: the gateway could not obtain its own credentials for the upstream (e.g. token endpoint down)
  // The gateway is not able to serve right now
  | 'UNAVAILABLE'
  | 'LEDGER_UNAVAILABLE' // 503: the chain or the consent index is not usable (fail closed)
  | 'AUDIT_UNAVAILABLE' // 503 + Retry-After: the audit event could not be committed, so no data is served
  // Configuration rejected at start
  | 'CONFIG_INVALID'
  // A bug: never shown in detail to the caller
  | 'INTERNAL';

export class CustosError extends Error {
  override readonly name = 'CustosError';

  constructor(
    readonly code: CustosErrorCode,
    message: string,
    /** Extra, non-personal facts for the caller (e.g. the JSON parse position). */
    readonly details?: Readonly<Record<string, string | number>>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isCustosError(value: unknown): value is CustosError {
  return value instanceof CustosError;
}
