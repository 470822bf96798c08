/**
 * Presenting results: the table a human reads, the warnings that say when a number should not be
 * trusted, and the JSON file later issues diff against. No measuring and no arithmetic beyond
 * formatting happens here.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LoadResult } from './load-runner.js';
import type { Comparison, RoundSample, TargetSummary, Verdict } from './stats.js';

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  options: Record<string, unknown>;
  machine: {
    node: string;
    cpus: number;
    cpuModel: string;
    loadAverageAtStart: number[];
    /** e.g. "load generator + upstream on core 0, server under test on core 1", or why not. */
    pinning: string;
  };
  /** Response body size of the benchmarked request, per target (from the probe). */
  responseBytes: Record<string, number>;
  unavailable: Record<string, string>;
  samples: RoundSample[];
  /** Everything the load generator reported, per round, for later digging. */
  rawRounds: (LoadResult & { target: string; round: number })[];
  summaries: TargetSummary[];
  comparisons: Comparison[];
  verdict: { ratio: number | null; minRatio: number; result: Verdict };
  warnings: string[];
}

const fmt = {
  int: (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a'),
  ms: (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a'),
  ratio: (n: number | null) => (n === null ? 'n/a' : n.toFixed(2)),
  pct: (n: number | null) => (n === null ? 'n/a' : `${Math.round(n * 100)}%`),
  us: (n: number | null) => (n === null ? 'n/a' : n.toFixed(0)),
};

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  return rows.map((row) => row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  ')).join('\n');
}

/**
 * Reasons not to trust a figure. The main one on a 2-core box: the load generator tops out before
 * the server does, so the server's req/s is really the client's.
 */
export function diagnose(
  summaries: readonly TargetSummary[],
  comparisons: readonly Comparison[],
  options: { pinned: boolean; quietThreshold: number },
): string[] {
  const { pinned, quietThreshold } = options;
  const warnings: string[] = [];
  for (const s of summaries) {
    if (s.non2xx > 0 || s.errors > 0) {
      warnings.push(`${s.target}: ${s.non2xx} non-2xx responses and ${s.errors} errors during the rounds; its figures are suspect`);
    }
    if (pinned && s.serverCoreBusy !== null && s.serverCoreBusy < 0.85) {
      warnings.push(
        `${s.target}: its core was only ${fmt.pct(s.serverCoreBusy)} busy (load core ${fmt.pct(s.loadCoreBusy)}): ` +
          `the load generator or the upstream set this req/s, not ${s.target}; its CPU µs/req is inflated by idle wake-ups`,
      );
    }
    if (s.backgroundBusyMax !== null && s.backgroundBusyMax > quietThreshold) {
      warnings.push(
        `${s.target}: before at least one round the machine was already ${fmt.pct(s.backgroundBusyMax)} busy ` +
          `with other work (see backgroundBusy per round in the JSON); rerun when it is quiet`,
      );
    }
    const spread = s.reqPerSec > 0 ? (s.reqPerSecMax - s.reqPerSecMin) / s.reqPerSec : 0;
    if (s.rounds > 1 && spread > 0.15) {
      warnings.push(`${s.target}: req/s varied ${fmt.pct(spread)} between rounds (noisy machine?): run more --rounds`);
    }
  }
  // Throughput suffers from a neighbour far more than CPU time per request does. When the two
  // tell different stories, the req/s ratio measured the neighbour.
  const headline = comparisons.find((c) => c.label === 'custos ÷ bare');
  const implied = impliedByCpu(headline);
  if (headline?.reqPerSec != null && implied !== null && Math.abs(headline.reqPerSec - implied) > 0.15) {
    warnings.push(
      `custos ÷ bare: req/s says ${fmt.ratio(headline.reqPerSec)} but CPU per request says ${fmt.ratio(implied)}; ` +
        `the gap is noise, trust neither alone: rerun when the machine is quiet`,
    );
  }
  return warnings;
}

/**
 * The throughput ratio the CPU cost predicts for a CPU-bound server: bare µs/req ÷ custos µs/req.
 * Less noisy than req/s, because time others steal from the core is not charged to the process.
 */
export function impliedByCpu(comparison: Comparison | undefined): number | null {
  return comparison?.cpuUsPerReq ? 1 / comparison.cpuUsPerReq : null;
}

export function formatReport(results: BenchResults): string {
  const header = ['target', 'req/s', '(min–max)', 'p50 ms', 'p99 ms', 'CPU µs/req', 'client µs/req', 'server core', 'load core', 'non-2xx', 'errors'];
  const rows = [header];
  for (const s of results.summaries) {
    rows.push([
      s.target,
      fmt.int(s.reqPerSec),
      `(${fmt.int(s.reqPerSecMin)}–${fmt.int(s.reqPerSecMax)})`,
      fmt.ms(s.p50Ms),
      fmt.ms(s.p99Ms),
      fmt.us(s.cpuUsPerReq),
      fmt.us(s.loadCpuUsPerReq),
      fmt.pct(s.serverCoreBusy),
      fmt.pct(s.loadCoreBusy),
      String(s.non2xx),
      String(s.errors),
    ]);
  }
  const lines = [
    `Medians of ${results.options['rounds']} interleaved rounds × ${results.options['durationSeconds']} s, ` +
      `${results.options['connections']} connections, GET /fhir/${results.options['path']} ` +
      `(${results.options['upstream']} upstream, load by ${results.options['loader']}). Pinning: ${results.machine.pinning}.`,
    '',
    table(rows),
  ];
  // Only the first line: the log tail that may follow is in the JSON file and the child's log.
  for (const [target, reason] of Object.entries(results.unavailable)) lines.push(`${target.padEnd(8)}  unavailable: ${reason.split('\n', 1)[0]}`);

  if (results.comparisons.length) {
    lines.push('');
    const cmpRows = [['ratio', 'req/s', '(paired)', 'p50', 'p99', 'CPU/req']];
    for (const c of results.comparisons) {
      cmpRows.push([c.label, fmt.ratio(c.reqPerSec), `(${fmt.ratio(c.reqPerSecPaired)})`, fmt.ratio(c.p50), fmt.ratio(c.p99), fmt.ratio(c.cpuUsPerReq)]);
    }
    lines.push(table(cmpRows));
  }
  const v = results.verdict;
  const implied = impliedByCpu(results.comparisons.find((c) => c.label === 'custos ÷ bare'));
  lines.push(
    '',
    `${v.result}: custos ÷ bare req/s = ${fmt.ratio(v.ratio)} (needs ≥ ${v.minRatio})` +
      (implied === null ? '' : `; CPU per request implies ${fmt.ratio(implied)}`),
  );
  for (const warning of results.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}

export function writeResults(file: string, results: BenchResults): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}
