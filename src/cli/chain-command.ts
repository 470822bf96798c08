/**
 * `custos chain deploy`: deploys ConsentRegistry and AuditAnchor to an EVM network (e.g. a Besu
 * QBFT consortium) and writes the deployment record the gateway reads (`chain.deploymentFile`).
 * The deploying key becomes the contracts' admin; the gateway's account gets the registrar and
 * anchorer roles.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CustosError } from '../errors.js';

interface DeployFlags {
  rpc?: string;
  key?: string;
  model: string;
  out: string;
  gateway?: string;
  force?: boolean;
}

export function registerChainCommand(program: Command): void {
  const chain = program.command('chain').description('manage the on-chain contracts (consent registry, audit anchor)');
  chain
    .command('deploy')
    .description('deploy ConsentRegistry and AuditAnchor and write the deployment record')
    .option('--rpc <url>', 'EVM JSON-RPC endpoint (default: CUSTOS_CHAIN_RPC_URL)')
    .option('--key <hex>', 'deployer private key, becomes admin (default: CUSTOS_CHAIN_SIGNER_KEY; prefer it: arguments show in ps)')
    .option('--model <model>', 'consent model, fixed at deployment: opt-in or opt-out', 'opt-in')
    .option('--out <file>', 'where to write the deployment record', 'deployment.json')
    .option('--gateway <address>', "the gateway's account (registrar and anchorer roles; default: the deployer)")
    .option('--force', 'overwrite an existing deployment record')
    .action(async (flags: DeployFlags) => {
      try {
        const record = await deploy(flags);
        process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
      } catch (error) {
        process.stderr.write(`custos chain deploy: ${error instanceof CustosError ? error.message : String(error)}\n`);
        process.exit(1);
      }
    });
}

async function deploy(flags: DeployFlags) {
  const rpcUrl = flags.rpc ?? process.env['CUSTOS_CHAIN_RPC_URL'];
  const key = flags.key ?? process.env['CUSTOS_CHAIN_SIGNER_KEY'];
  if (!rpcUrl) throw new CustosError('INVALID_REQUEST', 'give the node with --rpc <url> (or CUSTOS_CHAIN_RPC_URL)');
  if (!key) throw new CustosError('INVALID_REQUEST', 'give the deployer key with --key <hex> (or CUSTOS_CHAIN_SIGNER_KEY)');
  if (flags.model !== 'opt-in' && flags.model !== 'opt-out') throw new CustosError('INVALID_REQUEST', '--model must be opt-in or opt-out');
  const out = resolve(flags.out);
  if (existsSync(out) && !flags.force) throw new CustosError('CONFLICT', `${out} exists; pass --force to replace it (the contracts it names stay on chain)`);

  // Loaded here so `custos --help` does not pay for ethers.
  const { connectChain } = await import('../adapters/ledger/chain-connection.js');
  const { deployContracts } = await import('../adapters/ledger/deploy.js');
  const { writeDeploymentRecord } = await import('../adapters/ledger/deployment-record.js');
  const connection = await connectChain({ rpcUrl, privateKey: key });
  try {
    const record = await deployContracts({ connection, model: flags.model, ...(flags.gateway ? { gateway: flags.gateway } : {}) });
    writeDeploymentRecord(out, record);
    return record;
  } finally {
    connection.close();
  }
}
