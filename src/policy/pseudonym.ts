/**
 * Keyed pseudonyms: the only form in which patients and actors appear on chain. HMAC-SHA256 with a
 * deployment secret, so nobody without the key can test a guess ("is Patient/123 on chain?"),
 * unlike a plain hash. Inputs are namespaced so a patient and an actor with the same text never
 * collide.
 */
import { createHmac } from 'node:crypto';
import type { Bytes32 } from './consent-model.js';

/** `client-address`: never on chain, only the key of a shared rate-limit bucket in Redis. */
export type PseudonymKind = 'subject' | 'actor' | 'organization' | 'client-address';

export class Pseudonymizer {
  private readonly key: Buffer;

  constructor(secret: string) {
    if (Buffer.byteLength(secret) < 32) throw new RangeError('the pseudonym key must be at least 32 bytes');
    this.key = Buffer.from(secret);
  }

  /** e.g. of('subject', 'Patient/pat-001'), of('actor', 'Practitioner/123'), of('organization', 'Organization/9'). */
  of(kind: PseudonymKind, value: string): Bytes32 {
    return '0x' + createHmac('sha256', this.key).update(kind).update('\u0000').update(value).digest('hex');
  }

  /**
   * A grantee's pseudonym from its reference: organizations are their own namespace, everyone else
   * (Practitioner, Patient, Device, ...) is an actor. Grants and decisions both go through here, so
   * a grant always names the pseudonym the decision looks for.
   */
  grantee(reference: string): Bytes32 {
    return this.of(reference.startsWith('Organization/') ? 'organization' : 'actor', reference);
  }
}
