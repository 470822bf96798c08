/**
 * What the consent indexer reports: its status (readiness, /readyz), the changes it announces,
 * and the small helpers both need.
 */
import { isCustosError } from '../errors.js';
import type { ConsentAnswer } from './consent-model.js';
import type { BlockRef } from './consents.js';
import type { Cursor } from './rewind-journal.js';

export interface ConsentIndexerStatus {
  /** The last block applied, or null before anything was. */
  readonly cursor: BlockRef | null;
  /** The head seen by the last poll that reached the ledger. */
  readonly head: BlockRef | null;
  readonly lagBlocks: number | null;
  readonly lastSuccessfulPollAt: number | null;
  /** True: decisions answer `index-stale`. */
  readonly stale: boolean;
  /** Why it is stale, or what went wrong at the last poll. */
  readonly reason?: string;
  readonly grants: number;
}

export type ConsentIndexerChange =
  | { readonly kind: 'applied'; readonly cursor: BlockRef; readonly events: number }
  | { readonly kind: 'rewound'; readonly from: BlockRef; readonly to: BlockRef | null; readonly undone: number }
  | { readonly kind: 'rebuilding'; readonly reason: string }
  | { readonly kind: 'freshness'; readonly stale: boolean; readonly reason?: string }
  | { readonly kind: 'warning'; readonly message: string };

export const INDEX_STALE: ConsentAnswer = Object.freeze({ permitted: false, grantId: null, rule: 'index-stale' });

/**
 * A reason for status() (shown by /readyz) and warnings: a CustosError's message was written for
 * callers; anything else is a bug whose text (an RPC library's, say) may carry URLs or internals,
 * so it is named but not quoted.
 */
export function describe(error: unknown): string {
  const text = isCustosError(error) ? `${error.code}: ${error.message}` : 'INTERNAL: unexpected error in the consent indexer (a bug: please report it)';
  return text.slice(0, 300);
}

export function toBlockRef(cursor: Cursor): BlockRef | null {
  return cursor.hash === null ? null : { number: cursor.number, hash: cursor.hash };
}
