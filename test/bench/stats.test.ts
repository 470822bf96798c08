/**
 * The benchmark's arithmetic and its option parsing. The harness itself (processes, load) is
 * exercised by `npm run bench`, not here: it takes minutes and needs quiet cores.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BenchArgsError, parseBenchArgs } from '../../bench/args.js';
import { compare, median, percentile, ratio, summarizeTarget, verdict, type RoundSample } from '../../bench/stats.js';

function sample(target: string, round: number, reqPerSec: number, extra: Partial<RoundSample> = {}): RoundSample {
  return {
    target,
    round,
    reqPerSec,
    p50Ms: 2,
    p99Ms: 10,
    cpuUsPerReq: null,
    loadCpuUsPerReq: null,
    serverCoreBusy: null,
    loadCoreBusy: null,
    backgroundBusy: null,
    non2xx: 0,
    errors: 0,
    ...extra,
  };
}

describe('median', () => {
  it('takes the middle value of an odd count, whatever the input order', () => {
    assert.equal(median([9, 1, 5]), 5);
  });

  it('averages the two middle values of an even count', () => {
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('ignores a round that produced no number, and is NaN when nothing is left', () => {
    assert.equal(median([Number.NaN, 7]), 7);
    assert.ok(Number.isNaN(median([])));
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    assert.deepEqual(values, [3, 1, 2]);
  });
});

describe('percentile (nearest rank)', () => {
  const sorted = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

  it('returns an observed value, never an interpolated one', () => {
    assert.equal(percentile(sorted, 50), 5);
    assert.equal(percentile(sorted, 99), 10);
    assert.equal(percentile(sorted, 0), 1);
  });

  it('is NaN for a run without a single 2xx response', () => {
    assert.ok(Number.isNaN(percentile(new Float64Array(0), 50)));
  });
});

describe('ratio', () => {
  it('divides', () => {
    assert.equal(ratio(7_500, 10_000), 0.75);
  });

  it('is null when a side is missing or the denominator is not positive', () => {
    assert.equal(ratio(null, 1), null);
    assert.equal(ratio(1, undefined), null);
    assert.equal(ratio(1, 0), null);
    assert.equal(ratio(Number.NaN, 1), null);
  });
});

describe('verdict', () => {
  it('passes at exactly the threshold and above', () => {
    assert.equal(verdict(0.75, 0.75), 'PASS');
    assert.equal(verdict(0.9, 0.75), 'PASS');
  });

  it('fails below the threshold', () => {
    assert.equal(verdict(0.7499, 0.75), 'FAIL');
  });

  it('is N/A when Custos could not be measured', () => {
    assert.equal(verdict(null, 0.75), 'N/A');
  });
});

describe('summarizeTarget and compare', () => {
  const samples = [
    sample('bare', 1, 10_000),
    sample('custos', 1, 8_000, { non2xx: 1 }),
    sample('bare', 2, 12_000),
    sample('custos', 2, 9_000),
    sample('bare', 3, 2_000), // a neighbour stole the core: the median shrugs it off
    sample('custos', 3, 1_800),
  ];

  it('reports the median per target and sums error counts', () => {
    const bare = summarizeTarget('bare', samples);
    assert.equal(bare.rounds, 3);
    assert.equal(bare.reqPerSec, 10_000);
    assert.equal(bare.reqPerSecMin, 2_000);
    assert.equal(bare.reqPerSecMax, 12_000);
    assert.equal(summarizeTarget('custos', samples).non2xx, 1);
  });

  it('compares medians and, as a cross-check, the median of per-round ratios', () => {
    const result = compare(summarizeTarget('custos', samples), summarizeTarget('bare', samples), samples);
    assert.ok(result);
    assert.equal(result.label, 'custos ÷ bare');
    assert.equal(result.reqPerSec, 0.8);
    assert.equal(result.reqPerSecPaired, 0.8); // 0.8, 0.75, 0.9
    assert.equal(result.p50, 1);
    assert.equal(result.cpuUsPerReq, null);
  });

  it('has nothing to compare when a target was not measured', () => {
    assert.equal(compare(undefined, summarizeTarget('bare', samples), samples), null);
  });
});

describe('parseBenchArgs', () => {
  it('defaults to the issue target: fixed upstream, all targets, 0.75, exit 0', () => {
    const options = parseBenchArgs([]);
    assert.equal(options.upstream, 'fixed');
    assert.deepEqual(options.targets, ['direct', 'bare', 'custos']);
    assert.equal(options.minRatio, 0.75);
    assert.equal(options.strict, false);
    assert.equal(options.pin, true);
    assert.equal(options.path, 'Patient/pat-001');
    assert.equal(options.loader, 'autocannon');
  });

  it('accepts wrk as the load generator, but not with pipelining (wrk cannot without Lua)', () => {
    assert.equal(parseBenchArgs(['--loader', 'wrk']).loader, 'wrk');
    assert.throws(() => parseBenchArgs(['--loader', 'wrk', '--pipelining', '4']), /--pipelining/);
    assert.throws(() => parseBenchArgs(['--loader', 'ab']), /--loader/);
  });

  it('reads the round settings, --strict and --no-pin', () => {
    const options = parseBenchArgs(['--rounds', '5', '--duration', '20', '--connections', '64', '--warmup', '0', '--min-ratio', '0.8', '--strict', '--no-pin']);
    assert.equal(options.rounds, 5);
    assert.equal(options.durationSeconds, 20);
    assert.equal(options.connections, 64);
    assert.equal(options.warmupSeconds, 0);
    assert.equal(options.minRatio, 0.8);
    assert.equal(options.strict, true);
    assert.equal(options.pin, false);
  });

  it('keeps targets in interleaving order, whatever order they were given in', () => {
    assert.deepEqual(parseBenchArgs(['--targets', 'custos,direct']).targets, ['direct', 'custos']);
  });

  it('collects repeated headers and Custos environment variables', () => {
    const options = parseBenchArgs(['--header', 'Authorization: Bearer abc', '--custos-env', 'CUSTOS_X=a=b']);
    assert.deepEqual(options.headers, { authorization: 'Bearer abc' });
    assert.deepEqual(options.custosEnv, { CUSTOS_X: 'a=b' });
  });

  it('rejects what it cannot use, naming the option', () => {
    assert.throws(() => parseBenchArgs(['--rounds', '0']), (e: unknown) => e instanceof BenchArgsError && /--rounds/.test(e.message));
    assert.throws(() => parseBenchArgs(['--duration', '1.5']), BenchArgsError);
    assert.throws(() => parseBenchArgs(['--min-ratio', 'high']), /--min-ratio/);
    assert.throws(() => parseBenchArgs(['--upstream', 'hapi']), /--upstream/);
    assert.throws(() => parseBenchArgs(['--targets', 'direct,nginx']), /--targets/);
    assert.throws(() => parseBenchArgs(['--header', 'no-colon']), /--header/);
    assert.throws(() => parseBenchArgs(['--bogus']), BenchArgsError);
  });
});
