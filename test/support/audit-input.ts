/**
 * One request's audit facts as tests build them: a consented read of one Observation by a
 * practitioner through an EHR app. Tests override what they are about.
 */
import type { AuditInput } from '../../src/audit/audit-event.js';

export const SAMPLE_AUDIT_INPUT: AuditInput = Object.freeze<AuditInput>({
  eventId: '6f1c1f1e-1111-4222-8333-444455556666',
  recorded: Date.UTC(2026, 10, 22, 10, 0, 0),
  requestId: 'req-1',
  traceId: '0af7651916cd43dd8448eb211c80319c',
  method: 'GET',
  interaction: { kind: 'read', resourceType: 'Observation' },
  path: '/Observation/obs-1',
  query: '',
  status: 200,
  clientGone: false,
  clientAddress: '10.0.0.7',
  who: { subject: 'dr-who', issuer: 'https://idp.example.org', fhirUser: 'Practitioner/prac-01', clientId: 'ehr-app', tokenId: 'tok-hash', purposeOfUse: 'TREAT', organization: 'Organization/org-01' },
  decision: { permitted: 1, denied: 0, rules: ['grant'], grantIds: ['0xgrant1'], patients: ['pat-1'], breakGlass: false },
  resources: ['Observation/obs-1/_history/3'],
  gateway: { id: 'gw-1', baseUrl: 'http://gw.example.org/fhir' },
});

/** The sample input with some facts replaced. */
export function auditInput(overrides: Partial<AuditInput> = {}): AuditInput {
  return { ...SAMPLE_AUDIT_INPUT, ...overrides };
}
