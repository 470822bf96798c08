/**
 * The one Redis connection the gateway's shared state uses (consent-index snapshots and change
 * fan-out, the patient-identity cache, the unauthenticated-request budget), opened at start.
 *
 * - Unreachable at start: start fails with what to fix, not ioredis' "Connection is closed." and a
 *   stack trace (the cause, e.g. ECONNREFUSED, is only in ioredis' error event).
 * - Lost later: ioredis reconnects by itself; each caller already falls back meanwhile. Its error
 *   events are logged as one warning per 30 s (unhandled, ioredis prints every retry to stderr).
 * - Hung (accepts, never answers): every command fails after `commandTimeoutMs` instead of waiting.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CustosError } from '../../errors.js';

export interface RedisConnectionOptions {
  readonly url: string;
  readonly commandTimeoutMs: number;
  readonly logger: Pick<Logger, 'warn'>;
}

const WARN_EVERY_MS = 30_000;

export async function connectRedis(options: RedisConnectionOptions): Promise<Redis> {
  const where = safeRedisUrl(options.url);
  const redis = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 2, commandTimeout: options.commandTimeoutMs });
  let lastError: unknown;
  let connected = false;
  let warnedAt = Number.NEGATIVE_INFINITY;
  redis.on('error', (error: unknown) => {
    lastError = error;
    if (!connected || Date.now() - warnedAt < WARN_EVERY_MS) return; // at start, the refusal below says it
    warnedAt = Date.now();
    options.logger.warn({ redis: where, code: codeOf(error) }, 'Redis is not answering: shared state falls back (index polls go on, identity lookups read the source, rate limits are per replica) until it is back');
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    const code = codeOf(lastError ?? error);
    throw new CustosError('UNAVAILABLE', `cannot reach Redis at ${where} (${code}): check redis.url (CUSTOS_REDIS_URL) and that Redis is running, or unset it to run a single replica without shared state`, undefined, { cause: error });
  }
  connected = true;
  return redis;
}

/** The URL without its credentials (a password may be in it), for messages and logs. */
export function safeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'the configured Redis URL';
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const message = (error as { message?: unknown } | null)?.message;
  return message === 'Command timed out' ? 'no answer' : 'connection failed';
}
