/**
 * The PDF form, read back as text: a person finds the title, the scope, every row and a
 * verification statement naming the checkpoint and the command; long tables break over pages
 * with the header repeated and "Page X of Y"; text the built-in font cannot show never crashes it.
 *
 * Text is extracted two ways. `streamText` inflates pdfkit's content streams (zlib) and decodes
 * the hex strings of each TJ operator (one per line of text, WinAnsi): no system tool, so it
 * runs on any machine. The same assertions also run on poppler's `pdftotext` output, a real PDF
 * reader's view (`.ci/run` installs poppler-utils; without it those tests fail and say so).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { pdfSafeText, renderPdf, VERIFY_COMMAND } from '../../../src/audit/reports/render-pdf.js';
import type { Report } from '../../../src/audit/reports/report-model.js';
import { fixtureReport, longReport, ROWS } from './report-fixture.js';

const winAnsi = new TextDecoder('windows-1252');

/** The text of every TJ operator in every Flate content stream, one line per operator. */
function streamText(pdf: Buffer): string {
  const lines: string[] = [];
  const raw = pdf.toString('latin1');
  for (const m of raw.matchAll(/stream\r?\n/g)) {
    const start = m.index + m[0].length;
    const end = raw.indexOf('endstream', start);
    let content: string;
    try {
      content = inflateSync(pdf.subarray(start, end)).toString('latin1');
    } catch {
      continue; // not a Flate stream (e.g. font metrics): no text in it
    }
    for (const tj of content.matchAll(/\[((?:<[0-9a-fA-F]*>|[^\]])*)\]\s*TJ/g)) {
      const hex = [...tj[1]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1]).join('');
      lines.push(winAnsi.decode(Buffer.from(hex, 'hex')));
    }
  }
  return lines.join('\n');
}

function popplerText(pdf: Buffer): string {
  const out = spawnSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: pdf });
  assert.ok(!out.error, 'pdftotext is not installed: apt-get install -y poppler-utils (.ci/run does)');
  assert.equal(out.status, 0, out.stderr?.toString());
  return out.stdout.toString('utf8');
}

/** Lines joined and white space collapsed, so a phrase wrapped over two lines is still found. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

const pageCount = (pdf: Buffer) => pdf.toString('latin1').match(/\/Type \/Page\b/g)!.length;

const extractors = [
  { name: 'content streams (zlib)', text: streamText },
  { name: 'pdftotext', text: popplerText },
] as const;

for (const { name, text: extract } of extractors) {
  describe(`renderPdf, read back through ${name}`, () => {
    const read = async (report: Report) => {
      const pdf = await renderPdf(report);
      return { pdf, text: flat(extract(pdf)) };
    };

    it('is a PDF whose text has the title, the scope and the statement', async () => {
      const { pdf, text } = await read(fixtureReport());
      assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
      assert.match(pdf.subarray(-8).toString('latin1'), /%%EOF\s*$/);
      assert.ok(text.includes('Accounting of disclosures'));
      assert.ok(text.includes('Patient/pat-1'));
      assert.ok(text.includes('from 2026-01-01T00:00:00.000Z up to (not including) 2026-04-01T00:00:00.000Z'));
      assert.ok(text.includes('disclosures for treatment, payment and health care operations (TPO)'));
      assert.ok(text.includes(flat(fixtureReport().header.statement)));
      assert.ok(text.includes('Columns marked * (names, pseudonyms) come from outside the audit log'));
    });

    it('shows the column titles and the rows\' values, unguarded (a PDF runs no formulas)', async () => {
      const { text } = await read(fixtureReport());
      for (const title of ['Date', 'Recipient', 'Recipient name *', 'Information disclosed', 'Purpose', 'Log entries']) assert.ok(text.includes(title), title);
      for (const value of ['2026-01-06T08:00:00.000Z', 'Practitioner/prac-01', 'St. Mary\'s, "North" Clinic', '@SUM(A1:A9)', '-2+3', 'HRESCH', '3, 4']) {
        assert.ok(text.includes(value), value);
      }
      // The long cell wraps over several lines but loses nothing.
      assert.ok(text.includes(flat(ROWS[2]!.cells['description'] as string)));
    });

    it('ends with the verification statement: checkpoint, proven and unanchored counts, the command', async () => {
      const { text } = await read(fixtureReport());
      const c = fixtureReport().checkpoint!;
      const verification = text.slice(text.indexOf('Verification'));
      assert.ok(text.indexOf('Verification') > text.indexOf('HRESCH'), 'after the table');
      assert.ok(verification.includes('The rows of this report rest on 4 audit log entries.'));
      // Labels and values separately: pdftotext reads the label column before the value column.
      for (const fact of ['Chain id:', 'Contract:', 'Tree size:', 'Root:', 'Transaction:', 'Block:', `${c.chainId}`, c.contract, `${c.treeSize} entries`, c.root, c.transactionHash, `${c.blockNumber}`]) {
        assert.ok(verification.includes(fact), fact);
      }
      assert.ok(verification.includes('2 events in scope were recorded after this checkpoint and are not yet anchored'));
      assert.ok(verification.includes(VERIFY_COMMAND));
      assert.equal(VERIFY_COMMAND, 'custos audit verify --report <file.json>');
    });

    it('says an unanchored report proves nothing, and shows an empty table', async () => {
      const { text } = await read(fixtureReport({ checkpoint: null, rows: [], evidence: [], unanchored: 1 }));
      assert.ok(text.includes('No events in scope.'));
      assert.ok(text.includes('so it proves nothing yet. 1 event in scope awaits anchoring'));
      assert.ok(!text.includes('Chain id'));
      assert.ok(text.includes(VERIFY_COMMAND));
    });

    it('replaces what Helvetica cannot show, and says so', async () => {
      const { text } = await read(fixtureReport());
      assert.ok(text.includes('Dr. Zoë Lukasz-?? ?'));
      assert.ok(text.includes('Notfall, ??? (ER)'));
      assert.ok(text.includes('Some characters cannot be shown with this PDF\'s built-in font'));
    });

    it('breaks a long table over pages, repeating the header, numbered "Page X of Y"', async () => {
      const { pdf, text } = await read(longReport(60));
      const pages = pageCount(pdf);
      assert.ok(pages >= 3, `${pages} pages`);
      for (let i = 1; i <= pages; i++) assert.ok(text.includes(`Page ${i} of ${pages}`), `page ${i}`);
      assert.equal(text.includes(`Page ${pages + 1} of`), false);
      const headers = text.split('Information disclosed').length - 1;
      assert.ok(headers >= pages - 1, `${headers} table headers on ${pages} pages`);
      for (const n of [1, 30, 60]) assert.ok(new RegExp(`HRESCH ${n} 1 |TREAT ${n} 6 |ER\\) ${n} 3, 4 `).test(text), `row ${n}`);
    });
  });
}

describe('renderPdf, edge cases', () => {
  it('clips a cell taller than a page instead of looping or overflowing, and still finishes', async () => {
    const huge = { ...ROWS[0]!, cells: { ...ROWS[0]!.cells, description: 'word '.repeat(8000), recipient: 'x'.repeat(5000) } };
    const pdf = await renderPdf(fixtureReport({ rows: [huge, ROWS[1]!] }));
    const pages = pageCount(pdf);
    assert.ok(pages <= 4, `${pages} pages`); // table and verification in 3, the evidence appendix on its own
    const text = flat(streamText(pdf));
    assert.ok(text.includes(`Page ${pages} of ${pages}`));
    assert.ok(text.includes('Some cells are too long for a page and are cut short'));
    // The table header moved to the page of its first row: page 1 holds no header without a row.
    assert.ok(text.indexOf('Information disclosed') > text.indexOf('Page 1 of'));
  });
});

describe('pdfSafeText', () => {
  it('keeps WinAnsi text (Latin-1 and the typographic extras) as it is', () => {
    assert.deepEqual(pdfSafeText('Zoë Müller, 12 € “quoted” – ok…'), { text: 'Zoë Müller, 12 € “quoted” – ok…', replaced: false });
  });

  it('drops accents it cannot encode, maps a few letters, and puts one ? per other code point', () => {
    assert.deepEqual(pdfSafeText('Łódź Őry'), { text: 'Lódz Ory', replaced: true });
    assert.deepEqual(pdfSafeText('山田 😀 a−b'), { text: '?? ? a-b', replaced: true });
  });

  it('turns control characters other than line feed into spaces', () => {
    assert.equal(pdfSafeText('a\tb\r\nc\u0007d').text, 'a b \nc d');
  });
});
