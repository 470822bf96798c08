/**
 * A compliance report as data: what it covers, its rows, and the evidence that lets anyone check it
 * against the chain without the gateway's database (`custos audit verify --report FILE`).
 *
 * Rows are DERIVED from the report's events by a pure, deterministic function (`report-rows.ts`),
 * so a verifier recomputes them from the evidence: a row edited in the file no longer matches, an
 * event edited no longer hashes to its leaf, a leaf left out of the log fails its inclusion proof,
 * and the checkpoint's root is read from the chain, not from the file.
 *
 * Every renderer (JSON, CSV, PDF, FHIR Bundle) starts from this model.
 */

export type ReportKind = 'disclosures' | 'access' | 'actor-activity' | 'subject-access' | 'break-glass' | 'denied';

export const REPORT_KINDS: readonly ReportKind[] = ['disclosures', 'access', 'actor-activity', 'subject-access', 'break-glass', 'denied'];

/** What the report was asked for. */
export interface ReportScope {
  readonly kind: ReportKind;
  /** `Patient/123` for patient reports (disclosures, access, subject-access). */
  readonly patient?: string;
  /**
   * The same person's references at the other sources (`sources/clinic/Patient/b-7`), when the
   * gateway derives consent from an identifier shared across sources: the report covers them all.
   */
  readonly alsoKnownAs?: readonly string[];
  /** A user (`Practitioner/x`) or client id for actor-activity. */
  readonly actor?: string;
  /** ISO 8601 instants, [from, to). */
  readonly from: string;
  readonly to: string;
  /** Disclosures: include treatment, payment and operations (exempt from the accounting by rule). */
  readonly includeExempt?: boolean;
  /** Break-glass review: show patient references instead of pseudonyms. */
  readonly showNames?: boolean;
}

/** One line of a report: plain strings and numbers, in the order of `ReportHeader.columns`. */
export interface ReportRow {
  readonly cells: Readonly<Record<string, string | number>>;
  /** The log indices of the events this row summarises (its evidence). */
  readonly events: readonly number[];
}

export interface ReportColumn {
  readonly key: string;
  readonly title: string;
  /**
   * Not derived from the events alone (a name resolved from the FHIR server, a keyed pseudonym):
   * shown, but not re-derived by a verifier, which checks every other column.
   */
  readonly annotation?: boolean;
}

export interface ReportHeader {
  readonly title: string;
  /** One or two sentences saying what is in and what is out (e.g. the TPO exemption). */
  readonly statement: string;
  readonly columns: readonly ReportColumn[];
}

/** The checkpoint every proof in the report is checked against. */
export interface ReportCheckpoint {
  readonly chainId: number;
  readonly contract: string;
  readonly treeSize: number;
  readonly root: string;
  readonly transactionHash: string;
  readonly blockNumber: number;
}

/** One event's evidence: its canonical bytes (as a string), where it sits, and the path to the root. */
export interface EventEvidence {
  readonly index: number;
  readonly canonical: string;
  /** Hex SHA-256 audit path, RFC 9162 §2.1.3, for (index, checkpoint.treeSize). */
  readonly proof: readonly string[];
}

export interface Report {
  readonly format: 'custos-report/1';
  readonly scope: ReportScope;
  readonly header: ReportHeader;
  readonly generatedAt: string;
  readonly rows: readonly ReportRow[];
  /**
   * Null when no event in scope is anchored yet (the report then proves nothing: it says so).
   * Events newer than the checkpoint are left out of the rows and counted in `unanchored`.
   */
  readonly checkpoint: ReportCheckpoint | null;
  readonly evidence: readonly EventEvidence[];
  /** Events in scope that no anchored checkpoint covers yet (not in the rows). */
  readonly unanchored: number;
}

/** Every reference a patient report covers: the patient, and the same person at other sources. */
export function personReferences(scope: ReportScope): ReadonlySet<string> {
  return new Set([scope.patient ?? '', ...(scope.alsoKnownAs ?? [])]);
}
