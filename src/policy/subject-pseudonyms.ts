/**
 * Patient id → consent subject pseudonym, cached. The pseudonym is an HMAC (≈ 6 µs); a search page
 * decides up to hundreds of entries, mostly of a handful of patients, so each is computed once.
 * Bounded: when full the cache starts again (a patient's pseudonym never changes, so a miss only
 * costs one HMAC).
 */
import type { Bytes32 } from './consent-model.js';
import type { Pseudonymizer } from './pseudonym.js';

export function cachedSubjectPseudonyms(pseudonyms: Pseudonymizer, maxEntries = 100_000): (patientId: string) => Bytes32 {
  const cache = new Map<string, Bytes32>();
  return (patientId) => {
    let subject = cache.get(patientId);
    if (subject === undefined) {
      if (cache.size >= maxEntries) cache.clear();
      subject = pseudonyms.of('subject', `Patient/${patientId}`);
      cache.set(patientId, subject);
    }
    return subject;
  };
}
