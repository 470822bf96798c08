/**
 * Why a bearer token was refused, as a CustosError('UNAUTHENTICATED') whose message tells the
 * client what to fix and never quotes the token or its claims (they can carry personal data, and
 * an error page must not become a token echo). jose's own messages are not passed through: they
 * are written for developers of jose and may change between versions.
 */
import { errors } from 'jose';
import { CustosError } from '../../errors.js';
import { KeySourceUnavailable } from './trusted-issuers.js';

/** `details.token` of the error for an absent token: RFC 6750 §3.1 then wants no error code. */
export const MISSING_TOKEN = 'missing';

export function missingToken(message: string): CustosError {
  return new CustosError('UNAUTHENTICATED', message, { token: MISSING_TOKEN });
}

export function rejectToken(message: string, cause?: unknown): CustosError {
  return new CustosError('UNAUTHENTICATED', message, undefined, cause === undefined ? undefined : { cause });
}

/** Maps what jwtVerify (or a key resolver) threw. */
export function fromVerifyError(error: unknown): CustosError {
  if (error instanceof CustosError) return error;
  if (error instanceof KeySourceUnavailable) {
    // Not the client's fault and not a verdict on the token: fail closed, but say "try later".
    return new CustosError('UNAVAILABLE', "the signing keys of the token's issuer could not be fetched; try again later", undefined, { cause: error });
  }
  if (error instanceof errors.JWTExpired) return rejectToken('the token has expired; obtain a new one', error);
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'nbf':
        return rejectToken('the token is not valid yet (nbf is in the future); check the clocks', error);
      case 'aud':
        return rejectToken('the token is not meant for this gateway (aud does not name it)', error);
      case 'exp':
        return rejectToken(error.reason === 'missing' ? 'the token has no expiry (exp claim); tokens without one are not accepted' : 'the token\'s exp claim is not a number', error);
      default:
        return rejectToken(`the token's ${safeClaimName(error.claim)} claim is not acceptable`, error);
    }
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return rejectToken("no signing key of the token's issuer matches the token (unknown kid or key type)", error);
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return rejectToken('the token names no key id (kid) and its issuer has several keys that could match', error);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return rejectToken('the token signature does not verify', error);
  if (error instanceof errors.JOSEAlgNotAllowed) return rejectToken("the token's signing algorithm is not accepted for its issuer", error);
  if (error instanceof errors.JOSENotSupported) return rejectToken('the token uses a header, key type or algorithm this gateway does not support', error);
  if (error instanceof errors.JOSEError) return rejectToken('the token is not a well-formed signed JWT', error);
  return new CustosError('INTERNAL', 'token verification failed unexpectedly', undefined, { cause: error });
}

function safeClaimName(claim: string): string {
  return /^[A-Za-z_]{1,32}$/.test(claim) ? claim : 'a';
}
