/**
 * Streams the whole log into the export format (src/audit/export-file.ts): header with the tree
 * head, every event in index order, then the checkpoints the store recorded. Memory stays flat:
 * the tree head comes from the leaf hashes (32 bytes each), events are written as they are read.
 */
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { checkpointLine, eventLine, headerLine, EXPORT_FORMAT } from './export-file.js';
import { MerkleTree } from './merkle-tree.js';
import { toHex } from './audit-log.js';
import type { AuditStore } from './store.js';

const LEAF_PAGE = 50_000;

export async function writeAuditExport(store: AuditStore, chain: { readonly chainId: number; readonly contract: string }, out: Writable): Promise<number> {
  const size = await store.size();
  const tree = new MerkleTree();
  for (let from = 0; from < size; from += LEAF_PAGE) tree.appendMany(await store.leaves(from, Math.min(LEAF_PAGE, size - from)));
  await write(out, headerLine({ format: EXPORT_FORMAT, chainId: chain.chainId, contract: chain.contract, treeSize: size, root: toHex(tree.root(size)), exportedAt: new Date().toISOString() }));
  let events = 0;
  for await (const event of store.scan(0, size)) {
    await write(out, eventLine(event));
    events++;
  }
  for (const checkpoint of await store.checkpoints()) await write(out, checkpointLine(checkpoint));
  return events;
}

/** Honours back-pressure: a slow disk or client never makes the export buffer the whole log. */
async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}
