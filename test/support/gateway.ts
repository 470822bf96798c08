/**
 * Starts Custos in-process on a free port for a test, with a captured log, in front of the given
 * upstream, in a fresh data directory. Configuration goes through the real loader, as
 * `custos start` does; tokens come from the real embedded dev issuer.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createDevIssuer, type MintRequest } from '../../src/adapters/identity/dev-issuer.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/logging.js';
import { startCustos, type RunningCustos } from '../../src/main.js';

export interface TestGateway extends RunningCustos {
  /** A practitioner token allowed every interaction (user/*.cruds). */
  readonly token: string;
  /** `{ authorization: 'Bearer <token>' }`, to spread into request headers. */
  readonly auth: { readonly authorization: string };
  /** Mints another token from the gateway's dev issuer. */
  mint(request: MintRequest): Promise<string>;
  readonly dataDir: string;
  /** Every log line written so far, parsed. */
  readonly logLines: () => Array<Record<string, unknown>>;
  readonly rawLog: () => string;
}

/**
 * For tests of the transport (paths, headers, formats, failures), not of consent: the opt-out model
 * permits whatever no patient has refused, and no patient has refused anything on a fresh chain.
 * Enforcement itself is tested in test/integration/enforcement/ under the default opt-in model.
 */
export const TRANSPORT_ONLY: Readonly<Record<string, string>> = Object.freeze({ CUSTOS_CONSENT_MODEL: 'opt-out' });

export async function startTestGateway(upstreamUrl: string, env: Record<string, string> = {}): Promise<TestGateway> {
  const dataDir = env['CUSTOS_DATA_DIR'] ?? mkdtempSync(join(tmpdir(), 'custos-test-'));
  const config = loadConfig({
    env: { CUSTOS_UPSTREAM_URL: upstreamUrl, CUSTOS_SERVER_PORT: '0', CUSTOS_LOG_LEVEL: 'debug', CUSTOS_DATA_DIR: dataDir, ...env },
  });
  let log = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      log += chunk.toString();
      done();
    },
  });
  const running = await startCustos(config, createLogger(config.log.level, sink));
  const issuer = await createDevIssuer({ dataDir, production: false });
  const token = await issuer.mint({ fhirUser: 'Practitioner/prac-01', scope: 'user/*.cruds' });
  return {
    ...running,
    close: () => running.close(),
    token,
    auth: { authorization: `Bearer ${token}` },
    mint: (request) => issuer.mint(request),
    dataDir,
    rawLog: () => log,
    logLines: () => log.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
