/**
 * A limit on requests without a valid token, per client address. Every request, refused or not, is
 * an audit event made durable before its answer leaves; without a limit anyone who can reach the
 * gateway could fill the audit disk with 401s (and, the store full, every request would be 503:
 * fail closed, but down). Within the limit each refusal is audited one by one; beyond it the
 * answer is 429 with Retry-After, and the refusals are counted into one summary event per address
 * per interval, so the log still says that they happened, how many, and from where.
 *
 * A token bucket per address (`burst` at once, then `perSecond`). The table is bounded: buckets with
 * nothing to report are dropped (a fresh one starts full anyway), at most once a second; while it is
 * still full, new addresses share one bucket, so cycling through addresses gains nothing and costs
 * the gateway no more than one scan a second. Authenticated requests are never limited here.
 *
 * Replicas behind one load balancer share the budget when Redis is configured (`shared`): the
 * address's bucket lives there, so a client spreading its flood over N replicas does not get N
 * budgets. An address the shared bucket refused is then refused here, without asking again, until
 * that bucket has a token again, so a flood costs Redis at most one call per address per refill.
 * Each replica still counts and reports the refusals it answered (the log holds every replica's
 * summaries). When Redis cannot answer in time, this replica's own bucket decides: still limited,
 * never open, never an error for the caller; and for the next second Redis is not asked at all.
 */
/** The bucket shared by new addresses while the table is full (named so in the summary event). */
export const OVERFLOW = 'other addresses (table full)';
/** How long after a failure of the shared budget this replica decides alone. */
export const SHARED_RETRY_MS = 1000;

export interface LimiterOptions {
  readonly perSecond: number;
  readonly burst: number;
  /** Addresses tracked at most (default 10,000). */
  readonly maxAddresses?: number;
  readonly now?: () => number;
  /** The budget the replicas share (Redis); without it each replica limits on its own. */
  readonly shared?: SharedBudget;
  /** Called when the shared budget could not answer (this replica's own bucket decided). */
  readonly onSharedFailure?: (error: unknown) => void;
}

/** One bucket per address for the whole deployment. */
export interface SharedBudget {
  /** Takes a token from the address's bucket; when none is left, how long until one is. */
  take(address: string): Promise<{ readonly admitted: boolean; readonly retryAfterMs: number }>;
}

interface Bucket {
  tokens: number;
  at: number;
  refused: number;
  /** Shared mode: the shared bucket refused this address until then. */
  blockedUntil: number;
}

export class UnauthenticatedLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private lastEviction = Number.NEGATIVE_INFINITY;
  /** After the shared budget failed: until then this replica decides alone, without asking Redis. */
  private sharedDownUntil = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: LimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  /** True when this address may have one more refusal audited now; false: answer 429, counted. */
  admit(address: string): boolean | Promise<boolean> {
    const now = this.now();
    const { bucket, shared } = this.bucketOf(address, now);
    if (this.options.shared === undefined || !shared || now < this.sharedDownUntil) return this.takeLocal(bucket, now);
    if (now < bucket.blockedUntil) {
      bucket.refused++;
      return false;
    }
    return this.takeShared(this.options.shared, address, bucket, now);
  }

  private async takeShared(budget: SharedBudget, address: string, bucket: Bucket, now: number): Promise<boolean> {
    let answer: { readonly admitted: boolean; readonly retryAfterMs: number };
    try {
      answer = await budget.take(address);
    } catch (error) {
      // A Redis that hangs would otherwise cost every request the whole timeout (and queue a
      // command each): ask again after a second.
      this.sharedDownUntil = this.now() + SHARED_RETRY_MS;
      this.options.onSharedFailure?.(error);
      return this.takeLocal(bucket, this.now());
    }
    if (answer.admitted) return true;
    // The table may have dropped this bucket while Redis answered: the refusal must still be reported.
    const live = this.buckets.get(address) ?? bucket;
    if (live === bucket) this.buckets.set(address, bucket);
    live.blockedUntil = now + answer.retryAfterMs;
    live.refused++;
    return false;
  }

  /** The tokens `bucket` holds at `now`, refilled at the rate since it was last taken from. */
  private refilled(bucket: Bucket, now: number): number {
    return Math.min(this.options.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.options.perSecond);
  }

  private takeLocal(bucket: Bucket, now: number): boolean {
    bucket.tokens = this.refilled(bucket, now);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    bucket.refused++;
    return false;
  }

  /** The address's own bucket, or the overflow bucket (`shared: false`) while the table is full. */
  private bucketOf(address: string, now: number): { bucket: Bucket; shared: boolean } {
    let bucket = this.buckets.get(address);
    if (bucket === undefined) {
      if (this.buckets.size >= (this.options.maxAddresses ?? 10_000) && now - this.lastEviction >= 1000) {
        this.lastEviction = now;
        this.evictQuiet();
      }
      if (this.buckets.size >= (this.options.maxAddresses ?? 10_000)) {
        // Still full of addresses with refusals to report: newcomers share one bucket until the
        // next eviction (at most one scan of the table per second, whatever the flood).
        // (Not shared: the overflow bucket is this replica's own, and costs Redis nothing.)
        bucket = this.buckets.get(OVERFLOW) ?? this.fresh(now, 0);
        this.buckets.set(OVERFLOW, bucket);
        return { bucket, shared: false };
      }
      bucket = this.fresh(now, 0);
      this.buckets.set(address, bucket);
    }
    return { bucket, shared: address !== OVERFLOW };
  }

  private fresh(now: number, refused: number): Bucket {
    return { tokens: this.options.burst, at: now, refused, blockedUntil: 0 };
  }

  /**
   * After a refusal: how long until this address may be heard again (its bucket, shared or local,
   * has a token), for the 429's Retry-After.
   */
  retryAfterMs(address: string): number {
    const bucket = this.buckets.get(address) ?? this.buckets.get(OVERFLOW);
    if (bucket === undefined) return 0;
    const now = this.now();
    if (bucket.blockedUntil > now) return bucket.blockedUntil - now;
    const tokens = this.refilled(bucket, now);
    return tokens >= 1 ? 0 : ((1 - tokens) * 1000) / this.options.perSecond;
  }

  /** Puts back refusals whose summary event could not be recorded: they are reported next time. */
  restore(address: string, refused: number): void {
    const bucket = this.buckets.get(address) ?? this.buckets.get(OVERFLOW);
    if (bucket) bucket.refused += refused;
    else this.buckets.set(address, this.fresh(this.now(), refused));
  }

  /** The refusals counted since the last call, per address (for the summary events); resets them. */
  takeRefused(): Array<[address: string, refused: number]> {
    const out: Array<[string, number]> = [];
    for (const [address, bucket] of this.buckets) {
      if (bucket.refused > 0) {
        out.push([address, bucket.refused]);
        bucket.refused = 0;
      }
    }
    return out;
  }

  /** Drops buckets with nothing to report that have refilled (they would start full again anyway). */
  private evictQuiet(): void {
    const now = this.now();
    for (const [address, bucket] of this.buckets) {
      if (bucket.refused === 0 && address !== OVERFLOW && bucket.blockedUntil <= now) this.buckets.delete(address);
    }
  }
}
