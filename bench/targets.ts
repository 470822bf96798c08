/**
 * The three things the benchmark loads, each started in its own process with the contract its
 * owner publishes:
 *   - the upstream ("direct"): our fixed upstream, or the bundled sample server
 *     (`dist/src/sample-server/standalone.js --port <p>`, prints `{"url": …}` when ready);
 *   - "bare": `reference-proxy.ts` in front of that upstream;
 *   - "custos": `dist/src/cli/main.js start` configured by CUSTOS_* variables, ready when
 *     `GET /healthz` answers 200.
 * A target that cannot start is reported as unavailable with the reason; the others still run.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Target, UpstreamKind } from './args.js';
import { findFreePort, pinProcess, startProcess, type ManagedProcess } from './processes.js';

/** The repository root: this file runs from `dist/bench/`. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const CUSTOS_MAIN = join(REPO_ROOT, 'dist/src/cli/main.js');
export const SAMPLE_SERVER_MAIN = join(REPO_ROOT, 'dist/src/sample-server/standalone.js');

export interface RunningTarget {
  target: Target;
  /** FHIR base URL, no trailing slash. */
  baseUrl: string;
  /** The process whose CPU is the cost of this target (for direct: the upstream). */
  process: ManagedProcess;
  /** Custos only: a bearer token its dev issuer minted (every target then gets the same header). */
  authorization?: string;
}

export interface UnavailableTarget {
  target: Target;
  reason: string;
}

export interface StartContext {
  /** Cores for the server under test, or undefined when not pinning. */
  serverCpus: readonly number[] | undefined;
  /** Cores shared by the load generator and the upstream, or undefined. */
  loadCpus: readonly number[] | undefined;
  logDir: string;
  timeoutMs: number;
}

function readyUrl(managed: ManagedProcess): string {
  const url = managed.ready['url'];
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
    throw new Error(`${managed.name}: readiness line has no "url" (got ${JSON.stringify(managed.ready)})`);
  }
  return url.replace(/\/+$/, '');
}

/** Starts the upstream on the load generator's core (it is not what the proxy rounds measure). */
export async function startUpstream(kind: UpstreamKind, ctx: StartContext): Promise<RunningTarget> {
  if (kind === 'sample' && !existsSync(SAMPLE_SERVER_MAIN)) {
    throw new Error(`sample server: not built yet (${SAMPLE_SERVER_MAIN} is missing); use --upstream fixed`);
  }
  const args =
    kind === 'fixed'
      ? [fileURLToPath(new URL('./fixed-upstream.js', import.meta.url)), '--port', '0', '--watch-stdin']
      : [SAMPLE_SERVER_MAIN, '--port', String(await findFreePort())];
  const managed = await startProcess({
    name: `upstream-${kind}`,
    command: process.execPath,
    args,
    cpus: ctx.loadCpus,
    readiness: { kind: 'stdout-json' },
    timeoutMs: ctx.timeoutMs,
    logFile: join(ctx.logDir, `upstream-${kind}.log`),
    cwd: REPO_ROOT,
  });
  return { target: 'direct', baseUrl: readyUrl(managed), process: managed };
}

export async function startBareProxy(upstreamUrl: string, ctx: StartContext): Promise<RunningTarget> {
  const managed = await startProcess({
    name: 'bare',
    command: process.execPath,
    args: [...benchNodeArgs(), fileURLToPath(new URL('./reference-proxy.js', import.meta.url)), '--upstream', upstreamUrl, '--port', '0', '--watch-stdin'],
    cpus: ctx.serverCpus,
    readiness: { kind: 'stdout-json' },
    timeoutMs: ctx.timeoutMs,
    logFile: join(ctx.logDir, 'bare.log'),
  });
  return { target: 'bare', baseUrl: readyUrl(managed), process: managed };
}

/** Custos may not exist yet (another issue builds it): that is a reason, not a crash. */
export async function startCustos(
  upstreamUrl: string,
  extraEnv: Record<string, string>,
  ctx: StartContext,
  target: 'custos' | 'custos-b' = 'custos',
): Promise<RunningTarget | UnavailableTarget> {
  // BENCH_CUSTOS_MAIN: another build's main.js (an A/B of two builds in one run; see bench/README.md).
  const main = extraEnv['BENCH_CUSTOS_MAIN'] ?? CUSTOS_MAIN;
  if (!existsSync(main)) return { target, reason: `${target}: not built yet (${main})` };
  const port = await findFreePort();
  const origin = `http://127.0.0.1:${port}`;
  // A fresh data directory: its own local chain, and a dev issuer key the harness mints from.
  const dataDir = extraEnv['CUSTOS_DATA_DIR'] ?? mkdtempSync(join(tmpdir(), 'custos-bench-'));
  try {
    const managed = await startProcess({
      name: target,
      command: process.execPath,
      args: [...benchNodeArgs(extraEnv['BENCH_NODE_ARGS']), main, 'start'],
      env: {
        ...process.env,
        CUSTOS_UPSTREAM_URL: upstreamUrl,
        CUSTOS_SERVER_PORT: String(port),
        CUSTOS_SERVER_HOST: '127.0.0.1',
        CUSTOS_LOG_LEVEL: 'info', // the default configuration
        CUSTOS_DATA_DIR: dataDir,
        ...extraEnv,
      },
      cpus: ctx.serverCpus,
      readiness: { kind: 'http-ok', url: `${origin}/healthz` },
      timeoutMs: ctx.timeoutMs,
      logFile: join(ctx.logDir, `${target}.log`),
      cwd: REPO_ROOT,
    });
    // Custos' embedded chain (anvil) inherits Custos' core; move it to the load core so the server
    // core measures the gateway alone (in production the chain is a separate node).
    if (ctx.loadCpus) for (const child of childPids(managed.pid)) pinProcess(child, ctx.loadCpus);
    const { createDevIssuer } = await import('../src/adapters/identity/dev-issuer.js');
    const issuer = await createDevIssuer({ dataDir, production: false });
    const token = await issuer.mint({ fhirUser: 'Practitioner/bench', scope: 'user/*.rs', ttlSeconds: 86_400 });
    // Consent on chain, as in production: the benchmark user may read pat-001 … pat-004 (so the
    // fixed search page of pat-001 … pat-005 loses a fifth of its entries to filtering).
    const registrar = await issuer.mint({ fhirUser: 'Practitioner/bench-registrar', scope: 'custos/registrar', ttlSeconds: 3600 });
    for (const patient of CONSENTED_PATIENTS) await recordGrant(origin, registrar, patient);
    return { target, baseUrl: `${origin}/fhir`, process: managed, authorization: `Bearer ${token}` };
  } catch (error) {
    return { target, reason: `${target}: failed to start: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * BENCH_NODE_ARGS: extra node flags for the servers under test (bare and Custos), for diagnosis, e.g.
 * "--cpu-prof --cpu-prof-dir /tmp/prof" (a V8 CPU profile each, written when they stop) or "--trace-gc".
 * `--custos-b-env BENCH_NODE_ARGS=...` gives custos-b its own flags (V8 flags, which NODE_OPTIONS
 * refuses, in an A/B of one build).
 */
function benchNodeArgs(own?: string): string[] {
  return (own ?? process.env['BENCH_NODE_ARGS'] ?? '').split(/\s+/).filter(Boolean);
}

const CONSENTED_PATIENTS = ['pat-001', 'pat-002', 'pat-003', 'pat-004'];

async function recordGrant(origin: string, registrar: string, patient: string): Promise<void> {
  const response = await fetch(`${origin}/admin/consents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${registrar}`, 'content-type': 'application/json' },
    body: JSON.stringify({ patient: `Patient/${patient}`, grantee: 'Practitioner/bench', actions: ['read'] }),
  });
  const { id } = (await response.json()) as { id: string };
  if (response.status !== 201) throw new Error(`recording the benchmark's consent failed (${response.status})`);
  for (let i = 0; i < 200; i++) {
    const shown = await fetch(`${origin}/admin/consents/${id}`, { headers: { authorization: `Bearer ${registrar}` } });
    if (shown.status === 200) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the benchmark grant was not indexed in time');
}

/**
 * One request before any load: a target that answers 401 or 404 would otherwise post a
 * wonderful req/s of error pages. Returns the body size on success.
 */
export async function probe(target: RunningTarget, path: string, headers: Record<string, string>): Promise<{ bytes: number } | { reason: string }> {
  try {
    const response = await fetch(`${target.baseUrl}/${path}`, { headers, signal: AbortSignal.timeout(10_000) });
    const body = await response.arrayBuffer();
    if (response.status !== 200) {
      return { reason: `${target.target}: GET /${path} answered ${response.status}, not 200 (see ${target.process.logFile})` };
    }
    return { bytes: body.byteLength };
  } catch (error) {
    return { reason: `${target.target}: GET /${path} failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Direct children of a process (Linux /proc), e.g. the anvil node Custos starts. */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
