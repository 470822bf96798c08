/**
 * Runs the sample FHIR server as its own process (the benchmark harness does this):
 *
 *   node dist/src/sample-server/standalone.js --port 8090 [--host 127.0.0.1] [--patients 60] [--seed 42] [--base-path /fhir]
 *
 * Prints exactly one JSON line, `{"url":"http://127.0.0.1:8090/fhir"}`, on stdout once it
 * accepts requests, and closes cleanly on SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import { type SampleServerOptions, startSampleServer } from './server.js';

function integerOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new Error(`--${name} must be an integer, got "${value}"`);
  return Number(value);
}

function parseStandaloneArgs(argv: readonly string[]): SampleServerOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' }, host: { type: 'string' }, patients: { type: 'string' }, seed: { type: 'string' },
      'base-path': { type: 'string' },
    },
    strict: true,
  });
  const options: SampleServerOptions = {};
  const port = integerOption('port', values.port);
  const patients = integerOption('patients', values.patients);
  const seed = integerOption('seed', values.seed);
  if (port !== undefined) options.port = port;
  if (patients !== undefined) options.patients = patients;
  if (seed !== undefined) options.seed = seed;
  if (values.host !== undefined) options.host = values.host;
  if (values['base-path'] !== undefined) options.basePath = values['base-path'];
  return options;
}

async function main(): Promise<void> {
  const server = await startSampleServer(parseStandaloneArgs(process.argv.slice(2)));
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  const stop = (): void => {
    server.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`sample FHIR server failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
