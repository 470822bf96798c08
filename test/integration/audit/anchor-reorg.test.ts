/**
 * A checkpoint whose transaction leaves the chain (a reorg, played on a real anvil node with
 * evm_snapshot / evm_revert against the real AuditAnchor contract) is sent again, with the same tree
 * size and root, and the store's record points at the transaction now on chain.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectChain, type ChainConnection } from '../../../src/adapters/ledger/chain-connection.js';
import { deployContracts } from '../../../src/adapters/ledger/deploy.js';
import { EthersAuditAnchor } from '../../../src/adapters/ledger/ethers-audit-anchor.js';
import { startLocalChain, type LocalChain } from '../../../src/adapters/ledger/local-chain.js';
import { AnchorScheduler } from '../../../src/audit/anchor-scheduler.js';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { leafHash } from '../../../src/audit/merkle.js';
import { MemoryAuditStore } from '../../../src/audit/memory-audit-store.js';

describe('anchoring through a reorg (real anvil, real AuditAnchor)', () => {
  let chain: LocalChain;
  let connection: ChainConnection;
  before(async () => {
    chain = await startLocalChain({ dataDir: mkdtempSync(join(tmpdir(), 'custos-reorg-')) });
    connection = await connectChain({ rpcUrl: chain.rpcUrl, privateKey: chain.devKey(0) });
  });
  after(async () => {
    connection?.close();
    await chain?.close();
  });

  it('re-sends the checkpoint the chain lost, same size and root', async () => {
    const deployment = await deployContracts({ connection, model: 'opt-in' });
    const anchor = new EthersAuditAnchor({ connection, anchorAddress: deployment.auditAnchor });
    const store = new MemoryAuditStore();
    const log = new AuditLog({ store, intervalMs: 60_000 });
    await log.start();
    const scheduler = new AnchorScheduler({ log, store, anchor, intervalMs: 60_000 });
    await scheduler.start();
    const add = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const canonical = Buffer.from(`{"n":"${Math.random()}"}`);
        await store.append([{ canonical, leafHash: leafHash(canonical), facts: { eventId: randomUUID(), requestId: 'r', recorded: Date.now(), patients: [], actor: null, clientId: null, outcome: 0, breakGlass: false } }]);
      }
      await log.catchUp();
    };
    await add(4);
    const first = await scheduler.tick();
    assert.equal(first?.treeSize, 4);
    const snapshot = (await connection.provider.send('evm_snapshot', [])) as string;
    await add(4);
    const lost = await scheduler.tick();
    assert.equal(lost?.treeSize, 8);
    assert.equal((await anchor.latest())?.treeSize, 8n);

    assert.equal(await connection.provider.send('evm_revert', [snapshot]), true); // the block holding checkpoint 8 is gone
    assert.equal((await anchor.latest())?.treeSize, 4n);
    // the tx sender must not reuse a nonce the reverted chain no longer counts
    await scheduler.tick();
    const again = await anchor.findBySize(8n);
    assert.ok(again, 'checkpoint 8 is on chain again');
    assert.equal(again.root, lost!.root);
    const recorded = await store.checkpoints();
    assert.deepEqual(recorded.map((c) => c.treeSize), [4, 8]);
    // Same signer, nonce and data: the re-sent transaction may well have the same hash; what matters
    // is that it is on the chain now and the record points at it.
    const receipt = await connection.provider.getTransactionReceipt(recorded[1]!.transactionHash);
    assert.ok(receipt && receipt.status === 1, 'the recorded transaction is mined on the current chain');
    assert.equal(receipt.blockNumber, again.blockNumber);
    assert.equal(scheduler.status().chainHealthy, true);
    await scheduler.stop();
    await log.stop();
  });
});
