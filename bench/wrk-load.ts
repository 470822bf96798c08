/**
 * One wrk run, in the load generator process (so wrk inherits its core pinning, and its CPU time
 * lands in the load generator's accounts once reaped). wrk is C: measured here it costs about
 * 13–15 µs CPU per request (mostly loopback TCP in the kernel) against autocannon's 17–28 µs, and
 * it measures latency in µs; that headroom matters on a 2-core machine where the client's core
 * also hosts the upstream.
 */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadRequest, LoadResult } from './load-protocol.js';

/** Lives in the source tree (tsc does not copy .lua into dist/): dist/bench/ → bench/. */
const REPORT_SCRIPT = fileURLToPath(new URL('../../bench/wrk-report.lua', import.meta.url));

/** Why wrk cannot be used here, or undefined when it can. */
export function wrkUnavailable(): string | undefined {
  const probe = spawnSync('wrk', ['--version'], { stdio: 'ignore', timeout: 5_000 });
  if (probe.error) return 'wrk not found: `apt-get install -y wrk`, or use --loader autocannon';
  return undefined;
}

interface WrkReport {
  requests: number;
  durationUs: number;
  bytes: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
}

export function runWrk(request: LoadRequest): Promise<LoadResult> {
  if (request.pipelining !== 1) {
    return Promise.reject(new Error('--pipelining needs --loader autocannon (wrk pipelines only through custom Lua)'));
  }
  const args = ['-t1', `-c${request.connections}`, `-d${request.durationSeconds}s`, '--timeout', '10s', '-s', REPORT_SCRIPT];
  for (const [name, value] of Object.entries(request.headers)) args.push('-H', `${name}: ${value}`);
  args.push(request.url);
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (request.durationSeconds + 15) * 1000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`wrk failed: ${error.message} ${stderr}`.trim()));
      const line = stdout.split('\n').find((l) => l.startsWith('{"requests"'));
      if (!line) return reject(new Error(`wrk printed no report (is ${REPORT_SCRIPT} there?)`));
      const r = JSON.parse(line) as WrkReport;
      const durationSeconds = r.durationUs / 1e6;
      resolve({
        loader: 'wrk',
        requests: r.requests,
        durationSeconds,
        reqPerSec: r.requests / durationSeconds,
        p50Ms: r.p50Us / 1000,
        p90Ms: r.p90Us / 1000,
        p99Ms: r.p99Us / 1000,
        maxMs: r.maxUs / 1000,
        non2xx: r.status,
        errors: r.connect + r.read + r.write + r.timeout,
        bytesPerSec: r.bytes / durationSeconds,
      });
    });
  });
}
