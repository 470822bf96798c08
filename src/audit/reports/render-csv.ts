/**
 * A report as CSV (RFC 4180), for the people who will open it in a spreadsheet.
 *
 * - The first line is the header; there is no preamble, so every spreadsheet and CSV reader loads
 *   it as a table. The title, statement and checkpoint travel in a sibling manifest
 *   (`csvManifest`); the full evidence (canonical events and inclusion proofs) only in the JSON
 *   form, which is what `custos audit verify --report` checks.
 * - Header cells are the column KEYS (`date`, `recipient`…), not the titles: keys are stable and
 *   map back to `ReportRow.cells` unambiguously; the manifest pairs each key with its title.
 * - After the report's columns come `events` (the row's log indices), `leaf_hashes` (hex
 *   SHA-256(0x00 ‖ canonical event), RFC 9162 §2.1.1), `proofs` (each entry's audit path) and
 *   `checkpoint` (`treeSize:root`), so every row carries its inclusion proofs and the checkpoint.
 * - Lines end in CRLF; a field containing `,` `"` CR or LF is quoted, with `"` doubled (RFC 4180 §2).
 * - Formula injection (OWASP "CSV Injection"): a text cell starting with `=` `+` `-` `@` TAB or CR
 *   would be run as a formula by Excel, LibreOffice or Sheets, and row values come from requests
 *   (a client id, a break-glass reason) that an attacker can choose. Such a cell gets a leading
 *   `'`, which spreadsheets show as text. A text cell that itself starts with `'` gets one more, so
 *   `unguardCsvCell` undoes the guard exactly. Numbers are written as numbers, unguarded.
 *
 * `csvHeaderLine` and `csvRowLine` let a caller stream a large report line by line; `renderCsv` is
 * the same lines joined.
 */
import { CustosError } from '../../errors.js';
import { leafHash } from '../merkle.js';
import type { Report, ReportRow } from './report-model.js';

/** The evidence columns every CSV ends with, after the report's own. */
export const CSV_EVIDENCE_COLUMNS = ['events', 'leaf_hashes', 'proofs', 'checkpoint'] as const;

const CRLF = '\r\n';
/** Leading characters that make a spreadsheet evaluate a cell (OWASP), plus our own escape `'`. */
const FORMULA_START = /^[=+\-@\t\r']/;

/**
 * The header line (with its CRLF): the column keys, then the evidence every row carries: `events`
 * (log indices), `leaf_hashes`, `proofs` (each event's RFC 9162 audit path, hashes joined by `:`,
 * events by `;`) and `checkpoint` (`treeSize:root` of the anchored checkpoint the proofs lead to).
 */
export function csvHeaderLine(report: Report): string {
  const keys = [...report.header.columns.map((c) => c.key), ...CSV_EVIDENCE_COLUMNS];
  return keys.map((k) => csvField(guard(k))).join(',') + CRLF;
}

/**
 * One row's line (with its CRLF). Throws an INTERNAL CustosError if the row names an event that
 * is not in `report.evidence`: a report must never list a row whose evidence it does not carry.
 */
export function csvRowLine(report: Report, row: ReportRow): string {
  const hashes = leafHashesOf(report);
  const cells = report.header.columns.map((c) => cellText(row.cells[c.key]));
  const leaves = row.events.map((index) => {
    const hash = hashes.get(index);
    if (hash === undefined) throw new CustosError('INTERNAL', `The report row names log entry ${index}, but the report carries no evidence for it.`);
    return hash;
  });
  const proofs = proofsOf(report);
  const checkpoint = report.checkpoint ? `${report.checkpoint.treeSize}:${report.checkpoint.root}` : '';
  cells.push(row.events.join(';'), leaves.join(';'), row.events.map((index) => proofs.get(index) ?? '').join(';'), checkpoint);
  return cells.map(csvField).join(',') + CRLF;
}

/** The whole report as CSV: the header line and one line per row, each ending in CRLF. */
export function renderCsv(report: Report): string {
  let out = csvHeaderLine(report);
  for (const row of report.rows) out += csvRowLine(report, row);
  return out;
}

/**
 * What the CSV cannot say, as a small JSON document to ship beside it (`report.csv` +
 * `report.manifest.json`): title, statement, scope, the meaning of each column, and the checkpoint
 * the rows were proven against. It is a description, not evidence: verification needs the JSON form.
 */
export function csvManifest(report: Report): string {
  const manifest = {
    format: 'custos-report-csv/1',
    report: report.format,
    title: report.header.title,
    statement: report.header.statement,
    scope: report.scope,
    generatedAt: report.generatedAt,
    columns: [
      ...report.header.columns.map((c) => ({ key: c.key, title: c.title, ...(c.annotation ? { annotation: true } : {}) })),
      { key: 'events', title: 'Log entries (indices, ";"-separated)' },
      { key: 'leaf_hashes', title: 'Leaf hashes, hex SHA-256(0x00 ‖ canonical event) per log entry (RFC 9162 §2.1.1)' },
      { key: 'proofs', title: 'Inclusion proofs: each log entry\'s audit path (RFC 9162 §2.1.3), hashes joined by ":", entries by ";"' },
      { key: 'checkpoint', title: 'The anchored checkpoint the proofs lead to, "treeSize:root"' },
    ],
    rows: report.rows.length,
    checkpoint: report.checkpoint,
    provenEvents: report.checkpoint ? report.evidence.length : 0,
    unanchored: report.unanchored,
    formulaGuard: 'Text cells starting with = + - @ TAB CR or \' are prefixed with \' (remove one leading \' to read the value).',
    verify: 'The inclusion proofs are in the JSON form of this report: custos audit verify --report <file.json>',
  };
  return JSON.stringify(manifest, null, 2) + '\n';
}

/** Undoes the formula guard on one parsed cell: drops one leading `'` (see the module comment). */
export function unguardCsvCell(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}

/** A cell as text: numbers as JavaScript writes them (unguarded: `-3` is no formula), text guarded. */
function cellText(value: string | number | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'number' ? String(value) : guard(value);
}

function guard(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** RFC 4180 §2 rules 5–7: quote when needed, double the quotes inside. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Hex leaf hash per evidence index, computed once per report (a streaming caller asks per row).
 * A WeakMap keyed on the report object: it goes away with the report.
 */
const leafCache = new WeakMap<Report, Map<number, string>>();

const proofCache = new WeakMap<Report, Map<number, string>>();

function proofsOf(report: Report): Map<number, string> {
  let proofs = proofCache.get(report);
  if (!proofs) {
    proofs = new Map(report.evidence.map((e) => [e.index, e.proof.join(':')]));
    proofCache.set(report, proofs);
  }
  return proofs;
}

function leafHashesOf(report: Report): Map<number, string> {
  let hashes = leafCache.get(report);
  if (!hashes) {
    hashes = new Map(report.evidence.map((e) => [e.index, leafHash(Buffer.from(e.canonical, 'utf8')).toString('hex')]));
    leafCache.set(report, hashes);
  }
  return hashes;
}
