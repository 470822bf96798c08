/**
 * Wires consent: the chain (a local anvil under the data directory, or the configured EVM RPC),
 * the deployed contracts, the ethers ConsentLedger, the pseudonym key, and the consent indexer
 * that keeps the in-memory view current (snapshot and change fan-out through Redis when
 * configured, so replicas agree within one poll).
 */
import { join, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { connectChain, type ChainConnection } from '../adapters/ledger/chain-connection.js';
import { ensureDeployment, verifyDeployment } from '../adapters/ledger/deploy.js';
import { localDeploymentFile, readDeploymentRecord, type DeploymentRecord } from '../adapters/ledger/deployment-record.js';
import { EthersConsentLedger } from '../adapters/ledger/ethers-consent-ledger.js';
import { startLocalChain, type LocalChain } from '../adapters/ledger/local-chain.js';
import { loadOrCreateSecret } from '../adapters/store/local-secret.js';
import { connectRedis } from '../adapters/store/redis-connection.js';
import { RedisIndexSnapshotStore } from '../adapters/store/redis-index-snapshot.js';
import type { CustosConfig } from '../config/types.js';
import { CustosError } from '../errors.js';
import { ConsentIndexer } from '../policy/consent-indexer.js';
import { Pseudonymizer } from '../policy/pseudonym.js';

export interface ComposedConsent {
  readonly ledger: EthersConsentLedger;
  readonly indexer: ConsentIndexer;
  readonly pseudonyms: Pseudonymizer;
  readonly deployment: DeploymentRecord;
  readonly connection: ChainConnection;
  /** The local chain's RPC URL in embedded mode. */
  readonly localRpcUrl?: string;
  /** The Redis connection when `redis.url` is set (shared caches reuse it). */
  readonly redis?: Redis;
  close(): Promise<void>;
}

export async function composeConsent(config: CustosConfig, logger: Logger): Promise<ComposedConsent> {
  const dataDir = resolve(config.dataDir);
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    let chain: LocalChain | undefined;
    let connection: ChainConnection;
    let deployment: DeploymentRecord;
    if (!config.chain.rpcUrl) {
      chain = await startLocalChain({ dataDir });
      closers.push(() => chain!.close());
      connection = await connectChain({ rpcUrl: chain.rpcUrl, privateKey: chain.devKey(0) });
      closers.push(async () => connection.close());
      const ensured = await ensureDeployment({ connection, model: config.consent.model, file: localDeploymentFile(dataDir) });
      deployment = ensured.record;
      logger.info({ chainId: deployment.chainId, consentRegistry: deployment.consentRegistry, deployed: ensured.deployed }, 'local chain ready');
    } else {
      connection = await connectChain({ rpcUrl: config.chain.rpcUrl, privateKey: config.chain.signerKey! });
      closers.push(async () => connection.close());
      const record = readDeploymentRecord(config.chain.deploymentFile!);
      if (!record) throw new CustosError('CONFIG_INVALID', `chain.deploymentFile: ${config.chain.deploymentFile} does not exist; run \`custos chain deploy\` first`);
      await verifyDeployment(connection, record, { model: config.consent.model });
      deployment = record;
    }
    const ledger = new EthersConsentLedger({ connection, registryAddress: deployment.consentRegistry });
    const pseudonymKey = config.consent.pseudonymKey ?? loadOrCreateSecret(join(dataDir, 'secrets', 'pseudonym.key'));
    const pseudonyms = new Pseudonymizer(pseudonymKey);

    let store: RedisIndexSnapshotStore | undefined;
    let redis: Redis | undefined;
    if (config.redis.url) {
      // A command timeout (redis-connection.ts): a Redis that accepts but never answers must fail
      // commands, not hang them: an index poll awaiting its change fan-out would otherwise stall
      // until the index went stale (and every request were denied).
      redis = await connectRedis({ url: config.redis.url, commandTimeoutMs: config.redis.commandTimeoutMs, logger });
      const client = redis;
      closers.push(async () => void (await client.quit()));
      // Snapshots are MACed with the pseudonym key: a writer to Redis alone cannot forge consent.
      store = new RedisIndexSnapshotStore({ redis, keyPrefix: `custos:${deployment.chainId}:${deployment.consentRegistry}:`, integrityKey: pseudonymKey });
    }
    const indexer = new ConsentIndexer({
      ledger,
      model: config.consent.model,
      startBlock: deployment.deployedAtBlock,
      confirmations: config.chain.confirmations,
      pollIntervalMs: config.chain.pollIntervalMs,
      maxStalenessMs: config.chain.maxStalenessMs,
      ...(store ? { snapshotStore: store, changeFeed: store } : {}),
    });
    // The indexer is pure and has no logger: its warnings and freshness changes are logged here.
    indexer.onChange((change) => {
      if (change.kind === 'warning') logger.warn({ detail: change.message }, 'consent index warning');
      else if (change.kind === 'freshness') logger[change.stale ? 'warn' : 'info']({ reason: change.reason }, change.stale ? 'consent index is stale: decisions fail closed' : 'consent index is fresh');
      else if (change.kind === 'rewound' || change.kind === 'rebuilding') logger.warn({ change: change.kind }, 'consent index followed a reorg');
    });
    await indexer.start();
    closers.push(() => indexer.stop());
    return {
      ledger,
      indexer,
      pseudonyms,
      deployment,
      connection,
      ...(chain ? { localRpcUrl: chain.rpcUrl } : {}),
      ...(redis ? { redis } : {}),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
