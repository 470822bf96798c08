/**
 * Turns one request's facts into what the store keeps: the AuditEvent in RFC 8785 canonical form
 * (so anyone can recompute its hash), its RFC 9162 leaf hash `SHA-256(0x00 ‖ canonical event)`,
 * and the fields the admin API searches by.
 */
import { canonicalAuditEvent, outcomeOf, type AuditInput } from './audit-event.js';
import { leafHash } from './merkle.js';
import type { AuditRecord } from './store.js';

export function toAuditRecord(input: AuditInput): AuditRecord {
  const canonical = Buffer.from(canonicalAuditEvent(input), 'utf8');
  const who = input.who;
  return {
    canonical,
    leafHash: leafHash(canonical),
    facts: {
      eventId: input.eventId,
      requestId: input.requestId,
      recorded: input.recorded,
      patients: (input.decision?.patients ?? []).map((id) => `Patient/${id}`),
      actor: who ? (who.fhirUser ?? who.subject) : null,
      clientId: who ? who.clientId : null,
      outcome: outcomeOf(input.status, input.clientGone),
      breakGlass: input.breakGlassReason !== undefined || (input.decision?.breakGlass ?? false),
    },
  };
}
