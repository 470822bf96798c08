/**
 * Wires "who is calling" from configuration: the trusted issuers, plus, in embedded mode only,
 * the local dev issuer whose key lives in the data directory (`custos token` mints with it).
 */
import { resolve } from 'node:path';
import { createAuthenticator, type Authenticator } from '../adapters/identity/authenticator.js';
import { createDevIssuer, type DevIssuer } from '../adapters/identity/dev-issuer.js';
import { createJwtVerifier } from '../adapters/identity/jwt-verifier.js';
import type { TrustedIssuerConfig } from '../adapters/identity/trusted-issuers.js';
import type { CustosConfig } from '../config/types.js';

export interface ComposedIdentity {
  readonly authenticator: Authenticator;
  readonly devIssuer?: DevIssuer;
}

export async function composeIdentity(config: CustosConfig): Promise<ComposedIdentity> {
  const issuers: TrustedIssuerConfig[] = config.identity.issuers.map((i) => ({ ...i }));
  let devIssuer: DevIssuer | undefined;
  if (config.identity.devIssuer.enabled) {
    // The config loader already refused the dev issuer unless the server listens on loopback.
    devIssuer = await createDevIssuer({ dataDir: resolve(config.dataDir), production: false });
    issuers.push(devIssuer.trustedIssuer());
  }
  const verifier = createJwtVerifier({ issuers, clockSkewSeconds: config.identity.clockSkewSeconds });
  const authenticator = createAuthenticator({
    verifier,
    purposeOfUse: {
      acceptHeader: config.identity.purposeOfUse.header,
      ...(config.identity.purposeOfUse.default ? { default: config.identity.purposeOfUse.default } : {}),
    },
  });
  return { authenticator, ...(devIssuer ? { devIssuer } : {}) };
}
