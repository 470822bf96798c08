/**
 * The unauthenticated-request budget the gateway replicas share (unauthenticated-limiter.ts): one
 * token bucket per client address in Redis, taken and refilled atomically by a script on Redis'
 * own clock (replicas' clocks may differ). Keys are keyed pseudonyms of the address (no address in
 * Redis) and expire once the bucket would be full again, so idle addresses leave nothing behind.
 */
import type { Redis } from 'ioredis';
import type { SharedBudget } from '../../http/unauthenticated-limiter.js';

export interface RedisRateBudgetOptions {
  readonly perSecond: number;
  readonly burst: number;
  /** The key part for an address: a keyed pseudonym, never the address itself. */
  readonly keyOf: (address: string) => string;
  readonly keyPrefix?: string;
  /** How long a replica waits for Redis before its own bucket decides (default 100 ms). */
  readonly timeoutMs?: number;
}

// KEYS[1] the bucket; ARGV: tokens per second, burst. Returns {admitted (1|0), ms until a token}.
const TAKE = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local admitted = 0
if tokens >= 1 then
  tokens = tokens - 1
  admitted = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
if admitted == 1 then return {1, 0} end
return {0, math.ceil((1 - tokens) * 1000 / rate)}
`;

const COMMAND = 'custosTakeUnauthenticatedToken';
type TakeCommand = (key: string, perSecond: number, burst: number) => Promise<[number, number]>;

/**
 * The script as a command of this client (ioredis' defineCommand: sent by its hash, the script
 * itself only when Redis does not know it yet, e.g. after a restart or SCRIPT FLUSH).
 */
function takeCommand(redis: Redis): TakeCommand {
  const commands = redis as unknown as Record<string, TakeCommand | undefined>;
  if (commands[COMMAND] === undefined) redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: TAKE });
  const command = commands[COMMAND]!;
  return (key, perSecond, burst) => command.call(redis, key, perSecond, burst);
}

export function redisRateBudget(redis: Redis, options: RedisRateBudgetOptions): SharedBudget {
  const prefix = options.keyPrefix ?? 'custos:limit:unauthenticated:';
  const timeoutMs = options.timeoutMs ?? 100;
  const take = takeCommand(redis);
  return {
    async take(address) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const reply = await Promise.race([take(prefix + options.keyOf(address), options.perSecond, options.burst), late]);
        return { admitted: reply[0] === 1, retryAfterMs: Number(reply[1]) };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
