import type { Command } from 'commander';

export function registerSampleServerCommand(program: Command): void {
  program
    .command('sample-server')
    .description('run only the bundled sample FHIR server (synthetic patients), e.g. as an upstream to try things against')
    .option('-p, --port <port>', 'port', '8090')
    .option('--host <host>', 'interface', '127.0.0.1')
    .option('--patients <n>', 'number of synthetic patients', '60')
    .option('--id-prefix <prefix>', 'prefix every resource id (a second hospital: the same people, MRNs kept, other ids)')
    .action(async (flags: { port: string; host: string; patients: string; idPrefix?: string }) => {
      const { startSampleServer } = await import('../sample-server/server.js');
      const server = await startSampleServer({ host: flags.host, port: Number(flags.port), patients: Number(flags.patients), ...(flags.idPrefix ? { idPrefix: flags.idPrefix } : {}) });
      process.stdout.write(`sample FHIR server on ${server.url}\n`);
      const stop = () => void server.close().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
}
