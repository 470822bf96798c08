/**
 * Anchoring, against an in-memory AuditAnchor (the real contract is exercised in
 * test/integration/audit: this is the scheduling logic): one checkpoint per interval whatever the
 * traffic, none when nothing changed, a failing chain loses nothing, a checkpoint the chain lost in
 * a reorg is sent again, and one anchored but not recorded (crash) is recovered.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { AnchorResult, AuditAnchorPort, ChainCheckpoint } from '../../src/audit/anchor.js';
import { AnchorScheduler } from '../../src/audit/anchor-scheduler.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { leafHash } from '../../src/audit/merkle.js';
import { MemoryAuditStore } from '../../src/audit/memory-audit-store.js';

/** An in-memory stand-in for the AuditAnchor contract (named as such: same rules, no chain). */
class MemoryAnchor implements AuditAnchorPort {
  readonly chainId = 31337;
  readonly anchorAddress = '0x00000000000000000000000000000000000000aa';
  list: Array<ChainCheckpoint & { tx: string }> = [];
  down = false;
  sent = 0;
  async anchor(treeSize: bigint, root: string): Promise<AnchorResult> {
    if (this.down) throw new Error('connection refused');
    const latest = this.list.at(-1);
    if (latest && treeSize <= latest.treeSize) throw new Error('TreeSizeNotIncreasing');
    this.sent++;
    const index = this.list.length;
    const tx = '0x' + String(this.sent).padStart(64, '0');
    this.list.push({ index, treeSize, root, blockNumber: 10 + this.sent, timestamp: 0, tx });
    return { index, treeSize, root, transactionHash: tx, blockNumber: 10 + this.sent, blockHash: tx, gasUsed: 60_000n };
  }
  async latest() { this.check(); return this.list.at(-1) ?? null; }
  async count() { this.check(); return this.list.length; }
  async checkpoints(from: number, to: number) { this.check(); return this.list.slice(from, to); }
  async findBySize(treeSize: bigint) { this.check(); return this.list.find((c) => c.treeSize === treeSize) ?? null; }
  async transactionOf(c: ChainCheckpoint) { this.check(); const f = this.list.find((x) => x.index === c.index); return f ? { transactionHash: f.tx, blockHash: f.tx } : null; }
  private check() { if (this.down) throw new Error('connection refused'); }
}

async function setup() {
  const store = new MemoryAuditStore();
  const log = new AuditLog({ store, intervalMs: 10_000 });
  await log.start();
  const anchor = new MemoryAnchor();
  const scheduler = new AnchorScheduler({ log, store, anchor, intervalMs: 60_000 });
  await scheduler.start();
  const add = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const canonical = Buffer.from(`{"n":${Math.random()}}`);
      await store.append([{ canonical, leafHash: leafHash(canonical), facts: { eventId: randomUUID(), requestId: 'r', recorded: 0, patients: [], actor: null, clientId: null, outcome: 0, breakGlass: false } }]);
    }
    await log.catchUp();
  };
  return { store, log, anchor, scheduler, add, stop: async () => { await scheduler.stop(); await log.stop(); } };
}

describe('AnchorScheduler', () => {
  it('anchors the newest tree head once per round, however many events, and nothing when nothing changed', async () => {
    const t = await setup();
    await t.add(250);
    const first = await t.scheduler.tick();
    assert.equal(first!.treeSize, 250);
    assert.equal(first!.root, t.log.head(250).root);
    assert.equal(await t.scheduler.tick(), null);
    assert.equal(t.anchor.sent, 1);
    await t.add(3);
    assert.equal((await t.scheduler.tick())!.treeSize, 253);
    assert.equal((await t.store.checkpoints()).length, 2);
    await t.stop();
  });

  it('loses nothing while the chain is down: the first round after it returns covers every event', async () => {
    const t = await setup();
    await t.add(5);
    t.anchor.down = true;
    assert.equal(await t.scheduler.tick(), null);
    assert.equal(t.scheduler.status().chainHealthy, false);
    await t.add(7);
    t.anchor.down = false;
    assert.equal((await t.scheduler.tick())!.treeSize, 12);
    assert.equal(t.scheduler.status().chainHealthy, true);
    assert.equal(t.scheduler.status().unanchored, 0);
    await t.stop();
  });

  it('sends a checkpoint again when a reorg removed its transaction', async () => {
    const t = await setup();
    await t.add(4);
    await t.scheduler.tick();
    await t.add(4);
    const second = await t.scheduler.tick();
    t.anchor.list.pop(); // the reorg: the chain no longer holds the second checkpoint
    await t.scheduler.tick();
    const onChain = t.anchor.list.map((c) => Number(c.treeSize));
    assert.deepEqual(onChain, [4, 8]);
    assert.equal(t.anchor.list[1]!.root, second!.root);
    const recorded = await t.store.checkpoints();
    assert.deepEqual(recorded.map((c) => c.treeSize), [4, 8]);
    assert.notEqual(recorded[1]!.transactionHash, second!.transactionHash, 'the record points at the new transaction');
    await t.stop();
  });

  it('recovers a checkpoint that was anchored but never recorded (a crash between the two)', async () => {
    const t = await setup();
    await t.add(6);
    await t.anchor.anchor(6n, t.log.head(6).root); // anchored behind the scheduler's back
    await t.scheduler.tick();
    assert.deepEqual((await t.store.checkpoints()).map((c) => c.treeSize), [6]);
    assert.equal(t.anchor.sent, 1, 'not anchored twice');
    await t.stop();
  });
});
