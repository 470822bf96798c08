/**
 * The consent-index snapshot and its change fan-out in Redis, shared by the gateway replicas
 * (ARCHITECTURE.md, "Stores"). One key holds the latest snapshot (JSON; SET replaces it whole, so
 * a reader never sees half of one); one pub/sub channel carries "the index moved" hints so the
 * other replicas poll the chain at once.
 *
 * Anyone who can write to this Redis can write a snapshot, and a snapshot says who may see whose
 * records. The indexer re-checks the snapshot's cursor against the chain but cannot re-check the
 * grants without replaying it, so give `integrityKey` (a deployment secret, like the pseudonym
 * key) to have snapshots MACed (HMAC-SHA256) and refused when the MAC fails.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CustosError } from '../../errors.js';
import type { IndexChange, IndexChangeFeed, IndexSnapshot, IndexSnapshotStore, Unsubscribe } from '../../policy/index-snapshot.js';

export interface RedisIndexSnapshotOptions {
  /** For GET/SET/PUBLISH. Subscribing duplicates it: a subscribed connection can do nothing else. */
  readonly redis: Redis;
  /** Prefix of the key and channel names; the replicas of one deployment share it. Default 'custos:'. */
  readonly keyPrefix?: string;
  /** When given, snapshots carry an HMAC-SHA256 under this key and are refused when it does not verify. */
  readonly integrityKey?: string | Buffer;
}

const MAC_TAG = 'hmac-sha256:';

export class RedisIndexSnapshotStore implements IndexSnapshotStore, IndexChangeFeed {
  readonly key: string;
  readonly channel: string;
  private readonly redis: Redis;
  private readonly integrityKey: string | Buffer | undefined;

  constructor(options: RedisIndexSnapshotOptions) {
    const prefix = options.keyPrefix ?? 'custos:';
    this.redis = options.redis;
    this.key = `${prefix}consent-index:snapshot`;
    this.channel = `${prefix}consent-index:changed`;
    this.integrityKey = options.integrityKey;
  }

  async load(): Promise<IndexSnapshot | null> {
    const stored = await this.redis.get(this.key);
    if (stored === null) return null;
    return JSON.parse(this.unseal(stored)) as IndexSnapshot;
  }

  async save(snapshot: IndexSnapshot): Promise<void> {
    await this.redis.set(this.key, this.seal(JSON.stringify(snapshot)));
  }

  async publishChange(change: IndexChange): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify({ origin: change.origin, cursor: change.cursor }));
  }

  async subscribeChanges(onChange: (change: IndexChange) => void): Promise<Unsubscribe> {
    const subscriber = this.redis.duplicate();
    // ioredis reconnects and resubscribes by itself; an outage only delays hints, polling goes on.
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const change = parseChange(message);
      if (change !== null) onChange(change);
    });
    try {
      await subscriber.subscribe(this.channel);
    } catch (error) {
      subscriber.disconnect();
      throw error;
    }
    return async () => {
      await subscriber.quit().catch(() => subscriber.disconnect());
    };
  }

  private mac(json: string): Buffer {
    return createHmac('sha256', this.integrityKey!).update(json).digest();
  }

  private seal(json: string): string {
    return this.integrityKey === undefined ? json : `${MAC_TAG}${this.mac(json).toString('hex')}:${json}`;
  }

  private unseal(stored: string): string {
    if (this.integrityKey === undefined) return stored;
    const refused = (): never => {
      throw new CustosError('INTERNAL', 'the consent index snapshot in Redis fails its integrity check (written without the integrity key, or altered)');
    };
    if (!stored.startsWith(MAC_TAG)) refused();
    const macEnd = stored.indexOf(':', MAC_TAG.length);
    if (macEnd < 0) refused();
    const given = Buffer.from(stored.slice(MAC_TAG.length, macEnd), 'hex');
    const json = stored.slice(macEnd + 1);
    const expected = this.mac(json);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) refused();
    return json;
  }
}

/** A change message is a hint from a peer: anything malformed is dropped, nothing else is trusted. */
function parseChange(message: string): IndexChange | null {
  if (message.length > 1024) return null;
  try {
    const value = JSON.parse(message) as { origin?: unknown; cursor?: { number?: unknown; hash?: unknown } };
    const { origin, cursor } = value;
    if (typeof origin !== 'string' || typeof cursor?.number !== 'number' || typeof cursor.hash !== 'string') return null;
    return { origin, cursor: { number: cursor.number, hash: cursor.hash } };
  } catch {
    return null;
  }
}
