/**
 * A limit on requests without a valid token, per client address. Every request, refused or not, is
 * an audit event made durable before its answer leaves; without a limit anyone who can reach the
 * gateway could fill the audit disk with 401s (and, the store full, every request would be 503:
 * fail closed, but down). Within the limit each refusal is audited one by one; beyond it the
 * answer is 429 with Retry-After, and the refusals are counted into one summary event per address
 * per interval, so the log still says that they happened, how many, and from where.
 *
 * A token bucket per address (`burst` at once, then `perSecond`); the table is bounded (an attacker
 * cycling through addresses only resets buckets, each of which starts full again, which is the
 * behaviour of a fresh address anyway). Authenticated requests are never limited here.
 */
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

  constructor(private readonly options: LimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  /** True when this address may have one more refusal audited now; false: answer 429, counted. */
  admit(address: string): boolean {
    const now = this.now();
    let bucket = this.buckets.get(address);
    if (bucket === undefined) {
      if (this.buckets.size >= (this.options.maxAddresses ?? 10_000)) this.evictQuiet();
      bucket = { tokens: this.options.burst, at: now, refused: 0 };
      this.buckets.set(address, bucket);
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

  /** Drops full buckets with nothing to report (they would start full again anyway). */
  private evictQuiet(): void {
    for (const [address, bucket] of this.buckets) {
      if (bucket.refused === 0 && bucket.tokens >= this.options.burst - 1) this.buckets.delete(address);
    }
    if (this.buckets.size >= (this.options.maxAddresses ?? 10_000)) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }
}
