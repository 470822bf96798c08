/**
 * Compliance reports are disclosures too: whoever runs one sees who accessed a patient's data, and
 * often the data's description. Each report generated is recorded in the same audit log as FHIR
 * traffic (an AuditEvent of an `operation` named `report-<kind>`, the patient in scope as its
 * entity), durably, before the report leaves; if it cannot be recorded the report is refused (503).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AuditRecorder } from '../../audit/audit-recorder.js';
import { toAuditRecord } from '../../audit/audit-record.js';
import type { Actor } from '../../policy/identity/actor.js';
import { saneRequestId } from '../request-context.js';

export interface AdminAccess {
  readonly actor: Actor;
  readonly operation: string;
  readonly path: string;
  /** The request's X-Request-ID header, if any (a fresh id when absent or not sane). */
  readonly requestIdHeader: unknown;
  readonly clientAddress: string | undefined;
  /** Patient references (`Patient/123`) the access concerns. */
  readonly patients: readonly string[];
}

export type AdminAccessRecorder = (access: AdminAccess) => Promise<void>;

export function adminAccessRecorder(recorder: AuditRecorder, gateway: { readonly id: string; readonly baseUrl: string }): AdminAccessRecorder {
  return (access) => {
    const a = access.actor;
    return recorder.record(toAuditRecord({
      eventId: randomUUID(),
      recorded: Date.now(),
      requestId: saneRequestId(access.requestIdHeader) ?? randomUUID(),
      traceId: randomBytes(16).toString('hex'),
      method: 'POST',
      interaction: { kind: 'operation', operation: access.operation },
      path: access.path,
      query: '',
      status: 200,
      clientGone: false,
      clientAddress: access.clientAddress ?? 'unknown',
      who: {
        subject: a.subject, issuer: a.issuer, clientId: a.clientId, tokenId: a.tokenId,
        ...(a.fhirUser ? { fhirUser: a.fhirUser } : {}),
        ...(a.organization ? { organization: a.organization } : {}),
        // Compliance review is health care operations (HIPAA): exempt from the accounting, listed in access reports.
        purposeOfUse: 'HOPERAT',
      },
      decision: { permitted: 1, denied: 0, rules: ['auditor-scope'], grantIds: [], patients: access.patients.map((p) => p.replace(/^Patient\//, '')), breakGlass: false },
      resources: [],
      gateway,
    }));
  };
}
