/**
 * The `WWW-Authenticate` value that goes with a 401 (and, optionally, a 403 for scope), per
 * RFC 6750 §3: `Bearer realm="custos"` alone when the request carried no bearer token (§3.1: "the
 * resource server SHOULD NOT include an error code"), otherwise with `error="invalid_token"` or
 * `error="insufficient_scope"` and an `error_description`.
 */
import { CustosError } from '../../errors.js';
import { MISSING_TOKEN } from './token-rejections.js';

export const DEFAULT_REALM = 'custos';

/** For an error from Authenticator.authenticate (or an INSUFFICIENT_SCOPE from the decision). */
export function wwwAuthenticate(error: unknown, realm: string = DEFAULT_REALM): string {
  const params = [`realm="${quotable(realm)}"`];
  if (error instanceof CustosError && error.details?.['token'] !== MISSING_TOKEN) {
    if (error.code === 'UNAUTHENTICATED') params.push('error="invalid_token"');
    else if (error.code === 'INSUFFICIENT_SCOPE') params.push('error="insufficient_scope"');
    if (params.length > 1) params.push(`error_description="${quotable(error.message)}"`);
    const scope = error.details?.['scope'];
    if (error.code === 'INSUFFICIENT_SCOPE' && typeof scope === 'string') params.push(`scope="${quotable(scope)}"`);
  }
  return `Bearer ${params.join(', ')}`;
}

// RFC 6750 §3: error_description and scope values are limited to %x20-21 / %x23-5B / %x5D-7E,
// i.e. printable ASCII without `"` and `\`.
function quotable(text: string): string {
  return text.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?');
}
