/**
 * Deploys ConsentRegistry and AuditAnchor with ethers (the sender becomes their admin), gives the
 * gateway's account the registrar and anchorer roles, and checks an existing deployment at start.
 *
 * `ensureDeployment` never redeploys over a record whose contracts are missing: on an opt-out
 * registry a fresh, empty deployment would silently drop every recorded denial. It says what is
 * wrong and lets the operator decide (for the local chain: delete `<dataDir>/chain` to start over).
 */
import { Contract } from 'ethers';
import { CustosError } from '../../errors.js';
import type { ConsentModel } from '../../policy/consent-model.js';
import type { ChainConnection } from './chain-connection.js';
import { contractInterface, loadArtifact } from './contract-artifacts.js';
import { type DeploymentRecord, readDeploymentRecord, writeDeploymentRecord } from './deployment-record.js';
import { toLedgerError } from './ledger-errors.js';
import { ANCHORER_ROLE, REGISTRAR_ROLE } from './roles.js';

export interface DeployOptions {
  /** The deployer's connection; its account becomes admin of both contracts. */
  readonly connection: ChainConnection;
  readonly model: ConsentModel;
  /** The gateway's account (registrar + anchorer); default: the deployer's. */
  readonly gateway?: string;
}

export interface DeploymentCheck {
  readonly model?: ConsentModel;
  /** When given, also checks this account holds the registrar and anchorer roles. */
  readonly gateway?: string;
}

export async function deployContracts(options: DeployOptions): Promise<DeploymentRecord> {
  const { sender } = options.connection;
  const registryArtifact = loadArtifact('ConsentRegistry');
  const anchorArtifact = loadArtifact('AuditAnchor');
  // Sent back to back (the sender orders the nonces), mined in parallel.
  const [registry, anchor] = await Promise.all([
    sender.deploy(registryArtifact.abi, registryArtifact.bytecode, [options.model === 'opt-out' ? 1 : 0], 'deploy ConsentRegistry'),
    sender.deploy(anchorArtifact.abi, anchorArtifact.bytecode, [], 'deploy AuditAnchor'),
  ]);
  const gateway = options.gateway ?? options.connection.address;
  const registryContract = new Contract(registry.address, contractInterface('ConsentRegistry'), options.connection.signer);
  const anchorContract = new Contract(anchor.address, contractInterface('AuditAnchor'), options.connection.signer);
  await Promise.all([
    sender.call(registryContract, 'grantRole', [REGISTRAR_ROLE, gateway], 'grant the registrar role'),
    sender.call(anchorContract, 'grantRole', [ANCHORER_ROLE, gateway], 'grant the anchorer role'),
  ]);
  return {
    chainId: options.connection.chainId,
    consentRegistry: registry.address,
    auditAnchor: anchor.address,
    deployedAtBlock: Math.min(registry.receipt.blockNumber, anchor.receipt.blockNumber),
    model: options.model,
  };
}

/** Throws CONFIG_INVALID naming the mismatch: other chain, no code at an address, other model, missing role. */
export async function verifyDeployment(connection: ChainConnection, record: DeploymentRecord, check: DeploymentCheck = {}): Promise<void> {
  const { provider } = connection;
  try {
    const chainId = Number(await provider.send('eth_chainId', []));
    if (chainId !== record.chainId) {
      throw new CustosError('CONFIG_INVALID', `the deployment record is for chain ${record.chainId} but the node is chain ${chainId}; check chain.rpcUrl and chain.deploymentFile`);
    }
    for (const [name, address] of [['ConsentRegistry', record.consentRegistry], ['AuditAnchor', record.auditAnchor]] as const) {
      if ((await provider.getCode(address)) === '0x') {
        throw new CustosError('CONFIG_INVALID', `no ${name} contract at ${address} on chain ${chainId}: the chain was reset or the record belongs to another network (for the local chain, delete <dataDir>/chain to start over)`);
      }
    }
    const registry = new Contract(record.consentRegistry, contractInterface('ConsentRegistry'), provider);
    const model: ConsentModel = Number(await registry.getFunction('model').staticCall()) === 1 ? 'opt-out' : 'opt-in';
    if (model !== record.model) throw new CustosError('CONFIG_INVALID', `the registry at ${record.consentRegistry} runs ${model}, the deployment record says ${record.model}`);
    if (check.model && check.model !== model) {
      throw new CustosError('CONFIG_INVALID', `consent.model is ${check.model} but the registry was deployed ${model}; the model is fixed at deployment`);
    }
    if (check.gateway) {
      const anchor = new Contract(record.auditAnchor, contractInterface('AuditAnchor'), provider);
      if (!(await registry.getFunction('hasRole').staticCall(REGISTRAR_ROLE, check.gateway))) {
        throw new CustosError('CONFIG_INVALID', `the gateway account ${check.gateway} lacks the registrar role on ConsentRegistry; the admin must grant it`);
      }
      if (!(await anchor.getFunction('hasRole').staticCall(ANCHORER_ROLE, check.gateway))) {
        throw new CustosError('CONFIG_INVALID', `the gateway account ${check.gateway} lacks the anchorer role on AuditAnchor; the admin must grant it`);
      }
    }
  } catch (error) {
    throw toLedgerError(error, 'check the contract deployment');
  }
}

export interface EnsuredDeployment {
  readonly record: DeploymentRecord;
  /** True when this call deployed the contracts (and wrote the record). */
  readonly deployed: boolean;
}

/**
 * The embedded gateway's start-up step: reuse the deployment in `file` after checking it, or deploy
 * and write one when there is no file yet.
 */
export async function ensureDeployment(options: DeployOptions & { readonly file: string }): Promise<EnsuredDeployment> {
  const existing = readDeploymentRecord(options.file);
  const gateway = options.gateway ?? options.connection.address;
  if (existing) {
    await verifyDeployment(options.connection, existing, { model: options.model, gateway });
    return { record: existing, deployed: false };
  }
  const record = await deployContracts(options);
  writeDeploymentRecord(options.file, record);
  return { record, deployed: true };
}
