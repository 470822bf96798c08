/**
 * The embedded chain's life cycle: state survives a restart (grants, events, block hashes, the
 * deployment record), a stopped node fails closed, mismatched deployments are refused, and
 * `custos chain deploy` writes a record the gateway accepts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import { type ChainConnection, connectChain } from '../../../src/adapters/ledger/chain-connection.js';
import { ensureDeployment, verifyDeployment } from '../../../src/adapters/ledger/deploy.js';
import { localDeploymentFile, readDeploymentRecord } from '../../../src/adapters/ledger/deployment-record.js';
import { EthersConsentLedger } from '../../../src/adapters/ledger/ethers-consent-ledger.js';
import { type LocalChain, startLocalChain } from '../../../src/adapters/ledger/local-chain.js';
import { registerChainCommand } from '../../../src/cli/chain-command.js';
import { median, rejectsWith, sampleGrant } from './chain-fixture.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'custos-chain-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function open(dataDir: string): Promise<{ chain: LocalChain; connection: ChainConnection }> {
  const chain = await startLocalChain({ dataDir });
  const connection = await connectChain({ rpcUrl: chain.rpcUrl, privateKey: chain.devKey(0), chainId: chain.chainId });
  return { chain, connection };
}

async function shut(opened: { chain: LocalChain; connection: ChainConnection }): Promise<void> {
  opened.connection.close();
  await opened.chain.close();
}

describe('local chain', () => {
  it('keeps grants, events, block hashes and the deployment across a restart', async () => {
    const dataDir = tempDir();
    const file = localDeploymentFile(dataDir);

    const first = await open(dataDir);
    const created = await ensureDeployment({ connection: first.connection, model: 'opt-out', file });
    assert.equal(created.deployed, true);
    assert.deepEqual(readDeploymentRecord(file), created.record);
    const ledger = new EthersConsentLedger({ connection: first.connection, registryAddress: created.record.consentRegistry });
    const granted = await ledger.grant(sampleGrant());
    const before = await ledger.events(created.record.deployedAtBlock, granted.blockNumber);
    await shut(first);
    assert.ok(existsSync(first.chain.statePath), 'state dumped on close');

    const second = await open(dataDir);
    try {
      const found = await ensureDeployment({ connection: second.connection, model: 'opt-out', file });
      assert.equal(found.deployed, false, 'found again, not redeployed');
      assert.deepEqual(found.record, created.record);
      const again = new EthersConsentLedger({ connection: second.connection, registryAddress: found.record.consentRegistry });
      assert.equal(await again.model(), 'opt-out');
      assert.deepEqual(await again.events(created.record.deployedAtBlock, granted.blockNumber), before);
      assert.equal(await again.blockHash(granted.blockNumber), granted.blockHash);
      // the chain goes on: next id, next block, the same account's nonce sequence
      const next = await again.grant(sampleGrant());
      assert.equal(BigInt(next.grantId!), BigInt(granted.grantId!) + 1n);
      assert.equal(next.blockNumber, granted.blockNumber + 1);
      await again.revoke(granted.grantId!);
    } finally {
      await shut(second);
    }
  });

  it('fails closed with LEDGER_UNAVAILABLE when the node is gone', async () => {
    const opened = await open(tempDir());
    const { record } = await ensureDeployment({ connection: opened.connection, model: 'opt-in', file: localDeploymentFile(tempDir()) });
    const ledger = new EthersConsentLedger({ connection: opened.connection, registryAddress: record.consentRegistry });
    await opened.chain.close();
    await rejectsWith(ledger.head(), 'LEDGER_UNAVAILABLE');
    await rejectsWith(ledger.events(0, 10), 'LEDGER_UNAVAILABLE');
    const error = await rejectsWith(ledger.grant(sampleGrant()), 'LEDGER_UNAVAILABLE');
    assert.match(error.message, /unreachable/);
    assert.doesNotMatch(error.message, /127\.0\.0\.1/, 'never echoes the RPC URL');
    opened.connection.close();
    await rejectsWith(connectChain({ rpcUrl: opened.chain.rpcUrl, privateKey: opened.chain.devKey(0) }), 'LEDGER_UNAVAILABLE');
  });

  it('refuses a deployment record that does not match the chain or the configured model', async () => {
    const dataDir = tempDir();
    const opened = await open(dataDir);
    try {
      const file = localDeploymentFile(dataDir);
      const { record } = await ensureDeployment({ connection: opened.connection, model: 'opt-in', file });
      const other = await connectChain({ rpcUrl: opened.chain.rpcUrl, privateKey: opened.chain.devKey(5), chainId: opened.chain.chainId });
      try {
        const model = await rejectsWith(ensureDeployment({ connection: opened.connection, model: 'opt-out', file }), 'CONFIG_INVALID');
        assert.match(model.message, /model is fixed at deployment/);
        await rejectsWith(verifyDeployment(opened.connection, { ...record, chainId: 1 }), 'CONFIG_INVALID');
        const gone = await rejectsWith(verifyDeployment(opened.connection, { ...record, auditAnchor: other.address }), 'CONFIG_INVALID');
        assert.match(gone.message, /no AuditAnchor contract at/);
        const role = await rejectsWith(verifyDeployment(opened.connection, record, { gateway: other.address }), 'CONFIG_INVALID');
        assert.match(role.message, /lacks the registrar role/);
      } finally {
        other.close();
      }
    } finally {
      await shut(opened);
    }
  });

  it('starts quickly and stops with the state flushed', async (t) => {
    const dataDir = tempDir();
    const starts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const chain = await startLocalChain({ dataDir });
      starts.push(performance.now() - started);
      await chain.close();
      await chain.close(); // idempotent
    }
    t.diagnostic(`anvil start (spawn -> RPC answers) median ${median(starts).toFixed(0)} ms`);
    assert.ok(JSON.parse(readFileSync(join(dataDir, 'chain', 'anvil-state.json'), 'utf8')).block);
  });
});

describe('custos chain deploy', () => {
  it('deploys both contracts and writes a record the gateway accepts', async () => {
    const chain = await startLocalChain({ dataDir: tempDir() });
    try {
      const out = join(tempDir(), 'deployment.json');
      const gateway = await connectChain({ rpcUrl: chain.rpcUrl, privateKey: chain.devKey(7), chainId: chain.chainId });
      gateway.close();
      const program = new Command().exitOverride();
      registerChainCommand(program);
      const written: string[] = [];
      const write = process.stdout.write;
      process.stdout.write = ((chunk: string) => {
        written.push(chunk);
        return true;
      }) as typeof process.stdout.write;
      try {
        await program.parseAsync(['chain', 'deploy', '--rpc', chain.rpcUrl, '--key', chain.devKey(6), '--model', 'opt-out', '--out', out, '--gateway', gateway.address], { from: 'user' });
      } finally {
        process.stdout.write = write;
      }
      const record = readDeploymentRecord(out)!;
      assert.equal(record.model, 'opt-out');
      assert.equal(record.chainId, chain.chainId);
      assert.deepEqual(JSON.parse(written.join('')), record);

      const asGateway = await connectChain({ rpcUrl: chain.rpcUrl, privateKey: chain.devKey(7), chainId: record.chainId });
      try {
        await verifyDeployment(asGateway, record, { model: 'opt-out', gateway: asGateway.address });
        const ledger = new EthersConsentLedger({ connection: asGateway, registryAddress: record.consentRegistry });
        await ledger.grant(sampleGrant());
        await rejectsWith(ledger.addRegistrar(asGateway.address), 'FORBIDDEN', 'NotAdmin');
      } finally {
        asGateway.close();
      }
    } finally {
      await chain.close();
    }
  });
});
