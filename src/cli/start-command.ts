import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { CustosError } from '../errors.js';
import { createLogger } from '../logging.js';
import { startCustos } from '../main.js';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the gateway (embedded defaults unless CUSTOS_CONFIG / CUSTOS_* say otherwise)')
    .option('-c, --config <file>', 'a YAML configuration file layered over config/default.yaml (same as CUSTOS_CONFIG)')
    .option('-p, --port <port>', 'listen on this port (same as CUSTOS_SERVER_PORT)')
    .option('-u, --upstream <url>', 'the FHIR server to protect (same as CUSTOS_UPSTREAM_URL)')
    .action(async (flags: { config?: string; port?: string; upstream?: string }) => {
      const env: NodeJS.ProcessEnv = { ...process.env, ...(flags.config ? { CUSTOS_CONFIG: flags.config } : {}) };
      if (flags.port) env['CUSTOS_SERVER_PORT'] = flags.port;
      if (flags.upstream) env['CUSTOS_UPSTREAM_URL'] = flags.upstream;
      let config;
      try {
        config = loadConfig({ env });
      } catch (error) {
        if (error instanceof CustosError) {
          process.stderr.write(`custos: ${error.message}\n`);
          process.exit(2);
        }
        throw error;
      }
      const logger = createLogger(config.log.level);
      let running;
      try {
        running = await startCustos(config, logger);
      } catch (error) {
        const reason = (error as { code?: string }).code === 'EADDRINUSE'
          ? `port ${config.server.port} is already in use (set CUSTOS_SERVER_PORT or --port)`
          : error instanceof CustosError ? error.message : 'start failed';
        logger.fatal({ err: error instanceof CustosError ? undefined : error }, reason);
        logger.flush();
        process.stderr.write(`custos: ${reason}\n`);
        process.exit(1);
      }
      process.stdout.write(`custos: FHIR gateway on ${running.fhirBaseUrl} -> ${running.upstreamUrl}${running.sampleServer ? ' (bundled sample server)' : ''}\n`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down: finishing in-flight requests');
        running.close().then(() => {
          logger.info('stopped');
          logger.flush();
          process.exit(0);
        }, () => process.exit(1));
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
