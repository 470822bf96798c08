/**
 * The `AuditStore` port: where audit events become durable, get their place in the log's total
 * order, and are read back for proofs, searches, exports and verification.
 *
 * "Append is not integrate" (tessera): `append` returns once the batch is durable, which is all the
 * request path waits for. Giving events their leaf index (`sequence`) is the job of one sequencer
 * (the instance holding `acquireSequencer`), behind the request path. The Merkle tree is built from
 * the sequenced leaf hashes by `src/audit/merkle-tree.ts`, never by the store.
 *
 * Adapters: `src/audit/memory-audit-store.ts` (unit tests), `src/adapters/store/file-audit-store.ts`
 * (embedded default, no server), `src/adapters/store/pg-audit-store.ts` (production). All pass
 * `test/support/audit-store-conformance.ts`.
 */

/** The fields an event is searched by; copied out of the event when it is recorded. */
export interface AuditFacts {
  /** AuditEvent.id: a UUID, unique per event. */
  readonly eventId: string;
  /** The X-Request-ID the client saw (not unique: clients may send their own). */
  readonly requestId: string;
  /** AuditEvent.recorded, as Unix milliseconds. */
  readonly recorded: number;
  /** Patients the request touched, as references (`Patient/123`); empty when none. */
  readonly patients: readonly string[];
  /** The user (`fhirUser` reference, else the token subject), null when unauthenticated. */
  readonly actor: string | null;
  /** The client application (`client_id`), null when unauthenticated. */
  readonly clientId: string | null;
  /** AuditEvent.outcome: 0 success, 4 minor failure (refused, denied), 8 serious, 12 major. */
  readonly outcome: 0 | 4 | 8 | 12;
  readonly breakGlass: boolean;
}

/** One event handed to the store: its canonical bytes, their leaf hash, and its search facts. */
export interface AuditRecord {
  /** The AuditEvent in RFC 8785 canonical form (UTF-8): exactly what the leaf hash commits to. */
  readonly canonical: Buffer;
  /** SHA-256(0x00 ‖ canonical): RFC 9162 §2.1.1 leaf hash. */
  readonly leafHash: Buffer;
  readonly facts: AuditFacts;
}

/** An event as stored, once sequenced. */
export interface StoredAuditEvent extends AuditRecord {
  /** Its leaf index in the log (0-based, dense, never reused). */
  readonly index: number;
  /**
   * The leaf hash of the event at `index - 1` (32 zero bytes for index 0), written by the store when
   * it sequences. It lets the verifier name a swapped, deleted or edited event locally instead of
   * only "the root differs": a row moved or removed breaks its successor's link.
   */
  readonly previousLeafHash: Buffer;
}

/** What `sequence` gave a leaf index to. */
export interface SequencedLeaf {
  readonly index: number;
  readonly leafHash: Buffer;
}

export interface AuditSearch {
  /** `Patient/123`: events touching this patient. */
  readonly patient?: string;
  /** Events by this user (`Practitioner/x`, `Patient/y`, or a token subject) or this client id. */
  readonly actor?: string;
  /** Recorded at or after / strictly before (Unix ms). */
  readonly from?: number;
  readonly to?: number;
  readonly outcome?: 0 | 4 | 8 | 12;
  readonly breakGlass?: boolean;
  /** Only events with a larger index (paging cursor: the last index of the previous page). */
  readonly afterIndex?: number;
  /** At most this many (the store may cap it; 1..1000). */
  readonly limit: number;
}

/** A checkpoint this log anchored on chain: the tree head and where it landed. */
export interface CheckpointRecord {
  readonly treeSize: number;
  /** Hex `0x…` SHA-256 root of the first `treeSize` leaves. */
  readonly root: string;
  readonly chainId: number;
  readonly contract: string;
  /** Position in the contract's checkpoint list. */
  readonly chainIndex: number;
  readonly transactionHash: string;
  readonly blockNumber: number;
  readonly blockHash: string;
  /** Unix ms when the transaction was mined (as far as the anchorer saw). */
  readonly anchoredAt: number;
  readonly gasUsed: number;
}

/**
 * Some checkpoints, by increasing tree size: those with a tree size in [minTreeSize, maxTreeSize],
 * the first `limit` of them, or the last `limit` with `newest`. Anchoring, proofs and reports need
 * one or a few, and the list grows by one per anchor interval for as long as the log lives.
 */
export interface CheckpointQuery {
  readonly minTreeSize?: number;
  readonly maxTreeSize?: number;
  readonly limit: number;
  readonly newest?: boolean;
}

export interface AuditStore {
  /**
   * Stores a batch durably (one write and one sync for the whole batch: group commit). Resolves only
   * when every event of the batch would survive a crash or a SIGKILL; rejects if any might not.
   */
  append(batch: readonly AuditRecord[]): Promise<void>;

  /**
   * Sequencer only: gives up to `limit` appended-but-unsequenced events, oldest first, the next leaf
   * indices (and their `previousLeafHash` links), durably, and returns them in index order.
   */
  sequence(limit: number): Promise<SequencedLeaf[]>;

  /** The number of sequenced events (the log's current size). */
  size(): Promise<number>;

  /** Leaf hashes of indices [from, from + limit), in order, clamped to the size. */
  leaves(from: number, limit: number): Promise<Buffer[]>;

  /** One sequenced event by index, or null. */
  event(index: number): Promise<StoredAuditEvent | null>;

  /** Sequenced events matching every given criterion, by increasing index. */
  search(filter: AuditSearch): Promise<StoredAuditEvent[]>;

  /** Every sequenced event with index in [from, to), in order, without loading them all at once. */
  scan(from: number, to: number): AsyncIterable<StoredAuditEvent>;

  /** Remembers an anchored checkpoint (replacing one of the same tree size: a re-sent anchor). */
  recordCheckpoint(checkpoint: CheckpointRecord): Promise<void>;
  /** Anchored checkpoints by increasing tree size: all of them (export, verification, the list). */
  checkpoints(): Promise<CheckpointRecord[]>;
  /** Some of them (CheckpointQuery), without reading the rest. */
  checkpointsWhere(query: CheckpointQuery): Promise<CheckpointRecord[]>;
  /** Forgets a checkpoint whose transaction the chain no longer holds (reorg), before it is re-sent. */
  dropCheckpoint(treeSize: number): Promise<void>;

  /**
   * Sequencer election: true while this instance is (or has just become) the one sequencer. Must be
   * cheap to call every sequencing tick; an instance that loses the database loses the role.
   */
  acquireSequencer(): Promise<boolean>;

  close(): Promise<void>;
}
