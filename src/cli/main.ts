#!/usr/bin/env node
/**
 * The `custos` command. `custos start` runs the gateway; later issues add consents, audit,
 * reports, verify and dev tokens here, mirroring the admin API.
 */
import { Command } from 'commander';
import { registerAuditCommand } from './audit-command.js';
import { registerReportCommand } from './report-command.js';
import { registerChainCommand } from './chain-command.js';
import { registerConsentCommand } from './consent-command.js';
import { registerSampleServerCommand } from './sample-server-command.js';
import { registerStartCommand } from './start-command.js';
import { registerTokenCommand } from './token-command.js';

const program = new Command()
  .name('custos')
  .description('Custos: a consent-enforcing, audited gateway in front of FHIR R4 servers')
  .version('0.1.0');
registerStartCommand(program);
registerSampleServerCommand(program);
registerTokenCommand(program);
registerConsentCommand(program);
registerChainCommand(program);
registerAuditCommand(program);
registerReportCommand(program);
await program.parseAsync(process.argv);
