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
 */
/** The bucket shared by new addresses while the table is full (named so in the summary event). */
export const OVERFLOW = 'other addresses (table full)';

export interface LimiterOptions {
  readonly perSecond: number;
  readonly burst: number;
  /** Addresses tracked at most (default 10,000). */
  readonly maxAddresses?: number;
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
  refused: number;
}

export class UnauthenticatedLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private lastEviction = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: LimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  /** True when this address may have one more refusal audited now; false: answer 429, counted. */
  admit(address: string): boolean {
    const now = this.now();
    let bucket = this.buckets.get(address);
    if (bucket === undefined) {
      if (this.buckets.size >= (this.options.maxAddresses ?? 10_000) && now - this.lastEviction >= 1000) {
        this.lastEviction = now;
        this.evictQuiet();
      }
      if (this.buckets.size >= (this.options.maxAddresses ?? 10_000)) {
        // Still full of addresses with refusals to report: newcomers share one bucket until the
        // next eviction (at most one scan of the table per second, whatever the flood).
        bucket = this.buckets.get(OVERFLOW) ?? { tokens: this.options.burst, at: now, refused: 0 };
        this.buckets.set(OVERFLOW, bucket);
      } else {
        bucket = { tokens: this.options.burst, at: now, refused: 0 };
        this.buckets.set(address, bucket);
      }
    }
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.options.perSecond);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    bucket.refused++;
    return false;
  }

  /** Puts back refusals whose summary event could not be recorded: they are reported next time. */
  restore(address: string, refused: number): void {
    const bucket = this.buckets.get(address) ?? this.buckets.get(OVERFLOW);
    if (bucket) bucket.refused += refused;
    else this.buckets.set(address, { tokens: this.options.burst, at: this.now(), refused });
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
    for (const [address, bucket] of this.buckets) {
      if (bucket.refused === 0 && address !== OVERFLOW) this.buckets.delete(address);
    }
  }
}
