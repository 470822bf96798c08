/**
 * `custos audit verify` and `custos audit export`.
 *
 * verify recomputes every leaf from the stored events, rebuilds the Merkle tree, checks every
 * on-chain checkpoint against it and the consistency between consecutive checkpoints, and names
 * each event or checkpoint that fails (src/audit/verify.ts). It runs on the configured store, or on
 * an exported file with `--file` (offline except for reading the chain: `--rpc` and `--contract`
 * say which chain and contract to trust; by default those of the deployment record).
 *
 * Exit codes: 0 verified, 2 problems found, 1 could not verify (bad arguments, chain unreachable).
 * The store is opened read-only (no writer lock), but in embedded mode the local chain belongs to
 * the running gateway: stop it first, or download an export from the admin API and verify that.
 */
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import type { CustosConfig } from '../config/types.js';
import { CustosError } from '../errors.js';

interface VerifyFlags { config?: string; file?: string; report?: string; rpc?: string; contract?: string; json?: boolean }
interface ExportFlags { config?: string; out: string }


export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('verify and export the tamper-evident audit log');
  audit
    .command('verify')
    .description('recompute every event hash, rebuild the Merkle tree and check it against the on-chain checkpoints')
    .option('-c, --config <file>', 'configuration file (same as CUSTOS_CONFIG)')
    .option('-f, --file <export>', 'verify an exported log instead of the configured store (with --report: also prove no row is missing)')
    .option('-r, --report <report.json>', 'verify a compliance report (its JSON form): every row, event and proof, against the chain')
    .option('--rpc <url>', 'EVM JSON-RPC endpoint to read checkpoints from (default: chain.rpcUrl, or the embedded chain)')
    .option('--contract <address>', 'the AuditAnchor contract to trust (default: the deployment record; never taken from the file)')
    .option('--json', 'print the report as JSON')
    .action(async (flags: VerifyFlags) => {
      try {
        const verified = flags.report ? await runVerifyReport(flags) : await runVerify(flags);
        process.exit(verified ? 0 : 2);
      } catch (error) {
        process.stderr.write(`custos audit verify: ${error instanceof CustosError ? error.message : String(error)}\n`);
        process.exit(1);
      }
    });
  audit
    .command('export')
    .description('write the whole log (events, hashes, links, checkpoints) to an NDJSON file a verifier can check')
    .option('-c, --config <file>', 'configuration file (same as CUSTOS_CONFIG)')
    .requiredOption('-o, --out <file>', 'where to write the export')
    .action(async (flags: ExportFlags) => {
      try {
        const written = await runExport(flags);
        process.stdout.write(`custos audit export: ${written.events} events written to ${written.path}\n`);
      } catch (error) {
        process.stderr.write(`custos audit export: ${error instanceof CustosError ? error.message : String(error)}\n`);
        process.exit(1);
      }
    });
}

function configFrom(flags: { config?: string }): CustosConfig {
  return loadConfig({ env: { ...process.env, ...(flags.config ? { CUSTOS_CONFIG: flags.config } : {}) } });
}

/** Prints the report; true when the log verified. */
async function runVerify(flags: VerifyFlags): Promise<boolean> {
  const config = configFrom(flags);
  const { verifyAuditLog } = await import('../audit/verify.js');
  const { readExportFile } = await import('../audit/export-file.js');
  const { openAuditStore } = await import('../compose/audit.js');
  const file = flags.file ? await readExportFile(resolve(flags.file)) : undefined;
  const chain = await chainFor(config, flags, file ? { contract: file.header.contract, chainId: file.header.chainId } : undefined);
  try {
    const anchored = await chain.read();
    let report;
    if (file) {
      report = await verifyAuditLog(file.events, anchored.checkpoints);
    } else {
      const store = await openAuditStore(config, { readOnly: true });
      try {
        report = await verifyAuditLog(store.scan(0, await store.size()), anchored.checkpoints);
      } finally {
        await store.close();
      }
    }
    if (anchored.mismatch.length > 0) report = { ...report, ok: false, problems: [...anchored.mismatch.map((message) => ({ kind: 'wrong-chain' as const, message })), ...report.problems] };
    if (flags.json) {
      process.stdout.write(JSON.stringify({ chainId: anchored.chainId, contract: anchored.contract, ...report }, null, 2) + '\n');
    } else {
      const lines = [
        `chain ${anchored.chainId}, AuditAnchor ${anchored.contract}: ${anchored.checkpoints.length} checkpoints`,
        `log: ${report.events} events, root ${report.root}`,
        report.ok ? `VERIFIED: every event hashes to its leaf, every checkpoint matches the log, and they are consistent (proven up to tree size ${report.verifiedUpTo})` : `FAILED: ${report.problems.length + report.problemsOmitted} problems`,
        ...report.problems.map((p) => `  - ${p.kind}: ${p.message}`),
        ...(report.problemsOmitted > 0 ? [`  … and ${report.problemsOmitted} more`] : []),
      ];
      if (report.ok && report.verifiedUpTo < report.events) lines.push(`note: the last ${report.events - report.verifiedUpTo} events are not anchored yet`);
      process.stdout.write(lines.join('\n') + '\n');
    }
    return report.ok;
  } finally {
    await chain.close();
  }
}

/** Verifies a report file; prints what was proven and every problem. */
async function runVerifyReport(flags: VerifyFlags): Promise<boolean> {
  const { readFileSync } = await import('node:fs');
  const { verifyReport } = await import('../audit/reports/verify-report.js');
  let raw: { checkpoint?: { contract?: string; treeSize?: number } | null } & Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(resolve(flags.report!), 'utf8')) as typeof raw;
  } catch {
    throw new CustosError('INVALID_REQUEST', `${flags.report} is not a JSON report (verify the JSON form; CSV and PDF are renderings of it)`);
  }
  const config = configFrom(flags);
  const chain = await chainFor(config, flags, { contract: raw.checkpoint?.contract, chainId: (raw.checkpoint as { chainId?: number } | null | undefined)?.chainId });
  try {
    const anchored = await chain.read();
    let result = await verifyReport(raw, async (size) => anchored.checkpoints.find((c) => c.treeSize === size) ?? null);
    if (anchored.mismatch.length > 0) result = { ...result, ok: false, problems: [...anchored.mismatch.map((message) => ({ kind: 'checkpoint-not-on-chain' as const, message })), ...result.problems] };
    let complete = false;
    if (flags.file) {
      // With the log's export, also prove that nothing was left out: the export must verify against
      // the chain itself, and every row the log gives for this scope must be in the report.
      const { readExportFile } = await import('../audit/export-file.js');
      const { verifyAuditLog } = await import('../audit/verify.js');
      const { checkCompleteness } = await import('../audit/reports/report-completeness.js');
      const log = await verifyAuditLog((await readExportFile(resolve(flags.file))).events, anchored.checkpoints);
      const covered = log.verifiedUpTo >= Number(raw.checkpoint?.treeSize ?? Infinity);
      const extra = [
        ...(log.ok || covered ? [] : [{ kind: 'checkpoint-not-on-chain' as const, message: `the export does not verify up to the report's checkpoint (${log.problems[0]?.message ?? 'not anchored'})` }]),
        ...(await checkCompleteness(raw as unknown as import('../audit/reports/report-model.js').Report, (await readExportFile(resolve(flags.file))).events)),
      ];
      complete = extra.length === 0;
      if (extra.length > 0) result = { ...result, ok: false, problems: [...result.problems, ...extra] };
    }
    if (flags.json) {
      process.stdout.write(JSON.stringify({ chainId: anchored.chainId, contract: anchored.contract, ...result }, null, 2) + '\n');
    } else {
      const lines = [
        `chain ${anchored.chainId}, AuditAnchor ${anchored.contract}`,
        result.ok
          ? `VERIFIED: ${result.rows} rows, ${result.events} events, each proven in the log anchored at tree size ${raw.checkpoint?.treeSize}; every row matches its events${complete ? '; and, against the log\'s export, no row is missing' : ''}`
          : `FAILED: ${result.problems.length} problems`,
        ...result.problems.map((p) => `  - ${p.kind}: ${p.message}`),
        ...(result.unverifiedColumns.length > 0 ? [`note: ${result.unverifiedColumns.join(', ')} are annotations (names, pseudonyms) and cannot be re-derived from the events`] : []),
        ...(result.ok && !flags.file ? ['note: the file proves its rows, not that none was left out; add --file <export> (custos audit export, or GET /admin/audit/export) to prove that too'] : []),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }
    return result.ok;
  } finally {
    await chain.close();
  }
}

async function runExport(flags: ExportFlags): Promise<{ events: number; path: string }> {
  const config = configFrom(flags);
  const { openAuditStore } = await import('../compose/audit.js');
  const { writeAuditExport } = await import('../audit/export-writer.js');
  const deployment = await deploymentOf(config);
  const store = await openAuditStore(config, { readOnly: true });
  const path = resolve(flags.out);
  try {
    const out = createWriteStream(path, { mode: 0o600 }); // the log holds PHI
    const events = await writeAuditExport(store, { chainId: deployment.chainId, contract: deployment.auditAnchor }, out);
    await new Promise<void>((ok, fail) => out.end((error?: Error | null) => (error ? fail(error) : ok())));
    return { events, path };
  } finally {
    await store.close();
  }
}

async function deploymentOf(config: CustosConfig) {
  const { localDeploymentFile, readDeploymentRecord } = await import('../adapters/ledger/deployment-record.js');
  const file = config.chain.deploymentFile ?? localDeploymentFile(resolve(config.dataDir));
  const record = readDeploymentRecord(file);
  if (!record) throw new CustosError('CONFIG_INVALID', `no deployment record at ${file}: start the gateway once (embedded) or run \`custos chain deploy\``);
  return record;
}

/**
 * The chain to read checkpoints from (--rpc, chain.rpcUrl, or the embedded chain started from
 * dataDir) and the AuditAnchor contract to trust: --contract, else the deployment record, NEVER the
 * file being checked (a forger would name a contract of their own). A file naming another contract
 * or chain fails verification.
 */
async function chainFor(config: CustosConfig, flags: VerifyFlags, fileClaims?: { contract?: string | undefined; chainId?: number | undefined }) {
  const { readAnchoredCheckpoints } = await import('../adapters/ledger/checkpoint-reader.js');
  let contract = flags.contract;
  if (!contract) {
    try {
      contract = (await deploymentOf(config)).auditAnchor;
    } catch {
      throw new CustosError('INVALID_REQUEST', 'say which AuditAnchor contract to trust: --contract <address> (it is never taken from the file being verified)');
    }
  }
  const trusted = contract;
  const rpc = flags.rpc ?? config.chain.rpcUrl;
  const read = async (url: string) => {
    const anchored = await readAnchoredCheckpoints(url, trusted);
    const mismatch: string[] = [];
    if (fileClaims?.contract && fileClaims.contract.toLowerCase() !== trusted.toLowerCase()) mismatch.push(`the file names AuditAnchor ${fileClaims.contract}, not the trusted ${trusted}`);
    if (fileClaims?.chainId !== undefined && fileClaims.chainId !== anchored.chainId) mismatch.push(`the file names chain ${fileClaims.chainId}, the node is chain ${anchored.chainId}`);
    return { ...anchored, mismatch };
  };
  if (rpc) return { read: () => read(rpc), close: async () => undefined };
  const { startLocalChain } = await import('../adapters/ledger/local-chain.js');
  const chain = await startLocalChain({ dataDir: resolve(config.dataDir) });
  return { read: () => read(chain.rpcUrl), close: () => chain.close() };
}
