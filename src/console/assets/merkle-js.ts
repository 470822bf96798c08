/**
 * Console asset `merkle.js`: checks an audit event's inclusion in the browser with WebCrypto, so
 * the officer need not trust the gateway's own "verified" flag: the leaf hash is recomputed from the
 * event's canonical bytes (RFC 9162 §2.1.1, SHA-256(0x00 ‖ event)) and the root from the audit path
 * (RFC 9162 §2.1.3.2), then compared with the anchored checkpoint's root.
 */
export const MERKLE_JS = String.raw`
function hexToBytes(hex) {
  const text = String(hex).replace(/^0x/, '');
  if (!/^[0-9a-fA-F]*$/.test(text) || text.length % 2 !== 0) throw new Error('not a hex string');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}

function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(...parts) {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const buffer = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    buffer.set(p, offset);
    offset += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buffer));
}

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

/** RFC 9162 §2.1.1: SHA-256(0x00 || canonical event bytes), as hex. */
export async function leafHashOf(canonicalText) {
  return bytesToHex(await sha256(LEAF, new TextEncoder().encode(canonicalText)));
}

/**
 * RFC 9162 §2.1.3.2: the root implied by a leaf hash and its inclusion path, as hex, or null when
 * the path cannot belong to (leafIndex, treeSize).
 */
export async function rootFromInclusionProof(leafIndex, treeSize, leafHashHex, pathHex) {
  let fn = BigInt(leafIndex);
  let sn = BigInt(treeSize) - 1n;
  if (fn > sn) return null;
  let r = hexToBytes(leafHashHex);
  for (const hex of pathHex) {
    const p = hexToBytes(hex);
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await sha256(NODE, p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await sha256(NODE, r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? bytesToHex(r) : null;
}

function sameHex(a, b) {
  return String(a || '').replace(/^0x/, '').toLowerCase() === String(b || '').replace(/^0x/, '').toLowerCase();
}

/**
 * Verifies one event as GET /admin/audit/events/{index} returns it. The expected root is the
 * covering checkpoint's (anchored on chain) when there is one, else the current tree head's.
 */
export async function verifyEvent(detail) {
  const proof = detail.inclusionProof;
  const computedLeaf = await leafHashOf(detail.canonical);
  const leafOk = sameHex(computedLeaf, detail.leafHash);
  const anchored = Boolean(detail.checkpoint);
  const expectedRoot = anchored ? detail.checkpoint.root : proof.root;
  const sizeOk = !anchored || Number(detail.checkpoint.treeSize) === Number(proof.treeSize);
  const computedRoot = await rootFromInclusionProof(proof.leafIndex, proof.treeSize, computedLeaf, proof.hashes);
  const rootOk = computedRoot !== null && sameHex(computedRoot, expectedRoot);
  return { ok: leafOk && sizeOk && rootOk, leafOk, sizeOk, rootOk, computedLeaf, computedRoot, expectedRoot, anchored };
}
`;
