/**
 * The benchmark's arithmetic, pure so it can be unit-tested: percentiles of one run, medians
 * across rounds, ratios between targets and the pass/fail verdict.
 *
 * Why medians: the machines are small and shared; one round in three can be hit by a neighbour.
 * Rounds are interleaved (direct, bare, custos, direct, …) so slow drift affects every target
 * alike, and the median then drops the odd disturbed round instead of averaging it in.
 */

/** Median of the finite values; NaN when there are none. Even counts average the middle two. */
export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Nearest-rank percentile (the value at rank ⌈p/100·n⌉) of an ascending array; NaN when empty.
 * Nearest-rank never invents a latency nobody observed, unlike interpolation.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return sorted[rank - 1]!;
}

/** numerator ÷ denominator, or null when either is missing or the quotient is meaningless. */
export function ratio(numerator: number | null | undefined, denominator: number | null | undefined): number | null {
  if (numerator == null || denominator == null) return null;
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator <= 0) return null;
  return numerator / denominator;
}

export type Verdict = 'PASS' | 'FAIL' | 'N/A';

/** PASS when the throughput ratio reaches the threshold; N/A when there is nothing to judge. */
export function verdict(throughputRatio: number | null, minRatio: number): Verdict {
  if (throughputRatio === null) return 'N/A';
  return throughputRatio >= minRatio ? 'PASS' : 'FAIL';
}

/** One load round against one target, as measured. */
export interface RoundSample {
  target: string;
  round: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time of the server under test (process tree) per completed request, µs. */
  cpuUsPerReq: number | null;
  /** CPU time of the load generator per completed request, µs: what driving one request costs. */
  loadCpuUsPerReq: number | null;
  /** Busy fraction of the server's core and of the load generator's core during the round. */
  serverCoreBusy: number | null;
  loadCoreBusy: number | null;
  /** Mean busy fraction of all cores in the idle pause just before the round: other people's work. */
  backgroundBusy: number | null;
  /** Responses that were not 2xx, and connection errors/timeouts: either makes a round suspect. */
  non2xx: number;
  errors: number;
}

export interface TargetSummary {
  target: string;
  rounds: number;
  reqPerSec: number;
  reqPerSecMin: number;
  reqPerSecMax: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerReq: number | null;
  loadCpuUsPerReq: number | null;
  serverCoreBusy: number | null;
  loadCoreBusy: number | null;
  /** The worst background load seen before any of this target's rounds. */
  backgroundBusyMax: number | null;
  non2xx: number;
  errors: number;
}

function medianOrNull(values: readonly (number | null)[]): number | null {
  const m = median(values.filter((v): v is number => v !== null));
  return Number.isNaN(m) ? null : m;
}

function maxOrNull(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length ? Math.max(...present) : null;
}

/** Medians over the rounds of one target (error counts are summed: one bad response is news). */
export function summarizeTarget(target: string, samples: readonly RoundSample[]): TargetSummary {
  const mine = samples.filter((s) => s.target === target);
  const rps = mine.map((s) => s.reqPerSec);
  return {
    target,
    rounds: mine.length,
    reqPerSec: median(rps),
    reqPerSecMin: rps.length ? Math.min(...rps) : Number.NaN,
    reqPerSecMax: rps.length ? Math.max(...rps) : Number.NaN,
    p50Ms: median(mine.map((s) => s.p50Ms)),
    p99Ms: median(mine.map((s) => s.p99Ms)),
    cpuUsPerReq: medianOrNull(mine.map((s) => s.cpuUsPerReq)),
    loadCpuUsPerReq: medianOrNull(mine.map((s) => s.loadCpuUsPerReq)),
    serverCoreBusy: medianOrNull(mine.map((s) => s.serverCoreBusy)),
    loadCoreBusy: medianOrNull(mine.map((s) => s.loadCoreBusy)),
    backgroundBusyMax: maxOrNull(mine.map((s) => s.backgroundBusy)),
    non2xx: mine.reduce((sum, s) => sum + s.non2xx, 0),
    errors: mine.reduce((sum, s) => sum + s.errors, 0),
  };
}

export interface Comparison {
  /** e.g. "custos ÷ bare" */
  label: string;
  /** Throughput ratio of the medians: the number the target is judged on. */
  reqPerSec: number | null;
  /** Median of the per-round ratios (round i against round i): a drift-resistant cross-check. */
  reqPerSecPaired: number | null;
  p50: number | null;
  p99: number | null;
  cpuUsPerReq: number | null;
}

/** How `subject` compares with `baseline`; null when either target has no summary. */
export function compare(
  subject: TargetSummary | undefined,
  baseline: TargetSummary | undefined,
  samples: readonly RoundSample[],
): Comparison | null {
  if (!subject || !baseline || subject.rounds === 0 || baseline.rounds === 0) return null;
  const paired: number[] = [];
  for (const s of samples) {
    if (s.target !== subject.target) continue;
    const b = samples.find((x) => x.target === baseline.target && x.round === s.round);
    const r = ratio(s.reqPerSec, b?.reqPerSec);
    if (r !== null) paired.push(r);
  }
  const pairedMedian = median(paired);
  return {
    label: `${subject.target} ÷ ${baseline.target}`,
    reqPerSec: ratio(subject.reqPerSec, baseline.reqPerSec),
    reqPerSecPaired: Number.isNaN(pairedMedian) ? null : pairedMedian,
    p50: ratio(subject.p50Ms, baseline.p50Ms),
    p99: ratio(subject.p99Ms, baseline.p99Ms),
    cpuUsPerReq: ratio(subject.cpuUsPerReq, baseline.cpuUsPerReq),
  };
}
