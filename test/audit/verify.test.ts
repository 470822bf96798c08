/**
 * `verifyAuditLog` against every way an operator with database access could change the log: each
 * must be detected and the report must name the event or checkpoint; an untouched log verifies.
 * (The same attacks on real store files, through the CLI and a real chain:
 * test/integration/audit/verify-cli.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChainCheckpoint } from '../../src/audit/anchor.js';
import { toHex } from '../../src/audit/audit-log.js';
import { leafHash } from '../../src/audit/merkle.js';
import { MerkleTree } from '../../src/audit/merkle-tree.js';
import { verifyAuditLog, type VerifiableEvent } from '../../src/audit/verify.js';

function makeLog(n: number): VerifiableEvent[] {
  const out: VerifiableEvent[] = [];
  let previous: Buffer = Buffer.alloc(32);
  for (let i = 0; i < n; i++) {
    const canonical = Buffer.from(JSON.stringify({ id: `e${i}`, outcome: '0', resourceType: 'AuditEvent' }));
    const hash = leafHash(canonical);
    out.push({ index: i, canonical, leafHash: hash, previousLeafHash: previous });
    previous = hash;
  }
  return out;
}

function anchor(events: readonly VerifiableEvent[], sizes: readonly number[]): ChainCheckpoint[] {
  const tree = new MerkleTree();
  for (const e of events) tree.append(e.leafHash);
  return sizes.map((size, index) => ({ index, treeSize: BigInt(size), root: toHex(tree.root(size)), blockNumber: 100 + index, timestamp: 0 }));
}

async function* stream(events: readonly VerifiableEvent[]): AsyncGenerator<VerifiableEvent> {
  yield* events;
}

/** Rebuilds hashes and links after position `from`, as an attacker rewriting history would. */
function relink(events: VerifiableEvent[], from: number): VerifiableEvent[] {
  let previous: Buffer = from === 0 ? Buffer.alloc(32) : events[from - 1]!.leafHash;
  return events.map((e, i) => {
    if (i < from) return e;
    const hash = leafHash(e.canonical);
    const fixed = { index: i, canonical: e.canonical, leafHash: hash, previousLeafHash: previous };
    previous = hash;
    return fixed;
  });
}

const kinds = (report: Awaited<ReturnType<typeof verifyAuditLog>>) => report.problems.map((p) => `${p.kind}@${p.index ?? 'c' + p.checkpoint}`);

describe('verifyAuditLog', () => {
  const log = makeLog(40);
  const checkpoints = anchor(log, [10, 25, 40]);

  it('verifies an untouched log up to its last checkpoint', async () => {
    const report = await verifyAuditLog(stream(log), checkpoints);
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.equal(report.events, 40);
    assert.equal(report.verifiedUpTo, 40);
    assert.equal(report.checkpointsChecked, 3);
  });

  it('names an edited event (hash left as it was) and the checkpoints it breaks', async () => {
    const edited = [...log];
    edited[17] = { ...edited[17]!, canonical: Buffer.from(edited[17]!.canonical.toString().replace('"0"', '"4"')) };
    const report = await verifyAuditLog(stream(edited), checkpoints);
    assert.equal(report.ok, false);
    assert.deepEqual(kinds(report), ['event-altered@17', 'checkpoint-mismatch@c1', 'checkpoint-mismatch@c2']);
    assert.equal(report.verifiedUpTo, 10);
  });

  it('names an edited event whose stored hash was fixed too: its successor no longer links to it', async () => {
    const edited = [...log];
    const canonical = Buffer.from(edited[17]!.canonical.toString().replace('"0"', '"4"'));
    edited[17] = { ...edited[17]!, canonical, leafHash: leafHash(canonical) };
    const report = await verifyAuditLog(stream(edited), checkpoints);
    assert.deepEqual(kinds(report), ['link-broken@18', 'checkpoint-mismatch@c1', 'checkpoint-mismatch@c2']);
  });

  it('names a deleted event', async () => {
    const deleted = log.filter((e) => e.index !== 5);
    const report = await verifyAuditLog(stream(deleted), checkpoints);
    assert.ok(kinds(report).includes('event-missing@5'));
    assert.ok(kinds(report).includes('link-broken@6'));
    assert.ok(kinds(report).includes('checkpoint-beyond-log@c2'));
  });

  it('names two swapped events', async () => {
    const swapped = [...log];
    [swapped[3], swapped[8]] = [swapped[8]!, swapped[3]!];
    const report = await verifyAuditLog(stream(swapped), checkpoints);
    const found = kinds(report);
    assert.ok(found.includes('event-out-of-order@3') || found.includes('event-missing@3'), found.join());
    assert.ok(found.some((k) => k.endsWith('@8')), found.join());
    assert.ok(found.includes('checkpoint-mismatch@c0'));
  });

  it('names a truncated log by the checkpoint it can no longer reach', async () => {
    const report = await verifyAuditLog(stream(log.slice(0, 30)), checkpoints);
    assert.deepEqual(kinds(report), ['checkpoint-beyond-log@c2']);
    assert.match(report.problems[0]!.message, /covers 40 events but the log holds 30/);
  });

  it('catches a history rewrite that fixed every hash and link: only the anchors can tell, and they do', async () => {
    const rewritten = [...log];
    rewritten[12] = { ...rewritten[12]!, canonical: Buffer.from('{"id":"e12","outcome":"0","resourceType":"AuditEvent","note":"forged"}') };
    const report = await verifyAuditLog(stream(relink(rewritten, 12)), checkpoints);
    assert.deepEqual(kinds(report), ['checkpoint-mismatch@c1', 'checkpoint-mismatch@c2']);
    assert.match(report.problems[0]!.message, /events 10 to 24/);
    assert.equal(report.verifiedUpTo, 10);
  });

  it('catches checkpoints that are not consistent with each other (a forked anchor)', async () => {
    const other = makeLog(25).map((e) => e); // same first events…
    const fork = relink(other.map((e, i) => (i === 2 ? { ...e, canonical: Buffer.from('{"id":"fork"}') } : e)), 0);
    const forked: ChainCheckpoint[] = [anchor(fork, [25])[0]!, { ...checkpoints[2]!, index: 1 }].map((c, index) => ({ ...c, index }));
    const report = await verifyAuditLog(stream(log), forked);
    assert.ok(kinds(report).includes('checkpoint-mismatch@c0'));
    assert.ok(kinds(report).includes('checkpoints-inconsistent@c1'));
  });

  it('an empty log with no checkpoints verifies; with a checkpoint it does not', async () => {
    assert.equal((await verifyAuditLog(stream([]), [])).ok, true);
    assert.equal((await verifyAuditLog(stream([]), checkpoints)).ok, false);
  });

  it('does not pass a log no checkpoint covers: hashes and links alone can be rebuilt by the operator', async () => {
    const report = await verifyAuditLog(stream(relink(log.map((e) => ({ ...e })), 0)), []);
    assert.equal(report.ok, false);
    assert.deepEqual(kinds(report), ['not-anchored@cundefined']);
  });
});
