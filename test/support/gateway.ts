/**
 * Starts Custos in-process on a free port for a test, with a captured log, in front of the given
 * upstream. Configuration goes through the real loader, as `custos start` does.
 */
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/logging.js';
import { startCustos, type RunningCustos } from '../../src/main.js';

export interface TestGateway extends RunningCustos {
  /** Every log line written so far, parsed. */
  readonly logLines: () => Array<Record<string, unknown>>;
  readonly rawLog: () => string;
}

export async function startTestGateway(upstreamUrl: string, env: Record<string, string> = {}): Promise<TestGateway> {
  const config = loadConfig({
    env: { CUSTOS_UPSTREAM_URL: upstreamUrl, CUSTOS_SERVER_PORT: '0', CUSTOS_LOG_LEVEL: 'debug', ...env },
  });
  let log = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      log += chunk.toString();
      done();
    },
  });
  const running = await startCustos(config, createLogger(config.log.level, sink));
  return {
    ...running,
    close: () => running.close(),
    rawLog: () => log,
    logLines: () => log.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
