import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_ROOT, leafHash, nodeHash, rootOf, verifyConsistency, verifyInclusion } from '../../src/audit/merkle.js';
import { MerkleTree } from '../../src/audit/merkle-tree.js';
import { CONSISTENCY, INCLUSION, LEAF_INPUTS, ROOTS } from './merkle-vectors.js';

// Reference vectors: test/audit/merkle-vectors.ts (transparency-dev/merkle).
const LEAVES = LEAF_INPUTS.map((x) => leafHash(x));

// The RFC 9162 §2.1 definitions, transcribed recursively: slow, obviously right, a second opinion.
const split = (n: number): number => 2 ** Math.floor(Math.log2(n - 1));
const mth = (d: Buffer[]): Buffer =>
  d.length === 0 ? EMPTY_ROOT : d.length === 1 ? d[0]! : nodeHash(mth(d.slice(0, split(d.length))), mth(d.slice(split(d.length))));
function path(m: number, d: Buffer[]): Buffer[] {
  if (d.length === 1) return [];
  const k = split(d.length);
  return m < k ? [...path(m, d.slice(0, k)), mth(d.slice(k))] : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
}
function subproof(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = split(d.length);
  return m <= k ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))] : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}

const entries = (n: number, from = 0): Buffer[] => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`audit event ${from + i}`)));
function random(seed: number): () => number {
  // mulberry32: seeded, so a failing size can be replayed.
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe('MerkleTree', () => {
  it('has the recorded root after each append, and keeps every earlier root', () => {
    const tree = new MerkleTree();
    assert.deepEqual(tree.root(), ROOTS[0]);
    LEAVES.forEach((leaf, i) => {
      tree.append(leaf);
      assert.equal(tree.size, i + 1);
      for (let size = 0; size <= tree.size; size++) assert.deepEqual(tree.root(size), ROOTS[size], `root(${size}) at size ${tree.size}`);
    });
    LEAVES.forEach((leaf, i) => assert.deepEqual(tree.leaf(i), leaf));
  });

  it('produces the recorded inclusion and consistency proofs', () => {
    const tree = MerkleTree.fromLeaves(LEAVES);
    for (const { index, size, proof } of INCLUSION) assert.deepEqual(tree.inclusionProof(index, size), proof, `leaf ${index} of ${size}`);
    for (const { size1, size2, proof } of CONSISTENCY) assert.deepEqual(tree.consistencyProof(size1, size2), proof, `${size1} → ${size2}`);
  });

  it('gives, for every leaf of every size up to 70, the RFC audit path, which verifies', () => {
    const leaves = entries(70);
    const tree = MerkleTree.fromLeaves(leaves);
    for (let size = 1; size <= 70; size++) {
      const root = tree.root(size);
      assert.deepEqual(root, mth(leaves.slice(0, size)));
      for (let index = 0; index < size; index++) {
        const proof = tree.inclusionProof(index, size);
        assert.deepEqual(proof, path(index, leaves.slice(0, size)), `leaf ${index} of ${size}`);
        assert.deepEqual(verifyInclusion({ index, treeSize: size, leafHash: leaves[index]!, proof, root }), { ok: true }, `leaf ${index} of ${size}`);
      }
    }
  });

  it('gives, for every 1 ≤ size1 ≤ size2 ≤ 70, the RFC consistency proof, which verifies', () => {
    const leaves = entries(70);
    const tree = MerkleTree.fromLeaves(leaves);
    for (let size2 = 1; size2 <= 70; size2++) {
      for (let size1 = 1; size1 <= size2; size1++) {
        const proof = tree.consistencyProof(size1, size2);
        assert.deepEqual(proof, subproof(size1, leaves.slice(0, size2), true), `${size1} → ${size2}`);
        const check = verifyConsistency({ size1, size2, root1: tree.root(size1), root2: tree.root(size2), proof });
        assert.deepEqual(check, { ok: true }, `${size1} → ${size2}`);
      }
    }
  });

  it('agrees with rootOf for random sizes up to 5,000', () => {
    const leaves = entries(5_000);
    const tree = MerkleTree.fromLeaves(leaves);
    const next = random(9162);
    for (let i = 0; i < 40; i++) {
      const size = Math.floor(next() * 5_001);
      assert.deepEqual(tree.root(size), rootOf(leaves.slice(0, size)), `size ${size}`);
    }
    for (const size of [0, 1, 4_095, 4_096, 4_097, 5_000]) assert.deepEqual(tree.root(size), rootOf(leaves.slice(0, size)), `size ${size}`);
  });

  it('builds a 100,000-leaf tree whose proofs verify, across the storage chunk boundaries', () => {
    const leaves = entries(100_000);
    const tree = new MerkleTree();
    tree.appendMany(leaves.slice(0, 60_000));
    for (const leaf of leaves.slice(60_000)) tree.append(leaf);
    assert.equal(tree.size, 100_000);
    const root = tree.root();
    assert.deepEqual(root, rootOf(leaves));
    const next = random(6962);
    const indices = [0, 1, 32_767, 32_768, 65_535, 65_536, 99_998, 99_999, ...Array.from({ length: 20 }, () => Math.floor(next() * 100_000))];
    for (const index of indices) {
      const proof = tree.inclusionProof(index);
      assert.deepEqual(verifyInclusion({ index, treeSize: 100_000, leafHash: leaves[index]!, proof, root }), { ok: true }, `leaf ${index}`);
    }
    for (const size1 of [1, 32_767, 32_768, 65_537, 99_999, 100_000]) {
      const check = verifyConsistency({ size1, size2: 100_000, root1: tree.root(size1), root2: root, proof: tree.consistencyProof(size1) });
      assert.deepEqual(check, { ok: true }, `${size1} → 100000`);
    }
  });

  it('builds the same tree leaf by leaf, in batches, or from a list', () => {
    const leaves = entries(300);
    const one = new MerkleTree();
    for (const leaf of leaves) one.append(leaf);
    const batches = new MerkleTree();
    for (let i = 0; i < 300; i += 37) batches.appendMany(leaves.slice(i, i + 37));
    const listed = MerkleTree.fromLeaves(leaves);
    for (const size of [1, 2, 37, 128, 299, 300]) {
      assert.deepEqual(batches.root(size), one.root(size));
      assert.deepEqual(listed.root(size), one.root(size));
    }
    assert.deepEqual(listed.inclusionProof(200), one.inclusionProof(200));
  });

  it('hands out copies: changing a returned hash or an appended one leaves the tree as it was', () => {
    const leaves = entries(9);
    const tree = MerkleTree.fromLeaves(leaves.map((leaf) => Buffer.from(leaf)));
    const [root, proof, leaf] = [tree.root(), tree.inclusionProof(3), tree.leaf(3)];
    tree.root().fill(0);
    tree.root(8).fill(0); // a perfect tree: its root is a stored node
    tree.root(1).fill(0);
    tree.inclusionProof(3).forEach((node) => node.fill(0));
    tree.consistencyProof(3).forEach((node) => node.fill(0));
    tree.leaf(3).fill(0);
    const mine = Buffer.from(leaves[0]!);
    tree.append(mine);
    mine.fill(0);
    assert.deepEqual([tree.root(9), tree.inclusionProof(3, 9), tree.leaf(3)], [root, proof, leaf]);
    assert.deepEqual(tree.leaf(9), leaves[0]);
    assert.deepEqual(EMPTY_ROOT, ROOTS[0]);
  });

  it('refuses arguments outside the tree with a RangeError that says what is allowed', () => {
    const tree = MerkleTree.fromLeaves(LEAVES.slice(0, 5));
    const refuses = (call: () => unknown, message: RegExp) => assert.throws(call, (e: Error) => e instanceof RangeError && message.test(e.message));
    refuses(() => tree.root(6), /Tree size 6 is out of range: it must be an integer from 0 to 5, as the tree has 5 leaves/);
    refuses(() => tree.root(-1), /Tree size -1/);
    refuses(() => tree.root(2.5), /Tree size 2.5/);
    refuses(() => tree.leaf(5), /Leaf index 5 .* from 0 to 4/);
    refuses(() => new MerkleTree().leaf(0), /none is valid, as the tree has 0 leaves/);
    refuses(() => tree.inclusionProof(5), /Leaf index 5 .* from 0 to 4/);
    refuses(() => tree.inclusionProof(3, 3), /Leaf index 3 .* tree of 3 leaves/);
    refuses(() => tree.inclusionProof(0, 0), /Tree size 0 .* from 1 to 5/);
    refuses(() => tree.inclusionProof(Number.NaN), /Leaf index NaN/);
    refuses(() => tree.consistencyProof(0, 3), /First tree size 0 .* from 1 to 3/);
    refuses(() => tree.consistencyProof(4, 3), /First tree size 4/);
    refuses(() => tree.consistencyProof(1, 6), /Second tree size 6 .* from 1 to 5/);
  });

  it('refuses a leaf hash that is not 32 bytes, and appendMany then appends none of the batch', () => {
    const tree = MerkleTree.fromLeaves(LEAVES.slice(0, 2));
    assert.throws(() => tree.append(Buffer.alloc(31)), { name: 'RangeError', message: /The leaf hash must be 32 bytes; got 31/ });
    assert.throws(() => tree.append('00'.repeat(32) as never), { name: 'RangeError', message: /got string/ });
    assert.throws(() => tree.appendMany([LEAVES[2]!, Buffer.alloc(33)]), { name: 'RangeError', message: /Leaf hash 1 must be 32 bytes; got 33/ });
    assert.equal(tree.size, 2);
    assert.deepEqual(tree.root(), ROOTS[2]);
  });
});
