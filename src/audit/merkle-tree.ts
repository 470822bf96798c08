/**
 * An in-memory, append-only RFC 9162 Merkle tree that produces roots and proofs for any earlier
 * size, for logs of several million leaves.
 *
 * Every complete, aligned perfect subtree is kept, by level (level 0 = the leaves): node j of level
 * k is MTH(D[j·2^k : (j+1)·2^k]), stored once the tree reaches (j+1)·2^k leaves and never changed
 * after, since appends only add to the right. Every subtree that RFC 9162's MTH, PATH and PROOF
 * recursions ask for starts at a multiple of a power of two at least its width, so it is a run of
 * at most log2(n) stored nodes folded right to left: a root costs O(log n) hashes, a proof
 * O(log² n) at worst, an append one hash amortised, and memory is 2 × 32 bytes per leaf.
 *
 * Arguments are our own calls, so bad ones throw a RangeError; verification of proofs someone
 * else produced is `merkle.ts`, which never throws.
 */
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './merkle.js';

// Nodes live in 1 MiB chunks rather than one Buffer per level: no multi-megabyte copy when a level
// grows, at most one partly used chunk per level, and no per-node object (a Buffer costs ~100 bytes
// of heap on top of its 32). The first chunk of a level starts small and doubles, so small trees
// stay small.
const CHUNK_SHIFT = 15;
const CHUNK_NODES = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_NODES - 1;
const FIRST_CHUNK_NODES = 8;
// `>>>` and `&` address nodes, which is exact below 2^32; 2^32 leaves would need 256 GiB anyway.
const MAX_LEAVES = 2 ** 32 - 1;

/** The hashes of one level, 32 bytes each, back to back. */
class Level {
  readonly #chunks: Buffer[] = [];
  count = 0;

  push(hash: Uint8Array): void {
    const c = this.count >>> CHUNK_SHIFT;
    const offset = (this.count & CHUNK_MASK) * HASH_SIZE;
    let chunk = this.#chunks[c];
    if (chunk === undefined) {
      chunk = Buffer.allocUnsafe((c === 0 ? FIRST_CHUNK_NODES : CHUNK_NODES) * HASH_SIZE);
      this.#chunks.push(chunk);
    } else if (offset === chunk.length) {
      const grown = Buffer.allocUnsafe(chunk.length * 2);
      chunk.copy(grown);
      this.#chunks[c] = chunk = grown;
    }
    chunk.set(hash, offset);
    this.count++;
  }

  /** A view of node j: valid only until the next push (the first chunk may move when it grows). */
  at(j: number): Buffer {
    const offset = (j & CHUNK_MASK) * HASH_SIZE;
    return this.#chunks[j >>> CHUNK_SHIFT]!.subarray(offset, offset + HASH_SIZE);
  }
}

/**
 * An append-only Merkle tree (RFC 9162 §2.1) over leaf hashes (`leafHash` of `merkle.ts`).
 * Every Buffer it returns is a fresh copy the caller may keep or modify.
 */
export class MerkleTree {
  readonly #levels: Level[] = [new Level()];

  /** A tree of the given leaf hashes, in order. */
  static fromLeaves(hashes: readonly Uint8Array[]): MerkleTree {
    const tree = new MerkleTree();
    tree.appendMany(hashes);
    return tree;
  }

  /** The number of leaves. */
  get size(): number {
    return this.#levels[0]!.count;
  }

  /** Appends one leaf hash: SHA-256(0x00 ‖ entry), RFC 9162 §2.1.1; 32 bytes. */
  append(leafHash: Uint8Array): void {
    checkHash(leafHash, 'The leaf hash');
    if (this.size >= MAX_LEAVES) throw new RangeError(`The tree is full (${MAX_LEAVES} leaves).`);
    this.#levels[0]!.push(leafHash);
    // Like a binary counter: each level whose count becomes even has just completed a parent.
    for (let k = 0, count = this.size; count % 2 === 0; k++) {
      const level = this.#levels[k]!;
      const parent = nodeHash(level.at(count - 2), level.at(count - 1));
      const up = (this.#levels[k + 1] ??= new Level());
      up.push(parent);
      count = up.count;
    }
  }

  /** Appends leaf hashes in order; if any is not 32 bytes, throws and appends none. */
  appendMany(hashes: readonly Uint8Array[]): void {
    hashes.forEach((h, i) => checkHash(h, `Leaf hash ${i}`));
    if (this.size + hashes.length > MAX_LEAVES) throw new RangeError(`The tree cannot hold more than ${MAX_LEAVES} leaves.`);
    for (const h of hashes) this.append(h);
  }

  /** The hash of leaf `index`. */
  leaf(index: number): Buffer {
    checkRange('Leaf index', index, 0, this.size - 1, `the tree has ${this.size} leaves`);
    return Buffer.from(this.#levels[0]!.at(index));
  }

  /** RFC 9162 §2.1.1 MTH(D[0:size]): the root of the first `size` leaves (EMPTY_ROOT for 0). */
  root(size: number = this.size): Buffer {
    checkRange('Tree size', size, 0, this.size, `the tree has ${this.size} leaves`);
    return size === 0 ? Buffer.from(EMPTY_ROOT) : this.#subtree(0, size);
  }

  /**
   * RFC 9162 §2.1.3.1 PATH(index, D[0:size]): the audit path of leaf `index` in the tree of the
   * first `size` leaves, from the leaf's sibling up to the root's child.
   */
  inclusionProof(index: number, size: number = this.size): Buffer[] {
    checkRange('Tree size', size, 1, this.size, `the tree has ${this.size} leaves`);
    checkRange('Leaf index', index, 0, size - 1, `the proof is for a tree of ${size} leaves`);
    const path: Buffer[] = [];
    // Walk the RFC recursion from the top; the range [lo, hi) always holds `index`.
    for (let lo = 0, hi = size; hi - lo > 1; ) {
      const k = splitPoint(hi - lo);
      if (index < lo + k) {
        path.push(this.#subtree(lo + k, hi));
        hi = lo + k;
      } else {
        path.push(this.#subtree(lo, lo + k));
        lo += k;
      }
    }
    return path.reverse();
  }

  /**
   * RFC 9162 §2.1.4.1 PROOF(size1, D[0:size2]): the nodes that show the tree of the first `size2`
   * leaves extends the tree of the first `size1`; empty when the sizes are equal. Needs
   * 0 < size1 ≤ size2, as proofs from the empty tree are meaningless (see `verifyConsistency`).
   */
  consistencyProof(size1: number, size2: number = this.size): Buffer[] {
    checkRange('Second tree size', size2, 1, this.size, `the tree has ${this.size} leaves`);
    checkRange('First tree size', size1, 1, size2, `the second tree has ${size2} leaves`);
    const proof: Buffer[] = [];
    // SUBPROOF(m, D[lo:hi], b), with m = size1 − lo; `whole` is b: still on the left edge, where
    // the verifier knows MTH(D[0:size1]) itself and the proof need not repeat it.
    let whole = true;
    for (let lo = 0, hi = size2; ; ) {
      if (size1 === hi) {
        if (!whole) proof.push(this.#subtree(lo, hi));
        break;
      }
      const k = splitPoint(hi - lo);
      if (size1 - lo <= k) {
        proof.push(this.#subtree(lo + k, hi));
        hi = lo + k;
      } else {
        proof.push(this.#subtree(lo, lo + k));
        lo += k;
        whole = false;
      }
    }
    return proof.reverse();
  }

  /**
   * MTH(D[a:b]) for a range that starts at a multiple of a power of two ≥ b − a (all the recursions
   * produce): the stored perfect subtrees of the binary decomposition of b − a, largest first,
   * folded right to left, which is the RFC's split at the largest power of two.
   */
  #subtree(a: number, b: number): Buffer {
    const parts: Buffer[] = [];
    for (let start = a; start < b; ) {
      const k = 31 - Math.clz32(b - start);
      parts.push(this.#levels[k]!.at(start >>> k));
      start += 2 ** k;
    }
    let hash = parts.pop()!;
    if (parts.length === 0) return Buffer.from(hash);
    while (parts.length > 0) hash = nodeHash(parts.pop()!, hash);
    return hash;
  }
}

/** The largest power of two strictly below n (n ≥ 2): where RFC 9162 §2.1.1 splits D[n]. */
function splitPoint(n: number): number {
  return 2 ** (31 - Math.clz32(n - 1));
}

function checkHash(hash: Uint8Array, name: string): void {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    throw new RangeError(`${name} must be ${HASH_SIZE} bytes; got ${hash instanceof Uint8Array ? hash.length : typeof hash}.`);
  }
}

function checkRange(name: string, value: number, min: number, max: number, context: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const allowed = min > max ? 'none is valid' : `it must be an integer from ${min} to ${max}`;
    throw new RangeError(`${name} ${value} is out of range: ${allowed}, as ${context}.`);
  }
}
