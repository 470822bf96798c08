/**
 * `npm run bench`: direct upstream vs bare undici proxy vs Custos, loaded in the same run,
 * interleaved, medians reported. This file only composes; each step lives in its own module.
 * See bench/README.md for how to read the output.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { BenchArgsError, parseBenchArgs, USAGE, type BenchOptions } from './args.js';
import { startLoadRunner, type LoadResult } from './load-runner.js';
import { installCleanup, pinProcess, stopAll, tasksetStatus } from './processes.js';
import { diagnose, formatReport, writeResults, type BenchResults } from './report.js';
import { measureRound, type CorePlan } from './round.js';
import { compare, summarizeTarget, verdict, type Comparison, type RoundSample } from './stats.js';
import { probe, REPO_ROOT, startBareProxy, startCustos, startUpstream, type RunningTarget } from './targets.js';
import { wrkUnavailable } from './wrk-load.js';

const log = (message: string) => process.stderr.write(`${message}\n`);

/** Load generator + upstream on core 0, server under test on core 1, harness on core 0 too. */
function planCores(options: BenchOptions): { plan: CorePlan; description: string } {
  const cores = availableParallelism();
  if (!options.pin) return { plan: { serverCpus: undefined, loadCpus: undefined }, description: 'off (--no-pin)' };
  const status = tasksetStatus(cores);
  if (!status.ok) return { plan: { serverCpus: undefined, loadCpus: undefined }, description: `off (${status.reason})` };
  pinProcess(process.pid, [0]);
  return {
    plan: { serverCpus: [1], loadCpus: [0] },
    description: 'load generator + upstream + harness on core 0, server under test on core 1 (taskset)',
  };
}

async function main(options: BenchOptions): Promise<number> {
  const noWrk = options.loader === 'wrk' ? wrkUnavailable() : undefined;
  if (noWrk) throw new Error(noWrk);
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = loadavg();
  const { plan, description } = planCores(options);
  const logDir = resolve(REPO_ROOT, 'bench/results/logs');
  mkdirSync(logDir, { recursive: true });
  log(`pinning: ${description}; child logs in ${logDir}`);

  const ctx = { ...plan, logDir, timeoutMs: options.startTimeoutSeconds * 1000 };
  const upstream = await startUpstream(options.upstream, ctx);
  log(`upstream (${options.upstream}) ready at ${upstream.baseUrl}`);
  const runner = await startLoadRunner({ cpus: plan.loadCpus, logFile: join(logDir, 'load-client.log') });

  const targets: RunningTarget[] = [];
  const unavailable: Record<string, string> = {};
  for (const name of options.targets) {
    if (name === 'direct') targets.push(upstream);
    if (name === 'bare') targets.push(await startBareProxy(upstream.baseUrl, ctx));
    if (name === 'custos' || name === 'custos-b') {
      const env = name === 'custos-b' ? { ...options.custosEnv, ...options.custosBEnv } : options.custosEnv;
      const custos = await startCustos(upstream.baseUrl, env, ctx, name);
      if ('reason' in custos) unavailable[name] = custos.reason;
      else targets.push(custos);
    }
  }

  // Custos authenticates every request: send its token to every target, so all carry the same bytes.
  const token = targets.find((t) => t.authorization)?.authorization;
  if (token && !Object.keys(options.headers).some((h) => h.toLowerCase() === 'authorization')) {
    options = { ...options, headers: { ...options.headers, authorization: token } };
  }

  // custos-b has its own dev issuer: it gets its own token (same claims, same length).
  const headersFor = (target: RunningTarget) =>
    target.target === 'custos-b' && target.authorization && options.headers['authorization'] === token
      ? { ...options.headers, authorization: target.authorization }
      : options.headers;
  const responseBytes: Record<string, number> = {};
  for (const target of [...targets]) {
    const result = await probe(target, options.path, headersFor(target));
    if ('reason' in result) {
      unavailable[target.target] = result.reason;
      targets.splice(targets.indexOf(target), 1);
    } else {
      responseBytes[target.target] = result.bytes;
    }
  }
  for (const reason of Object.values(unavailable)) log(reason);
  log(`measuring ${targets.map((t) => `${t.target} (${responseBytes[t.target]} B)`).join(', ') || 'nothing'}`);

  const load = { loader: options.loader, connections: options.connections, pipelining: options.pipelining, headers: options.headers };
  if (options.warmupSeconds > 0) {
    for (const target of targets) {
      await runner.run({ ...load, headers: headersFor(target), durationSeconds: options.warmupSeconds, url: `${target.baseUrl}/${options.path}` });
    }
  }

  const samples: RoundSample[] = [];
  const raw: (LoadResult & { target: string; round: number })[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const target of targets) {
      const quiet = { threshold: options.quietThreshold, maxWaitMs: options.quietWaitSeconds * 1000 };
      const measured = await measureRound(runner, target, round, { ...load, headers: headersFor(target), durationSeconds: options.durationSeconds }, options.path, plan, quiet);
      samples.push(measured.sample);
      raw.push({ target: target.target, round, ...measured.raw });
      const s = measured.sample;
      const background = s.backgroundBusy === null ? '' : `, machine ${Math.round(s.backgroundBusy * 100)}% busy before`;
      const failed = s.non2xx + s.errors > 0 ? `, ${s.non2xx} non-2xx, ${s.errors} errors` : '';
      log(
        `round ${round}/${options.rounds} ${s.target.padEnd(8)} ${Math.round(s.reqPerSec)} req/s, ` +
          `p50 ${s.p50Ms.toFixed(2)} ms, p99 ${s.p99Ms.toFixed(2)} ms${failed}${background}`,
      );
    }
  }

  const summaries = targets.map((t) => summarizeTarget(t.target, samples));
  const byName = (name: string) => summaries.find((s) => s.target === name);
  const comparisons = [
    compare(byName('custos'), byName('bare'), samples),
    compare(byName('custos'), byName('direct'), samples),
    compare(byName('bare'), byName('direct'), samples),
    compare(byName('custos-b'), byName('bare'), samples),
    compare(byName('custos-b'), byName('custos'), samples),
  ].filter((c): c is Comparison => c !== null);
  const headline = comparisons.find((c) => c.label === 'custos ÷ bare')?.reqPerSec ?? null;

  const results: BenchResults = {
    startedAt,
    finishedAt: new Date().toISOString(),
    options: { ...options },
    machine: {
      node: process.version,
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadAverageAtStart,
      pinning: description,
    },
    responseBytes,
    unavailable,
    samples,
    rawRounds: raw,
    summaries,
    comparisons,
    verdict: { ratio: headline, minRatio: options.minRatio, result: verdict(headline, options.minRatio) },
    warnings: diagnose(summaries, comparisons, { pinned: plan.serverCpus !== undefined, quietThreshold: options.quietThreshold }),
  };
  const out = resolve(REPO_ROOT, options.out);
  writeResults(out, results);
  process.stdout.write(`\n${formatReport(results)}\n\nresults: ${out}\n`);
  return options.strict && results.verdict.result !== 'PASS' ? 1 : 0;
}

let options: BenchOptions;
try {
  options = parseBenchArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof BenchArgsError)) throw error;
  log(`${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
installCleanup(log);
main(options)
  .then(async (code) => {
    await stopAll();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    log(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    await stopAll();
    process.exit(1);
  });
