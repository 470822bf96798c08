/**
 * Rules that span several settings, checked after the schema: each broken rule is one line naming
 * the field to fix, like schema problems.
 */
import type { CustosConfig, UpstreamAuthConfig } from './types.js';

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
  problems.push(...upstreamAuthProblems('upstream.auth', config.upstream.auth, config.upstream.url));
  problems.push(...sourceProblems(config));
  for (const [i, issuer] of config.identity.issuers.entries()) {
    if (!issuer.jwksUri === !issuer.jwksFile) problems.push(`identity.issuers[${i}]: needs exactly one of jwksUri or jwksFile`);
  }
  return problems;
}

/** Source ids are unique URL segments; routes name sources that exist. */
function sourceProblems(config: CustosConfig): string[] {
  const problems: string[] = [];
  const ids = new Set<string>(['default']);
  for (const [i, source] of config.sources.entries()) {
    if (ids.has(source.id)) problems.push(`sources[${i}].id: "${source.id}" is ${source.id === 'default' ? 'the name of the default source (upstream)' : 'used twice'}; every source needs its own id`);
    ids.add(source.id);
    if (source.auth) problems.push(...upstreamAuthProblems(`sources[${i}].auth`, source.auth, source.url));
    if (source.kind === 'csv' && source.url) problems.push(`sources[${i}].url: a csv source reads files (csv.patientsFile, csv.observationsFile), not a URL`);
  }
  for (const [type, id] of Object.entries(config.routing.types)) {
    if (!ids.has(id)) problems.push(`routing.types.${type}: names the source "${id}", which is not configured (sources[].id)`);
  }
  return problems;
}

/** The settings each upstream auth type reads; any other one is a mistake worth naming. */
const AUTH_FIELDS: Record<UpstreamAuthConfig['type'], readonly string[]> = {
  none: [],
  bearer: ['token'],
  basic: ['username', 'password'],
  mtls: ['certFile', 'keyFile', 'caFile', 'passphrase'],
  'smart-backend': ['tokenUrl', 'clientId', 'privateKeyFile', 'keyId', 'algorithm', 'scope', 'refreshBeforeSeconds'],
};

/**
 * One source's `auth` block against its URL: mutual TLS needs https, and a token endpoint off this
 * host must be https (the access token comes back in its answer). Never quotes a value.
 * @param where the config path of the block, e.g. `upstream.auth` or `sources[0].auth`
 */
export function upstreamAuthProblems(where: string, auth: UpstreamAuthConfig, url: string | null | undefined): string[] {
  const problems: string[] = [];
  const used = new Set(['type', ...AUTH_FIELDS[auth.type]]);
  for (const key of Object.keys(auth)) {
    if (!used.has(key)) problems.push(`${where}.${key}: is not used with auth type ${auth.type}; remove it`);
  }
  if (auth.type === 'mtls' && !url?.startsWith('https:')) {
    problems.push(`${where}.type: mtls needs an https: URL for this upstream`);
  }
  if (auth.type === 'smart-backend') {
    const token = new URL(auth.tokenUrl);
    if (token.protocol !== 'https:' && !LOOPBACK.test(token.hostname.replace(/^\[|\]$/g, ''))) {
      problems.push(`${where}.tokenUrl: must be https (only a loopback token endpoint may use http)`);
    }
  }
  return problems;
}
