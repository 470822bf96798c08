/**
 * Command-line options of `npm run bench -- …`, parsed and validated up front so a typo fails in
 * milliseconds, not after a minute of warm-up. Pure: takes argv, returns options or throws
 * `BenchArgsError` with a message that says what to fix.
 */
import { parseArgs } from 'node:util';
import type { Loader } from './load-protocol.js';

export const TARGETS = ['direct', 'bare', 'custos', 'custos-b'] as const;
export type Target = (typeof TARGETS)[number];
export type UpstreamKind = 'fixed' | 'sample';

export interface BenchOptions {
  help: boolean;
  upstream: UpstreamKind;
  loader: Loader;
  targets: Target[];
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  pipelining: number;
  /** Request path relative to each target's FHIR base, e.g. `Patient/pat-001`. */
  path: string;
  minRatio: number;
  strict: boolean;
  pin: boolean;
  out: string;
  startTimeoutSeconds: number;
  /** Wait before each round until other processes use less than this fraction of the machine… */
  quietThreshold: number;
  /** …but no longer than this. 0 = never wait. */
  quietWaitSeconds: number;
  headers: Record<string, string>;
  custosEnv: Record<string, string>;
  /** A second Custos, "custos-b", started with these variables on top (an A/B in the same run). */
  custosBEnv: Record<string, string>;
}

export class BenchArgsError extends Error {
  override name = 'BenchArgsError';
}

export const USAGE = `Usage: npm run bench -- [options]

  --upstream fixed|sample   upstream FHIR server (default fixed: a ~2 KB Patient, near-zero cost)
  --loader autocannon|wrk   load generator (default autocannon; wrk needs apt-get install wrk)
  --targets LIST            comma-separated subset of direct,bare,custos,custos-b (default the first three)
  --rounds N                interleaved rounds per target; medians are reported (default 3)
  --duration S              seconds of load per round (default 10)
  --warmup S                seconds of discarded load per target before round 1 (default 3)
  --connections N           concurrent connections (default 50)
  --pipelining N            requests in flight per connection (default 1)
  --path P                  request path under the FHIR base (default Patient/pat-001)
  --min-ratio R             custos ÷ bare req/s needed to PASS (default 0.75)
  --strict                  exit 1 when the verdict is FAIL (default: always exit 0)
  --no-pin                  do not pin processes to cores with taskset
  --out FILE                JSON results file (default bench/results/latest.json)
  --start-timeout S         seconds to wait for each server to be ready (default 60)
  --quiet-below F           before each round wait until other work uses < F of all cores (default 0.2)
  --quiet-wait S            …but at most S seconds, then measure anyway and warn (default 30; 0 = off)
  --header "Name: value"    extra request header for every target (repeatable)
  --custos-env KEY=VALUE    extra environment variable for Custos (repeatable)
  --custos-b-env KEY=VALUE  adds target custos-b: a second Custos with this variable on top, measured
                            in the same interleaved rounds (an A/B; repeatable)
  --help                    this text
`;

function positiveInt(name: string, raw: string | undefined, fallback: number, allowZero = false): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new BenchArgsError(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${raw}"`);
  }
  return value;
}

function keyValues(name: string, raw: string[] | undefined, separator: ':' | '='): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of raw ?? []) {
    const at = item.indexOf(separator);
    const key = at > 0 ? item.slice(0, at).trim() : '';
    if (!key) throw new BenchArgsError(`--${name} expects "KEY${separator}value", got "${item}"`);
    out[separator === ':' ? key.toLowerCase() : key] = item.slice(at + 1).trim();
  }
  return out;
}

function parseTargets(raw: string | undefined): Target[] {
  if (raw === undefined) return ['direct', 'bare', 'custos'];
  const asked = raw.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = asked.filter((t) => !(TARGETS as readonly string[]).includes(t));
  if (unknown.length || asked.length === 0) {
    throw new BenchArgsError(`--targets takes a comma-separated subset of ${TARGETS.join(',')}, got "${raw}"`);
  }
  // Canonical order, so rounds always interleave direct → bare → custos.
  return TARGETS.filter((t) => asked.includes(t));
}

/** `--custos-b-env` implies the custos-b target. */
function withVariant(targets: Target[], variantEnv: readonly string[] | undefined): Target[] {
  return variantEnv?.length && !targets.includes('custos-b') ? [...targets, 'custos-b'] : targets;
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        upstream: { type: 'string' },
        loader: { type: 'string' },
        targets: { type: 'string' },
        rounds: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        connections: { type: 'string' },
        pipelining: { type: 'string' },
        path: { type: 'string' },
        'min-ratio': { type: 'string' },
        strict: { type: 'boolean' },
        'no-pin': { type: 'boolean' },
        out: { type: 'string' },
        'start-timeout': { type: 'string' },
        'quiet-below': { type: 'string' },
        'quiet-wait': { type: 'string' },
        header: { type: 'string', multiple: true },
        'custos-env': { type: 'string', multiple: true },
        'custos-b-env': { type: 'string', multiple: true },
      },
    }));
  } catch (error) {
    throw new BenchArgsError(error instanceof Error ? error.message : String(error));
  }

  const upstream = values.upstream ?? 'fixed';
  if (upstream !== 'fixed' && upstream !== 'sample') {
    throw new BenchArgsError(`--upstream must be "fixed" or "sample", got "${upstream}"`);
  }
  const loader = values.loader ?? 'autocannon';
  if (loader !== 'autocannon' && loader !== 'wrk') {
    throw new BenchArgsError(`--loader must be "autocannon" or "wrk", got "${loader}"`);
  }
  const pipelining = positiveInt('pipelining', values.pipelining, 1);
  if (loader === 'wrk' && pipelining !== 1) throw new BenchArgsError('--pipelining needs --loader autocannon');
  const minRatio = values['min-ratio'] === undefined ? 0.75 : Number(values['min-ratio']);
  if (!Number.isFinite(minRatio) || minRatio <= 0) {
    throw new BenchArgsError(`--min-ratio must be a positive number such as 0.75, got "${values['min-ratio']}"`);
  }
  const quietThreshold = values['quiet-below'] === undefined ? 0.2 : Number(values['quiet-below']);
  if (!Number.isFinite(quietThreshold) || quietThreshold <= 0 || quietThreshold > 1) {
    throw new BenchArgsError(`--quiet-below must be a fraction in (0, 1], got "${values['quiet-below']}"`);
  }
  const path = (values.path ?? 'Patient/pat-001').replace(/^\/+/, '');
  if (!path || /\s/.test(path)) throw new BenchArgsError(`--path must be a path such as Patient/pat-001, got "${values.path}"`);

  return {
    help: values.help ?? false,
    upstream,
    loader,
    targets: withVariant(parseTargets(values.targets), values['custos-b-env']),
    rounds: positiveInt('rounds', values.rounds, 3),
    durationSeconds: positiveInt('duration', values.duration, 10),
    warmupSeconds: positiveInt('warmup', values.warmup, 3, true),
    connections: positiveInt('connections', values.connections, 50),
    pipelining,
    path,
    minRatio,
    strict: values.strict ?? false,
    pin: !(values['no-pin'] ?? false),
    out: values.out ?? 'bench/results/latest.json',
    startTimeoutSeconds: positiveInt('start-timeout', values['start-timeout'], 60),
    quietThreshold,
    quietWaitSeconds: positiveInt('quiet-wait', values['quiet-wait'], 30, true),
    headers: keyValues('header', values.header, ':'),
    custosEnv: keyValues('custos-env', values['custos-env'], '='),
    custosBEnv: keyValues('custos-b-env', values['custos-b-env'], '='),
  };
}
