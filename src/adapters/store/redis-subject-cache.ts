/**
 * The patient id → consent subject cache in Redis, shared by the gateway replicas (each source's
 * Patient is read once per TTL across the deployment, not once per replica). Values are subject
 * pseudonyms with a MAC (patient-subjects.ts), never identifiers.
 */
import type { Redis } from 'ioredis';
import type { SubjectCache } from '../../policy/patient-subjects.js';

export function redisSubjectCache(redis: Redis): SubjectCache {
  return {
    async getMany(keys) {
      if (keys.length === 0) return [];
      const values = await redis.mget(...keys);
      return values.map((v) => v ?? undefined);
    },
    async setMany(entries, ttlSeconds) {
      const batch = redis.multi();
      for (const [key, value] of entries) batch.set(key, value, 'EX', ttlSeconds);
      await batch.exec();
    },
  };
}
