/**
 * Turns one request's facts into what the store keeps: the AuditEvent in RFC 8785 canonical form
 * (so anyone can recompute its hash), its RFC 9162 leaf hash `SHA-256(0x00 ‖ canonical event)`,
 * and the fields the admin API searches by.
 */
import { canonicalAuditEventBytes, outcomeOf, patientEntityReference, type AuditInput } from './audit-event.js';
import { patientReferenceAt } from './patient-reference.js';
import { hash } from 'node:crypto';
import type { AuditRecord } from './store.js';

export function toAuditRecord(input: AuditInput): AuditRecord {
  // RFC 9162 §2.1.1: SHA-256(0x00 ‖ event). Written with the 0x00 in front, so the hash reads the
  // bytes in place (merkle.ts `leafHash` without the copy) and the record keeps the rest.
  const prefixed = canonicalAuditEventBytes(input, 0x00);
  const canonical = prefixed.subarray(1);
  const who = input.who;
  return {
    canonical,
    leafHash: hash('sha256', prefixed, 'buffer'),
    facts: {
      eventId: input.eventId,
      requestId: input.requestId,
      recorded: input.recorded,
      patients: (input.decision?.patients ?? []).map((id) => patientReferenceAt(input.gateway.baseUrl, patientEntityReference(id))),
      actor: who ? (who.fhirUser ?? who.subject) : null,
      clientId: who ? who.clientId : null,
      outcome: outcomeOf(input.status, input.clientGone),
      breakGlass: input.breakGlassReason !== undefined || (input.decision?.breakGlass ?? false),
    },
  };
}
