/**
 * The harness's handle on the load generator (`load-client.ts`): starts it in its own pinned
 * process and turns "load this URL for N seconds" into a promise with a deadline.
 */
import { fileURLToPath } from 'node:url';
import type { LoadRequest, LoadResponse, LoadResult } from './load-protocol.js';
import { startProcess, type ManagedProcess } from './processes.js';

export type { LoadResult } from './load-protocol.js';

export type LoadSpec = Omit<LoadRequest, 'type' | 'id'>;

export interface LoadRunner {
  readonly process: ManagedProcess;
  run(spec: LoadSpec): Promise<LoadResult>;
}

/** A run that takes this much longer than asked has hung (a target stopped answering, say). */
const GRACE_MS = 30_000;

/** IPC is JSON: a NaN (no 2xx response, so no latency) arrives as null. Put it back. */
function revive(result: LoadResult): LoadResult {
  const copy: Record<string, unknown> = { ...result };
  for (const [key, value] of Object.entries(copy)) if (value === null) copy[key] = Number.NaN;
  return copy as unknown as LoadResult;
}

export async function startLoadRunner(options: { cpus: readonly number[] | undefined; logFile: string }): Promise<LoadRunner> {
  const process_ = await startProcess({
    name: 'load-client',
    command: process.execPath,
    args: [fileURLToPath(new URL('./load-client.js', import.meta.url))],
    cpus: options.cpus,
    readiness: { kind: 'stdout-json' },
    timeoutMs: 15_000,
    logFile: options.logFile,
    ipc: true,
  });
  const child = process_.child;
  let nextId = 1;

  return {
    process: process_,
    run(spec) {
      const id = nextId++;
      return new Promise<LoadResult>((resolve, reject) => {
        const cleanup = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        const onMessage = (message: LoadResponse) => {
          if (message.id !== id) return;
          cleanup();
          if (message.type === 'result') resolve(revive(message.result));
          else reject(new Error(`load generator: ${message.message}`));
        };
        const onExit = () => {
          cleanup();
          reject(new Error(`load generator exited during a run (log: ${options.logFile})`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`load generator: no result ${GRACE_MS / 1000} s after a ${spec.durationSeconds} s run`));
        }, spec.durationSeconds * 1000 + GRACE_MS);
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send({ type: 'run', id, ...spec } satisfies LoadRequest);
      });
    },
  };
}
