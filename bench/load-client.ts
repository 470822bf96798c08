/**
 * The load generator process: started once (pinned to the load core) and kept for the whole
 * benchmark, so autocannon's JIT is warm in every round and no server ever shares its process.
 * The harness sends `LoadRequest`s over IPC; each is one run of the chosen tool.
 */
import { runAutocannon } from './autocannon-load.js';
import type { LoadRequest, LoadResponse } from './load-protocol.js';
import { runWrk } from './wrk-load.js';

function send(message: LoadResponse): void {
  process.send?.(message);
}

function main(): void {
  if (!process.send) {
    process.stderr.write('load-client: run me from the benchmark harness (needs an IPC channel)\n');
    process.exit(2);
  }
  process.on('message', (message: LoadRequest) => {
    if (message?.type !== 'run') return;
    const run = message.loader === 'wrk' ? runWrk : runAutocannon;
    run(message).then(
      (result) => send({ type: 'result', id: message.id, result }),
      (error: unknown) => send({ type: 'error', id: message.id, message: error instanceof Error ? error.message : String(error) }),
    );
  });
  // The harness is gone (normally or not): so are we.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
}

main();
