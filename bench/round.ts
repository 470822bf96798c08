/**
 * One measured round: load one target for the configured time and record what it cost. CPU is
 * sampled from /proc around the run, so the figures cover exactly the loaded interval (plus a
 * few ms of IPC, negligible against seconds of load).
 */
import { coreUsage, processTreeCpuSeconds, readCoreTimes, sampleBackgroundBusy } from './cpu-usage.js';
import type { LoadResult, LoadRunner, LoadSpec } from './load-runner.js';
import { pinProcess } from './processes.js';
import type { RoundSample } from './stats.js';
import type { RunningTarget } from './targets.js';

export interface CorePlan {
  /** Cores of the server under test, or undefined when not pinning. */
  serverCpus: readonly number[] | undefined;
  /** Cores of the load generator and the upstream (when the upstream is not what is measured). */
  loadCpus: readonly number[] | undefined;
}

/** One idle window before a round: lets the last round's sockets close, shows who else is busy. */
const WINDOW_MS = 500;

export interface QuietPolicy {
  /** Background busy fraction (all cores) below which the machine counts as quiet. */
  threshold: number;
  /** How long to wait for quiet before measuring anyway (the round then carries a warning). */
  maxWaitMs: number;
}

/**
 * Shared machines: other people's builds and tests come and go. Waiting (bounded) for a quiet
 * window before each round costs seconds and saves rounds that would measure the neighbour.
 * Returns the background level of the last window.
 */
async function waitForQuiet(policy: QuietPolicy): Promise<number | null> {
  const deadline = Date.now() + policy.maxWaitMs;
  let busy = await sampleBackgroundBusy(WINDOW_MS);
  while (busy !== null && busy > policy.threshold && Date.now() < deadline) busy = await sampleBackgroundBusy(WINDOW_MS);
  return busy;
}

/**
 * For "direct" the upstream *is* the server under test, so it moves to the server core for the
 * round and back afterwards: every target then gets a core of its own, and "custos ÷ direct"
 * compares like with like. In proxy rounds the upstream shares the load generator's core.
 */
export async function measureRound(
  runner: LoadRunner,
  target: RunningTarget,
  round: number,
  load: Omit<LoadSpec, 'url'>,
  path: string,
  plan: CorePlan,
  quiet: QuietPolicy,
): Promise<{ sample: RoundSample; raw: LoadResult }> {
  const backgroundBusy = await waitForQuiet(quiet);
  const movesUpstream = target.target === 'direct' && plan.serverCpus && plan.loadCpus;
  if (movesUpstream) pinProcess(target.process.pid, plan.serverCpus!);
  try {
    const cpuBefore = processTreeCpuSeconds(target.process.pid);
    const loadCpuBefore = processTreeCpuSeconds(runner.process.pid);
    const coresBefore = readCoreTimes();
    const raw = await runner.run({ ...load, url: `${target.baseUrl}/${path}` });
    const cores = coreUsage(coresBefore, readCoreTimes());
    const perRequest = (before: number | null, after: number | null) =>
      before !== null && after !== null && raw.requests > 0 ? ((after - before) * 1e6) / raw.requests : null;
    const cpuUsPerReq = perRequest(cpuBefore, processTreeCpuSeconds(target.process.pid));
    const loadCpuUsPerReq = perRequest(loadCpuBefore, processTreeCpuSeconds(runner.process.pid));

    const serverCore = plan.serverCpus?.[0];
    const loadCore = plan.loadCpus?.[0];
    return {
      raw,
      sample: {
        target: target.target,
        round,
        reqPerSec: raw.reqPerSec,
        p50Ms: raw.p50Ms,
        p99Ms: raw.p99Ms,
        cpuUsPerReq,
        loadCpuUsPerReq,
        serverCoreBusy: serverCore !== undefined ? (cores?.[serverCore]?.busy ?? null) : null,
        loadCoreBusy: loadCore !== undefined ? (cores?.[loadCore]?.busy ?? null) : null,
        backgroundBusy,
        non2xx: raw.non2xx,
        errors: raw.errors,
      },
    };
  } finally {
    if (movesUpstream) pinProcess(target.process.pid, plan.loadCpus!);
  }
}
