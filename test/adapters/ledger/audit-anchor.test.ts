/**
 * AuditAnchor: checkpoints of the audit log's Merkle tree, strictly increasing in size, anchored
 * only by the anchorer role.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { EthersAuditAnchor } from '../../../src/adapters/ledger/ethers-audit-anchor.js';
import { median, rejectsWith, useLedgerFixture } from './chain-fixture.js';

const fx = useLedgerFixture();

const rootOf = (size: number) => `0x${createHash('sha256').update(`tree-${size}`).digest('hex')}`;

describe('AuditAnchor', () => {
  it('has no checkpoint before the first anchor', async () => {
    assert.equal(await fx.anchor.latest(), null);
    assert.equal(await fx.anchor.count(), 0);
    assert.deepEqual(await fx.anchor.checkpoints(0, 10), []);
    assert.equal(await fx.anchor.findBySize(1n), null);
  });

  it('anchors checkpoints and reads them back by index, range and size', async () => {
    const first = await fx.anchor.anchor(10n, rootOf(10));
    const second = await fx.anchor.anchor(25, rootOf(25));
    assert.equal(first.index, 0);
    assert.equal(second.index, 1);

    const latest = await fx.anchor.latest();
    const block = await fx.gateway.provider.getBlock(second.blockNumber);
    assert.deepEqual(latest, { index: 1, treeSize: 25n, root: rootOf(25), blockNumber: second.blockNumber, timestamp: block!.timestamp });
    assert.deepEqual((await fx.anchor.at(0)).treeSize, 10n);
    assert.deepEqual((await fx.anchor.checkpoints(0, 99)).map((c) => [c.index, c.treeSize, c.root]), [[0, 10n, rootOf(10)], [1, 25n, rootOf(25)]]);
    assert.deepEqual((await fx.anchor.checkpoints(1, 2)).map((c) => c.treeSize), [25n]);
    assert.deepEqual(await fx.anchor.checkpoints(2, 5), []);
    assert.equal((await fx.anchor.findBySize(10n))?.root, rootOf(10));
    assert.equal(await fx.anchor.findBySize(11n), null);
    await rejectsWith(fx.anchor.at(7), 'NOT_FOUND', 'CheckpointOutOfRange');
  });

  it('refuses an equal or smaller tree size (CONFLICT), and a zero root', async () => {
    const { treeSize } = (await fx.anchor.latest())!;
    const equal = await rejectsWith(fx.anchor.anchor(treeSize, rootOf(1)), 'CONFLICT', 'TreeSizeNotIncreasing');
    assert.match(equal.message, new RegExp(`tree size ${treeSize} is not larger than the latest anchored size ${treeSize}`));
    await rejectsWith(fx.anchor.anchor(treeSize - 1n, rootOf(2)), 'CONFLICT', 'TreeSizeNotIncreasing');
    await rejectsWith(fx.anchor.anchor(0n, rootOf(3)), 'CONFLICT', 'TreeSizeNotIncreasing');
    await rejectsWith(fx.anchor.anchor(treeSize + 1n, `0x${'0'.repeat(64)}`), 'INVALID_REQUEST', 'EmptyRoot');
    assert.equal((await fx.anchor.latest())?.treeSize, treeSize, 'nothing was anchored');
  });

  it('refuses anchors from an account without the anchorer role', async () => {
    const outsider = new EthersAuditAnchor({ connection: await fx.connect(1), anchorAddress: fx.record.auditAnchor });
    const error = await rejectsWith(outsider.anchor(1_000n, rootOf(1_000)), 'FORBIDDEN', 'MissingRole');
    assert.match(error.message, /lacks the anchorer role/);
  });

  it('lets only the admin add and remove anchorers', async () => {
    const candidate = await fx.connect(2);
    const asCandidate = new EthersAuditAnchor({ connection: candidate, anchorAddress: fx.record.auditAnchor });
    await rejectsWith(asCandidate.addAnchorer(candidate.address), 'FORBIDDEN', 'NotAdmin');
    await fx.anchor.addAnchorer(candidate.address);
    assert.equal(await fx.anchor.isAnchorer(candidate.address), true);
    await asCandidate.anchor(2_000n, rootOf(2_000));
    await rejectsWith(asCandidate.removeAnchorer(fx.gateway.address), 'FORBIDDEN', 'NotAdmin');
    await fx.anchor.removeAnchorer(candidate.address);
    await rejectsWith(asCandidate.anchor(3_000n, rootOf(3_000)), 'FORBIDDEN', 'MissingRole');
  });

  it('measures gas and latency per checkpoint', async (t) => {
    const gas: bigint[] = [];
    const latencies: number[] = [];
    let size = (await fx.anchor.latest())!.treeSize;
    for (let i = 0; i < 10; i++) {
      size += 100n;
      const started = performance.now();
      gas.push((await fx.anchor.anchor(size, rootOf(Number(size)))).gasUsed);
      latencies.push(performance.now() - started);
    }
    t.diagnostic(`checkpoint gas ${gas[gas.length - 1]}; anchor call -> receipt median ${median(latencies).toFixed(1)} ms`);
    assert.ok(gas.every((g) => g < 120_000n));
  });
});
