/**
 * Patients in the audit log's search fields are named with their source, so colliding ids of two
 * sources are two patients; the facts written at record time and those re-derived from the event
 * (what `custos audit verify` and the reports use) agree.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toAuditRecord } from '../../src/audit/audit-record.js';
import { auditInput } from '../support/audit-input.js';
import { patientReferenceAt } from '../../src/audit/patient-reference.js';
import { eventFacts } from '../../src/audit/reports/event-facts.js';

const input = (baseUrl: string) => auditInput({
  interaction: { kind: 'read', resourceType: 'Patient' }, path: '/Patient/123',
  decision: { permitted: 1, denied: 0, rules: ['grant'], grantIds: ['1'], patients: ['123'], withheldPatients: [], breakGlass: false },
  resources: ['Patient/123/_history/1'], gateway: { id: 'gw', baseUrl },
});

describe('patients named with their source in the audit log', () => {
  it('the default base (and /sources/default) keep Patient/{id}; another source qualifies it', () => {
    assert.equal(patientReferenceAt('https://gw.example/fhir', 'Patient/123'), 'Patient/123');
    assert.equal(patientReferenceAt('https://gw.example/sources/default/fhir', 'Patient/123'), 'Patient/123');
    assert.equal(patientReferenceAt('https://gw.example/sources/clinic/fhir', 'Patient/123'), 'sources/clinic/Patient/123');
    assert.equal(patientReferenceAt('https://gw.example/sources/clinic/fhir', 'sources/clinic/Patient/123'), 'sources/clinic/Patient/123');
  });

  it('the same id at two sources is two patients, in the stored facts and in the re-derived ones alike', () => {
    const main = toAuditRecord(input('https://gw.example/fhir'));
    const clinic = toAuditRecord(input('https://gw.example/sources/clinic/fhir'));
    assert.deepEqual(main.facts.patients, ['Patient/123']);
    assert.deepEqual(clinic.facts.patients, ['sources/clinic/Patient/123']);
    for (const record of [main, clinic]) {
      const derived = eventFacts(0, JSON.parse(record.canonical.toString('utf8')) as Record<string, unknown>);
      assert.deepEqual(derived.patients, record.facts.patients);
    }
  });
});
