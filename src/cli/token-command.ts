import type { Command } from 'commander';
import { createDevIssuer, DEFAULT_DEV_TOKEN_TTL_SECONDS, DEV_AUDIENCE } from '../adapters/identity/dev-issuer.js';
import { CustosError } from '../errors.js';

interface TokenFlags {
  user?: string;
  scope: string;
  patient?: string;
  org?: string;
  purpose?: string;
  ttl: string;
  clientId?: string;
  audience: string;
  dataDir: string;
}

/**
 * `custos token`: prints an access token from the embedded dev issuer, signed with the key the
 * embedded gateway trusts (the same file under the data directory, created if absent), so
 * `curl -H "Authorization: Bearer $(custos token ...)"` works against `custos start`.
 */
export function registerTokenCommand(program: Command): void {
  program
    .command('token')
    .description('print a development access token the embedded gateway accepts (never in production)')
    .option('--user <reference>', 'the user, e.g. Practitioner/123 or Patient/pat-001 (sub and fhirUser); omit for a backend service token (system/ scopes, sub = client id)')
    .requiredOption('--scope <scopes>', 'space-separated SMART scopes, e.g. "user/*.rs" or "patient/*.read launch/patient"')
    .option('--patient <id>', 'launch-context patient id, e.g. pat-001')
    .option('--org <reference>', 'the user\'s organization, e.g. Organization/org-01')
    .option('--purpose <code>', 'HL7 v3 PurposeOfUse code, e.g. TREAT')
    .option('--ttl <seconds>', 'lifetime in seconds', String(DEFAULT_DEV_TOKEN_TTL_SECONDS))
    .option('--client-id <id>', 'the client_id claim')
    .option('--audience <aud>', 'the aud claim (must match the gateway\'s dev issuer audience)', DEV_AUDIENCE)
    .option('--data-dir <dir>', 'data directory holding the dev issuer key', './data')
    .action(async (flags: TokenFlags) => {
      try {
        const ttlSeconds = /^\d+$/.test(flags.ttl) ? Number(flags.ttl) : NaN;
        const issuer = await createDevIssuer({ dataDir: flags.dataDir, audience: flags.audience, production: process.env['NODE_ENV'] === 'production' });
        const token = await issuer.mint({
          ...(flags.user !== undefined ? { fhirUser: flags.user } : {}),
          scope: flags.scope,
          ttlSeconds,
          ...(flags.patient !== undefined ? { patient: flags.patient } : {}),
          ...(flags.org !== undefined ? { organization: flags.org } : {}),
          ...(flags.purpose !== undefined ? { purposeOfUse: flags.purpose } : {}),
          ...(flags.clientId !== undefined ? { clientId: flags.clientId } : {}),
        });
        process.stdout.write(token + '\n');
      } catch (error) {
        if (!(error instanceof CustosError)) throw error;
        process.stderr.write(`custos: ${error.message}\n`);
        process.exitCode = 2;
      }
    });
}
