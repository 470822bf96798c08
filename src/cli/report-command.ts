/**
 * `custos report <kind>`: the admin report API from the command line, against a running gateway,
 * written to a file with progress on stderr for long exports. The token comes from --token or
 * CUSTOS_TOKEN (an auditor or admin token; in embedded mode
 * `custos token --user Practitioner/auditor-1 --scope custos/auditor` mints one).
 *
 *   custos report disclosures --patient Patient/pat-001 [--from 2020-01-01] [--all] --format pdf --out a.pdf
 *   custos audit verify --report a.json      (the JSON form carries the proofs)
 */
import { createWriteStream } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';

const KINDS = ['disclosures', 'access', 'actor-activity', 'subject-access', 'break-glass', 'denied'];

interface ReportFlags {
  gateway: string; token?: string; patient?: string; actor?: string; from?: string; to?: string;
  all?: boolean; names?: boolean; format: string; out?: string;
}

export function registerReportCommand(program: Command): void {
  program
    .command('report <kind>')
    .description(`produce a compliance report with proofs (${KINDS.join(', ')}) via a running gateway`)
    .option('-g, --gateway <url>', 'the gateway origin', process.env['CUSTOS_GATEWAY'] ?? 'http://127.0.0.1:8080')
    .option('-t, --token <jwt>', 'an auditor/admin bearer token (default: CUSTOS_TOKEN)')
    .option('--patient <ref>', 'the patient (disclosures, access, subject-access), e.g. Patient/pat-001')
    .option('--actor <ref>', 'the user or client (actor-activity), e.g. Practitioner/prac-01')
    .option('--from <date>', 'start of the range (default: six years ago)')
    .option('--to <date>', 'end of the range (default: now)')
    .option('--all', 'disclosures: include treatment, payment and operations (exempt by rule)')
    .option('--names', 'break-glass: show patient references instead of pseudonyms')
    .option('-f, --format <format>', 'json (verifiable), csv, pdf or bundle', 'json')
    .option('-o, --out <file>', 'where to write it (default: the name the gateway suggests)')
    .action(async (kind: string, o: ReportFlags) => {
      if (!KINDS.includes(kind)) fail(`unknown report "${kind}"; one of ${KINDS.join(', ')}`);
      const token = o.token ?? process.env['CUSTOS_TOKEN'];
      if (!token) fail('a token is needed: --token or CUSTOS_TOKEN (embedded mode: custos token --user Practitioner/auditor-1 --scope custos/auditor)');
      const body = {
        ...(o.patient ? { patient: o.patient } : {}), ...(o.actor ? { actor: o.actor } : {}),
        ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}),
        ...(o.all ? { includeExempt: true } : {}), ...(o.names ? { showNames: true } : {}), format: o.format,
      };
      let response: Response;
      try {
        response = await fetch(new URL(`/admin/reports/${kind}`, o.gateway), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      } catch {
        fail(`cannot reach the gateway at ${o.gateway} (is it running? --gateway)`);
      }
      if (response.status !== 200) {
        const problem = (await response.json().catch(() => ({}))) as { detail?: string };
        fail(`the gateway refused (${response.status}): ${problem.detail ?? response.statusText}`);
      }
      const suggested = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? `custos-${kind}.${o.format}`;
      const path = resolve(o.out ?? basename(suggested)); // never a path the server chose
      const out = createWriteStream(path, { mode: 0o600 }); // reports hold PHI
      let bytes = 0;
      let shown = 0;
      const reader = response.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.length;
        if (!out.write(value)) await new Promise<void>((r) => out.once('drain', () => r()));
        if (process.stderr.isTTY && bytes - shown > 256 * 1024) {
          shown = bytes;
          process.stderr.write(`\r${(bytes / 1e6).toFixed(1)} MB received`);
        }
      }
      await new Promise<void>((ok, ko) => out.end((e?: Error | null) => (e ? ko(e) : ok())));
      if (shown > 0) process.stderr.write('\n');
      process.stdout.write(`custos report: ${kind} written to ${path} (${bytes} bytes)\n`);
    });
}

function fail(message: string): never {
  process.stderr.write(`custos report: ${message}\n`);
  process.exit(1);
}
