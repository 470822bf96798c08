/**
 * `custos consent grant|revoke|list|show`: the admin consent API from the command line, against a
 * running gateway. The token comes from --token or CUSTOS_TOKEN (a registrar or admin token; in
 * embedded mode `custos token --user ... --scope custos/registrar` mints one).
 */
import type { Command } from 'commander';

interface Common { gateway: string; token?: string }

export function registerConsentCommand(program: Command): void {
  const consent = program.command('consent').description('grant, revoke and list consents on the ledger (via a running gateway)');
  const common = (cmd: Command) => cmd
    .option('-g, --gateway <url>', 'the gateway origin', process.env['CUSTOS_GATEWAY'] ?? 'http://127.0.0.1:8080')
    .option('-t, --token <jwt>', 'a registrar/admin bearer token (default: CUSTOS_TOKEN)');

  common(consent.command('grant'))
    .description('record a grant: PATIENT may be accessed by GRANTEE')
    .requiredOption('--patient <ref>', 'e.g. Patient/pat-001, sources/clinic/Patient/b-pat-001 or Patient?identifier=SYSTEM|VALUE')
    .requiredOption('--grantee <ref>', 'e.g. Practitioner/prac-01 or Organization/org-01')
    .option('--deny', 'record a denial instead of a permit (opt-out model, or to override)')
    .option('--types <list>', 'comma-separated resource types, or * (default *)', '*')
    .option('--actions <list>', 'read,write (default read)', 'read')
    .option('--purposes <list>', 'comma-separated PurposeOfUse codes, or * (default *)', '*')
    .option('--not-before <iso>', 'start of validity')
    .option('--not-after <iso>', 'end of validity')
    .action(async (o: Common & { patient: string; grantee: string; deny?: boolean; types: string; actions: string; purposes: string; notBefore?: string; notAfter?: string }) => {
      const list = (text: string) => (text === '*' ? '*' : text.split(',').map((s) => s.trim()).filter(Boolean));
      const body = {
        patient: o.patient, grantee: o.grantee, effect: o.deny ? 'deny' : 'permit',
        resourceTypes: list(o.types), actions: list(o.actions), purposes: list(o.purposes),
        ...(o.notBefore ? { notBefore: toSeconds(o.notBefore, '--not-before') } : {}),
        ...(o.notAfter ? { notAfter: toSeconds(o.notAfter, '--not-after') } : {}),
      };
      print(await call(o, 'POST', '/admin/consents', body));
    });

  common(consent.command('revoke <grantId>'))
    .description('revoke a grant (it stays on chain, marked revoked)')
    .action(async (grantId: string, o: Common) => print(await call(o, 'POST', `/admin/consents/${encodeURIComponent(grantId)}/revoke`)));

  common(consent.command('list'))
    .description("list a patient's grants, active and revoked")
    .requiredOption('--patient <ref>', 'e.g. Patient/pat-001, sources/clinic/Patient/b-pat-001 or Patient?identifier=SYSTEM|VALUE')
    .action(async (o: Common & { patient: string }) => print(await call(o, 'POST', '/admin/consents/search', { patient: o.patient })));

  common(consent.command('show <grantId>'))
    .description('one grant with its on-chain transaction')
    .action(async (grantId: string, o: Common) => print(await call(o, 'GET', `/admin/consents/${encodeURIComponent(grantId)}`)));
}

async function call(o: Common, method: string, path: string, body?: unknown): Promise<unknown> {
  const token = o.token ?? process.env['CUSTOS_TOKEN'];
  if (!token) fail('a token is needed: --token or CUSTOS_TOKEN (embedded mode: custos token --user Practitioner/registrar --scope custos/registrar)');
  let response: Response;
  try {
    response = await fetch(new URL(path, o.gateway), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    fail(`cannot reach the gateway at ${o.gateway} (is it running? --gateway sets the address)`);
  }
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!response.ok) fail(`${response.status} ${String(parsed['title'] ?? '')}: ${String(parsed['detail'] ?? text)}`);
  return parsed;
}

function toSeconds(text: string, flag: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) fail(`${flag} must be a date or date-time, e.g. 2027-01-01`);
  return Math.floor(ms / 1000);
}

function print(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

function fail(message: string): never {
  process.stderr.write(`custos consent: ${message}\n`);
  process.exit(1);
}
