/**
 * Reads one range of blocks from the ledger for the consent indexer, and proves the events belong
 * to the chain whose hash it records, so a reorg that happens while reading is caught:
 *
 * 1. the hash of the last block is read BEFORE the events. If the chain switches forks after that
 *    read, the recorded hash is the old fork's, the next poll sees it is no longer canonical, and
 *    the indexer rewinds what it applied;
 * 2. events must be in chain order and inside the range, and all events of a block must share one
 *    block hash;
 * 3. events in the last block must carry the hash read in 1; events in other blocks near the head
 *    (within the reorg window) are checked against the ledger's hash for their block. Deeper
 *    blocks are final for practical purposes and are not re-read (that would cost one call per
 *    block during a catch-up).
 */
import { CustosError } from '../errors.js';
import type { ConsentEvent } from './consent-model.js';
import type { ConsentLedger } from './consents.js';
import type { Cursor } from './rewind-journal.js';

export interface LedgerPage {
  /** Every event of the range, in chain order. */
  readonly events: readonly ConsentEvent[];
  /** The blocks that had events, then the range's last block, ascending, each with its events. */
  readonly blocks: ReadonlyArray<{ readonly ref: Cursor; readonly events: readonly ConsentEvent[] }>;
}

function moved(): CustosError {
  return new CustosError('LEDGER_UNAVAILABLE', 'the chain reorganised while the consent index was reading it; retrying at the next poll');
}

function disordered(what: string): CustosError {
  return new CustosError('INTERNAL', `the consent ledger returned ${what}`);
}

/** Events of blocks [from, to]; blocks above `verifyAbove` with events get their hash re-checked. */
export async function readLedgerPage(ledger: ConsentLedger, from: number, to: number, verifyAbove: number): Promise<LedgerPage> {
  const toHash = await ledger.blockHash(to);
  if (toHash === null) throw moved();
  const events = await ledger.events(from, to);

  const blocks: Array<{ ref: Cursor; events: ConsentEvent[] }> = [];
  let previous: ConsentEvent | undefined;
  for (const event of events) {
    const { blockNumber, blockHash, logIndex } = event.position;
    if (blockNumber < from || blockNumber > to) throw disordered(`an event outside blocks ${from}..${to}`);
    if (previous !== undefined) {
      const p = previous.position;
      if (blockNumber < p.blockNumber || (blockNumber === p.blockNumber && logIndex <= p.logIndex)) throw disordered('events out of chain order');
      if (blockNumber === p.blockNumber && blockHash !== p.blockHash) throw moved();
    }
    const last = blocks[blocks.length - 1];
    if (last !== undefined && last.ref.number === blockNumber) last.events.push(event);
    else blocks.push({ ref: { number: blockNumber, hash: blockHash }, events: [event] });
    previous = event;
  }

  for (const block of blocks) {
    const expected = block.ref.number === to ? toHash : block.ref.number > verifyAbove ? await ledger.blockHash(block.ref.number) : block.ref.hash;
    if (expected !== block.ref.hash) throw moved();
  }
  if (blocks[blocks.length - 1]?.ref.number !== to) blocks.push({ ref: { number: to, hash: toHash }, events: [] });
  return { events, blocks };
}
