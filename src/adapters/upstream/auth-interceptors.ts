/**
 * Upstream credentials, each a small interceptor in front of the source. The client's own
 * Authorization header never reaches the upstream (header hygiene drops it); these add the
 * gateway's credentials from configuration instead.
 */
import type { UpstreamAuthConfig } from '../../config/types.js';
import type { Interceptor } from '../../fhir/upstream.js';

export function authInterceptor(auth: UpstreamAuthConfig): Interceptor | undefined {
  switch (auth.type) {
    case 'none':
      return undefined;
    case 'bearer':
      return withAuthorization(`Bearer ${auth.token}`);
    case 'basic':
      return withAuthorization(`Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`);
  }
}

function withAuthorization(value: string): Interceptor {
  return (next) => (request) => next({ ...request, headers: { ...request.headers, authorization: value } });
}
