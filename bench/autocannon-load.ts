/**
 * One autocannon run, in the load generator process.
 *
 * Latency percentiles are computed here from every response time at µs resolution: autocannon's
 * own histogram stores whole milliseconds, too coarse to tell 2.0 ms from 2.4 ms.
 */
import autocannon from 'autocannon';
import type { LoadRequest, LoadResult } from './load-protocol.js';
import { percentile } from './stats.js';

/** Growable buffer of response times in ms; capped so a runaway run cannot exhaust memory. */
class LatencyRecorder {
  private values = new Float64Array(1 << 16);
  private count = 0;
  private static readonly MAX = 20_000_000;

  record(ms: number): void {
    if (this.count === this.values.length) {
      if (this.count >= LatencyRecorder.MAX) return;
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = ms;
  }

  sorted(): Float64Array {
    return this.values.subarray(0, this.count).sort();
  }
}

export function runAutocannon(request: LoadRequest): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const recorder = new LatencyRecorder();
    const instance = autocannon(
      {
        url: request.url,
        connections: request.connections,
        duration: request.durationSeconds,
        pipelining: request.pipelining,
        headers: request.headers,
      },
      (error, result) => {
        if (error) return reject(error);
        const sorted = recorder.sorted();
        const durationSeconds = result.duration > 0 ? result.duration : request.durationSeconds;
        resolve({
          loader: 'autocannon',
          requests: result.requests.total,
          durationSeconds,
          reqPerSec: result.requests.total / durationSeconds,
          p50Ms: percentile(sorted, 50),
          p90Ms: percentile(sorted, 90),
          p99Ms: percentile(sorted, 99),
          maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          bytesPerSec: result.throughput.total / durationSeconds,
        });
      },
    );
    // Only 2xx responses count toward latency, as in autocannon itself.
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      if (statusCode >= 200 && statusCode < 300) recorder.record(responseTimeMs);
    });
  });
}
