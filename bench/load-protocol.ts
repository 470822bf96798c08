/**
 * What the harness and its load generator process (`load-client.ts`) say to each other over IPC.
 * Both load tools answer in the same shape, so nothing downstream knows which one ran.
 */

/** autocannon (npm, always installed) or wrk (C, `apt-get install wrk`: cheaper per request). */
export type Loader = 'autocannon' | 'wrk';

export interface LoadRequest {
  type: 'run';
  id: number;
  loader: Loader;
  url: string;
  connections: number;
  durationSeconds: number;
  pipelining: number;
  headers: Record<string, string>;
}

export interface LoadResult {
  loader: Loader;
  requests: number;
  durationSeconds: number;
  reqPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** autocannon: responses outside 2xx; wrk: responses with status ≥ 400 (what wrk counts). */
  non2xx: number;
  /** Connection, read and write errors and timeouts. */
  errors: number;
  bytesPerSec: number;
}

export type LoadResponse =
  | { type: 'result'; id: number; result: LoadResult }
  | { type: 'error'; id: number; message: string };
