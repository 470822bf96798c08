import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  EMPTY_ROOT, HASH_SIZE, leafHash, nodeHash, rootOf, verifyConsistency, verifyInclusion,
  type MerkleCheck, type MerkleFailure, type VerifyConsistencyArgs, type VerifyInclusionArgs,
} from '../../src/audit/merkle.js';
import { CONSISTENCY, h, INCLUSION, LEAF_INPUTS, NODE_HASHES, ROOTS } from './merkle-vectors.js';

// Reference vectors: test/audit/merkle-vectors.ts (transparency-dev/merkle).
const SOME_HASH = h('abacaba000000000000000000000000000000000000000000060061e00123456'); // verify_test.go sha256SomeHash
const LEAVES = LEAF_INPUTS.map(leafHash);

function assertFails(check: MerkleCheck, code: MerkleFailure, reason?: RegExp): void {
  assert.ok(!check.ok, 'expected the proof to be refused');
  assert.equal(check.code, code, check.reason);
  if (reason) assert.match(check.reason, reason);
}
const flipBit = (proof: readonly Uint8Array[], i: number, mask: number): Uint8Array[] =>
  proof.map((node, j) => (j === i ? node.map((b, k) => (k === 0 ? b ^ mask : b)) : node));

describe('RFC 9162 §2.1.1 hashing', () => {
  it('hashes the reference leaves to the recorded leaf hashes, and children to their recorded parents', () => {
    assert.deepEqual(LEAVES, NODE_HASHES[0]);
    for (let level = 1; level < NODE_HASHES.length; level++) {
      NODE_HASHES[level]!.forEach((parent, j) => assert.deepEqual(nodeHash(NODE_HASHES[level - 1]![2 * j]!, NODE_HASHES[level - 1]![2 * j + 1]!), parent));
    }
  });

  it('prefixes leaves with 0x00 and nodes with 0x01, for inputs of any length', () => {
    const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
    const [a, b, big] = [randomBytes(31), randomBytes(33), randomBytes(100_000)];
    assert.deepEqual(leafHash(big), sha(Buffer.of(0), big));
    assert.deepEqual(nodeHash(a, b), sha(Buffer.of(1), a, b));
    assert.deepEqual(nodeHash(LEAVES[0]!, LEAVES[1]!), sha(Buffer.of(1), LEAVES[0]!, LEAVES[1]!));
  });

  it('has a 32-byte hash, and SHA-256("") as the root of the empty tree', () => {
    assert.equal(HASH_SIZE, 32);
    assert.deepEqual(EMPTY_ROOT, ROOTS[0]);
  });

  it('rootOf gives the recorded root for every tree size from 0 to 8, as a copy', () => {
    for (let size = 0; size <= 8; size++) assert.deepEqual(rootOf(LEAVES.slice(0, size)), ROOTS[size], `size ${size}`);
    rootOf([]).fill(0);
    rootOf(LEAVES.slice(0, 1)).fill(0);
    assert.deepEqual(EMPTY_ROOT, ROOTS[0]);
    assert.deepEqual(LEAVES[0], ROOTS[1]);
  });

  it('rootOf refuses a leaf hash that is not 32 bytes', () => {
    assert.throws(() => rootOf([LEAVES[0]!, LEAVES[1]!.subarray(1)]), { name: 'RangeError', message: /Leaf hash 1 is not 32 bytes/ });
  });
});

describe('verifyInclusion (RFC 9162 §2.1.3.2)', () => {
  const good = (v = INCLUSION[2]!): VerifyInclusionArgs => ({ index: v.index, treeSize: v.size, leafHash: LEAVES[v.index]!, proof: v.proof, root: ROOTS[v.size]! });

  it('accepts every recorded inclusion proof, with number or bigint positions', () => {
    for (const v of INCLUSION) {
      assert.deepEqual(verifyInclusion(good(v)), { ok: true }, `leaf ${v.index} of ${v.size}`);
      assert.deepEqual(verifyInclusion({ ...good(v), index: BigInt(v.index), treeSize: BigInt(v.size) }), { ok: true });
    }
  });

  it('refuses every corruption of the transparency-dev probe suite', () => {
    for (const v of INCLUSION) {
      const { index, treeSize, proof, root, leafHash: leaf } = good(v);
      const n = Number(index);
      const size = Number(treeSize);
      const probes: Partial<VerifyInclusionArgs>[] = [
        { index: n - 1 }, { index: n + 1 }, { index: n ^ 2 }, { treeSize: size * 2 }, { treeSize: Math.floor(size / 2) },
        { leafHash: Buffer.from('WrongLeaf') }, { root: EMPTY_ROOT }, { root: SOME_HASH },
        { proof: [...proof, Buffer.alloc(0)] }, { proof: [...proof, root] }, { proof: [Buffer.alloc(0), ...proof] }, { proof: [root, ...proof] },
        ...proof.map((_, i) => ({ proof: flipBit(proof, i, 8) })),
        ...(proof.length > 0 ? [{ proof: proof.slice(0, -1) }] : []),
        ...(proof.length > 1 ? [{ proof: [proof[0]!, SOME_HASH, ...proof.slice(1)] }] : []),
      ];
      for (const probe of probes) assert.equal(verifyInclusion({ index, treeSize, leafHash: leaf, proof, root, ...probe }).ok, false, JSON.stringify(probe));
    }
  });

  it('says which rule a bad proof breaks, with the numbers involved', () => {
    const v = INCLUSION[2]!; // leaf 5 of 8, three nodes
    const at = (patch: Partial<Record<keyof VerifyInclusionArgs, unknown>>) => verifyInclusion({ ...good(), ...(patch as object) });
    assertFails(at({ index: 8 }), 'INDEX_OUT_OF_RANGE', /Leaf index 8 .* 8 leaves/);
    assertFails(at({ index: 0, treeSize: 0, proof: [] }), 'INDEX_OUT_OF_RANGE', /0 leaves/);
    for (const index of [-1, -1n, 5.5, Number.NaN, Infinity, 2 ** 53, '5', null]) assertFails(at({ index }), 'INDEX_OUT_OF_RANGE', /Leaf index .* not an integer/);
    for (const treeSize of [-8, 8.5, 2n ** 63n, 2n ** 64n, undefined]) assertFails(at({ treeSize }), 'INDEX_OUT_OF_RANGE', /Tree size .* not an integer/);
    assertFails(at({ index: 4 }), 'ROOT_MISMATCH', /leaf 4 .* 8 leaves/);
    assertFails(at({ leafHash: LEAVES[4] }), 'ROOT_MISMATCH');
    assertFails(at({ root: ROOTS[7] }), 'ROOT_MISMATCH');
    v.proof.forEach((_, i) => assertFails(at({ proof: flipBit(v.proof, i, 1) }), 'ROOT_MISMATCH'));
    assertFails(at({ proof: [...v.proof, SOME_HASH] }), 'WRONG_PROOF_SIZE', /4 node\(s\) where these sizes need 3/);
    assertFails(at({ proof: v.proof.slice(1) }), 'WRONG_PROOF_SIZE', /2 node\(s\) where these sizes need 3/);
    assertFails(at({ proof: new Array(1_000_000).fill(SOME_HASH) }), 'WRONG_PROOF_SIZE');
    assertFails(at({ proof: null }), 'WRONG_PROOF_SIZE', /not a list/);
    assertFails(at({ proof: [v.proof[0], v.proof[1]!.subarray(1), v.proof[2]] }), 'MALFORMED_HASH', /Proof node 1 is 31 bytes, not 32/);
    assertFails(at({ proof: [v.proof[0], v.proof[1], Buffer.alloc(33)] }), 'MALFORMED_HASH', /Proof node 2 is 33 bytes/);
    assertFails(at({ proof: [v.proof[0]!.toString('hex'), v.proof[1], v.proof[2]] }), 'MALFORMED_HASH', /Proof node 0 is \(a string\), not 32 bytes/);
    assertFails(at({ leafHash: LEAVES[5]!.subarray(1) }), 'MALFORMED_HASH', /leaf hash is 31 bytes/);
    assertFails(at({ root: ROOTS[8]!.toString('hex') }), 'MALFORMED_HASH', /root is \(a string\)/);
    assertFails(at({ root: Buffer.alloc(0), leafHash: Buffer.alloc(0), proof: [], index: 0, treeSize: 1 }), 'MALFORMED_HASH');
  });

  it('refuses a proof made for another tree size', () => {
    // The proofs of leaf 5 in trees of 7 and 6 leaves (sibling nodes from testonly NodeHashes).
    const proofIn7 = [NODE_HASHES[0]![4]!, NODE_HASHES[0]![6]!, NODE_HASHES[2]![0]!];
    assert.deepEqual(verifyInclusion({ ...good(), treeSize: 7, proof: proofIn7, root: ROOTS[7]! }), { ok: true });
    assertFails(verifyInclusion({ ...good(), proof: proofIn7 }), 'ROOT_MISMATCH');
    assertFails(verifyInclusion({ ...good(), proof: [NODE_HASHES[0]![4]!, NODE_HASHES[2]![0]!] }), 'WRONG_PROOF_SIZE');
  });

  it('handles positions near 2^63 exactly, without throwing', () => {
    // Leaf 2^63 − 2 of 2^63 − 1: on the right border, so one left sibling per set bit, 62 nodes.
    const base = { index: 2n ** 63n - 2n, treeSize: 2n ** 63n - 1n, leafHash: SOME_HASH, root: SOME_HASH };
    assertFails(verifyInclusion({ ...base, proof: new Array(62).fill(SOME_HASH) }), 'ROOT_MISMATCH');
    assertFails(verifyInclusion({ ...base, proof: new Array(63).fill(SOME_HASH) }), 'WRONG_PROOF_SIZE', /63 node\(s\) where these sizes need 62/);
  });
});

describe('verifyConsistency (RFC 9162 §2.1.4.2)', () => {
  const good = (v = CONSISTENCY[2]!): VerifyConsistencyArgs => ({ size1: v.size1, size2: v.size2, root1: ROOTS[v.size1]!, root2: ROOTS[v.size2]!, proof: v.proof });

  it('accepts every recorded consistency proof', () => {
    for (const v of CONSISTENCY) assert.deepEqual(verifyConsistency(good(v)), { ok: true }, `${v.size1} → ${v.size2}`);
    assert.deepEqual(verifyConsistency({ ...good(), size1: 6n, size2: 8n }), { ok: true });
  });

  it('refuses every corruption of the transparency-dev probe suite', () => {
    for (const v of CONSISTENCY.filter((c) => c.proof.length > 0)) {
      const args = good(v);
      const { root1, root2, proof } = args;
      const [s1, s2] = [v.size1, v.size2];
      const probes: Partial<VerifyConsistencyArgs>[] = [
        { size1: s1 - 1 }, { size1: s1 + 1 }, { size1: s1 ^ 2 }, { size2: s2 * 2 }, { size2: Math.floor(s2 / 2) },
        { root1: Buffer.from('WrongRoot') }, { root2: Buffer.from('WrongRoot') }, { root1: root2, root2: root1 }, { proof: [] },
        { proof: [...proof, Buffer.alloc(0)] }, { proof: [...proof, root1] }, { proof: [...proof, root2] },
        { proof: [Buffer.alloc(0), ...proof] }, { proof: [root1, ...proof] }, { proof: [root2, ...proof] }, { proof: [proof[0]!, ...proof] },
        { proof: proof.slice(0, -1) }, ...proof.map((_, i) => ({ proof: flipBit(proof, i, 16) })),
      ];
      for (const probe of probes) assert.equal(verifyConsistency({ ...args, ...probe }).ok, false, `${s1} → ${s2}: ${JSON.stringify(probe)}`);
    }
  });

  it('decides the edge sizes as the CT Go verifier does: equal sizes need equal roots and no proof; size1 = 0 is refused', () => {
    const [r1, r2] = [ROOTS[1]!, ROOTS[2]!];
    const check = (size1: number, size2: number, root1: Buffer, root2: Buffer, proof: Buffer[] = []) => verifyConsistency({ size1, size2, root1, root2, proof });
    assert.deepEqual(check(1, 1, r2, r2), { ok: true });
    assertFails(check(1, 1, r1, r2), 'ROOT_MISMATCH', /same tree size 1/);
    assertFails(check(1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]), 'WRONG_PROOF_SIZE', /1 node\(s\) where these sizes need 0/);
    assertFails(check(0, 0, EMPTY_ROOT, EMPTY_ROOT), 'SIZE_ORDER', /at least 1 leaf/);
    assertFails(check(0, 1, EMPTY_ROOT, r1), 'SIZE_ORDER');
    assertFails(check(1, 0, r1, EMPTY_ROOT), 'SIZE_ORDER', /first tree \(1 leaves\) is larger than the second \(0 leaves\)/);
    assertFails(check(2, 1, r2, r1), 'SIZE_ORDER');
    assertFails(check(1, 2, r1, r2), 'WRONG_PROOF_SIZE', /0 node\(s\) where these sizes need 1/);
  });

  it('says which rule a bad proof breaks, with the numbers involved', () => {
    const v = CONSISTENCY[2]!; // 6 → 8, three nodes
    const at = (patch: Partial<Record<keyof VerifyConsistencyArgs, unknown>>) => verifyConsistency({ ...good(), ...(patch as object) });
    for (const size1 of [-1, 6.5, 2 ** 53, '6']) assertFails(at({ size1 }), 'INDEX_OUT_OF_RANGE', /Tree size .* not an integer/);
    for (const size2 of [-8, 2n ** 63n, null]) assertFails(at({ size2 }), 'INDEX_OUT_OF_RANGE', /Tree size .* not an integer/);
    assertFails(at({ size1: 8, size2: 6 }), 'SIZE_ORDER', /8 leaves.*6 leaves/);
    assertFails(at({ proof: [...v.proof, SOME_HASH] }), 'WRONG_PROOF_SIZE', /4 node\(s\) where these sizes need 3/);
    assertFails(at({ proof: v.proof.slice(0, 2) }), 'WRONG_PROOF_SIZE');
    assertFails(at({ proof: {} }), 'WRONG_PROOF_SIZE', /not a list/);
    v.proof.forEach((_, i) => assertFails(at({ proof: flipBit(v.proof, i, 1) }), 'ROOT_MISMATCH'));
    assertFails(at({ proof: [v.proof[0], v.proof[1]!.subarray(0, 31), v.proof[2]] }), 'MALFORMED_HASH', /Proof node 1 is 31 bytes/);
    assertFails(at({ root1: ROOTS[6]!.subarray(1) }), 'MALFORMED_HASH', /first root is 31 bytes/);
    assertFails(at({ root2: undefined }), 'MALFORMED_HASH', /second root is \(undefined\)/);
    assertFails(at({ root1: {} }), 'MALFORMED_HASH', /first root is \(an object\)/);
    assertFails(at({ root1: ROOTS[5] }), 'ROOT_MISMATCH', /first root \(tree of 6 leaves\)/);
    assertFails(at({ root2: ROOTS[7] }), 'ROOT_MISMATCH', /second root \(tree of 8 leaves\)/);
    assertFails(at({ root1: ROOTS[8], root2: ROOTS[6] }), 'ROOT_MISMATCH');
  });

  it('refuses a proof made for other sizes', () => {
    assertFails(verifyConsistency({ ...good(), proof: CONSISTENCY[4]!.proof }), 'ROOT_MISMATCH'); // 6 → 7, same length
    assertFails(verifyConsistency({ ...good(), proof: CONSISTENCY[3]!.proof }), 'WRONG_PROOF_SIZE'); // 2 → 5
    assertFails(verifyConsistency({ ...good(CONSISTENCY[1]), size1: 2, root1: ROOTS[2]! }), 'WRONG_PROOF_SIZE'); // 1 → 8 as 2 → 8
  });

  it('handles sizes near 2^63 exactly, without throwing', () => {
    // 3 → 2^63 − 1: one seed node plus the 63-node path of leaf 2.
    const base = { size1: 3n, size2: 2n ** 63n - 1n, root1: SOME_HASH, root2: SOME_HASH };
    assertFails(verifyConsistency({ ...base, proof: new Array(64).fill(SOME_HASH) }), 'ROOT_MISMATCH');
    assertFails(verifyConsistency({ ...base, proof: new Array(63).fill(SOME_HASH) }), 'WRONG_PROOF_SIZE', /need 64/);
  });
});
