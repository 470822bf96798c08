/**
 * Rules that span several settings, checked after the schema: each broken rule is one line naming
 * the field to fix, like schema problems.
 */
import type { CustosConfig } from './types.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function crossFieldProblems(config: CustosConfig): string[] {
  const problems: string[] = [];
  if (config.chain.rpcUrl) {
    if (!config.chain.signerKey) problems.push('chain.signerKey: is required when chain.rpcUrl is set (the gateway account that records grants and anchors)');
    if (!config.chain.deploymentFile) problems.push('chain.deploymentFile: is required when chain.rpcUrl is set (run `custos chain deploy` to create it)');
    if (!config.consent.pseudonymKey) problems.push('consent.pseudonymKey: is required when chain.rpcUrl is set (a secret of at least 32 bytes, shared by every replica)');
  }
  if (config.identity.devIssuer.enabled && !LOOPBACK.test(config.server.host)) {
    problems.push(`identity.devIssuer.enabled: is only allowed while server.host is a loopback address (got "${config.server.host}"); disable it in production`);
  }
  if (!config.identity.devIssuer.enabled && config.identity.issuers.length === 0) {
    problems.push('identity.issuers: at least one trusted token issuer is required when identity.devIssuer is disabled');
  }
  for (const [i, issuer] of config.identity.issuers.entries()) {
    if (!issuer.jwksUri === !issuer.jwksFile) problems.push(`identity.issuers[${i}]: needs exactly one of jwksUri or jwksFile`);
  }
  return problems;
}
