/**
 * A report as a PDF for a person to read: a patient receiving their accounting of disclosures, a
 * privacy officer filing a break-glass review. Title, scope and statement first, then the rows as
 * a table (long cells wrap, the header repeats on every page, "Page X of Y" in the footer), then a
 * verification statement saying which on-chain checkpoint proves the rows, how much is not yet
 * anchored, and the command that checks the JSON form. The PDF is a rendering, not evidence: the
 * proofs live in the JSON form.
 *
 * Only PDF's built-in Helvetica and Courier are used (no font files to ship). They encode
 * WinAnsi (Latin-1 plus a few typographic characters); pdfkit would write any other character as
 * garbage, so `pdfSafeText` turns accented letters into their base letter and anything else into
 * `?`, and the PDF then says so. Layout is A4 landscape, so that reports of eight or nine columns
 * stay readable.
 */
import PDFDocument from 'pdfkit';
import { leafHash } from '../merkle.js';
import type { Report, ReportCheckpoint, ReportRow } from './report-model.js';

/** The command that verifies a report's JSON form (printed in every PDF). */
export const VERIFY_COMMAND = 'custos audit verify --report <file.json>';

type Doc = PDFKit.PDFDocument;

const MARGIN = 40;
const FOOTER_GAP = 26;
const CELL_PAD = 3;
const CELL_SIZE = 8;
const MIN_COLUMN = 42;
const SHOWN_EVENTS = 5;
/** Proofs printed in the PDF's evidence appendix; beyond, the JSON form carries them. */
const EVIDENCE_SHOWN = 300;

/** The report as a PDF document (A4 landscape, built-in fonts). */
export async function renderPdf(report: Report): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margins: { top: MARGIN, left: MARGIN, right: MARGIN, bottom: MARGIN + FOOTER_GAP },
    bufferPages: true,
    info: { Title: pdfSafeText(report.header.title).text, Author: 'Custos', Subject: `Custos ${report.scope.kind} report` },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const writer = new Writer(doc);
  writer.preamble(report);
  writer.table(report);
  writer.verification(report);
  writer.evidence(report);
  writer.footers(report);
  doc.end();
  return done;
}

/**
 * Text that Helvetica's WinAnsi encoding can show: characters outside it are decomposed (NFKD)
 * and stripped of combining marks when that leaves encodable text (é → e, ő → o), mapped by a
 * short table (Ł → L, − → -), else replaced by `?` (one per code point). Control characters other
 * than line feed become spaces. `replaced` says whether anything was changed that way.
 */
export function pdfSafeText(input: string): { text: string; replaced: boolean } {
  let text = '';
  let replaced = false;
  for (const ch of input) {
    if (encodable(ch)) { text += ch; continue; }
    if (ch === '\n') { text += ch; continue; }
    if (ch === '\t' || ch === '\r' || /\p{Cc}/u.test(ch)) { text += ' '; continue; }
    const mapped = FALLBACK[ch] ?? ch.normalize('NFKD').replace(/\p{M}/gu, '');
    const ok = mapped !== '' && [...mapped].every(encodable);
    text += ok ? mapped : '?';
    replaced = true;
  }
  return { text, replaced };
}

/** WinAnsi beyond Latin-1 (the 0x80–0x9F range of Windows-1252), as pdfkit's AFM fonts map it. */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
const FALLBACK: Readonly<Record<string, string>> = {
  'Ł': 'L', 'ł': 'l', 'Đ': 'D', 'đ': 'd', 'Ħ': 'H', 'ħ': 'h', 'ı': 'i', 'Ŋ': 'N', 'ŋ': 'n', 'ſ': 's',
  '−': '-', '‐': '-', '‑': '-', '→': '->', '←': '<-', '≤': '<=', '≥': '>=', '≠': '!=', '×': 'x', '‖': '||',
};

function encodable(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  return (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || WIN_ANSI_EXTRA.has(ch);
}

/** Writes one report into one document; remembers whether any text had to be replaced. */
class Writer {
  #replaced = false;
  #clipped = false;

  constructor(readonly doc: Doc) {}

  /** Sanitised text; notes any replacement for the closing remark. */
  t(value: string | number | undefined): string {
    const safe = pdfSafeText(value === undefined ? '' : String(value));
    if (safe.replaced) this.#replaced = true;
    return safe.text;
  }

  get width(): number {
    return this.doc.page.width - MARGIN * 2;
  }

  preamble(report: Report): void {
    const { doc } = this;
    const { scope } = report;
    doc.font('Helvetica-Bold').fontSize(18).text(this.t(report.header.title), MARGIN, MARGIN, { width: this.width });
    doc.font('Helvetica').fontSize(9).fillColor('#555555').text(this.t(`Generated ${report.generatedAt} by Custos (report format ${report.format})`));
    doc.fillColor('black').moveDown(0.8);
    const facts: [string, string][] = [['Report', scope.kind]];
    if (scope.patient !== undefined) facts.push(['Patient', scope.patient]);
    if (scope.actor !== undefined) facts.push(['Actor', scope.actor]);
    facts.push(['Period', `from ${scope.from} up to (not including) ${scope.to}`]);
    if (scope.includeExempt) facts.push(['Included', 'disclosures for treatment, payment and health care operations (TPO)']);
    if (scope.showNames) facts.push(['Patients', 'shown by reference, not by pseudonym']);
    facts.push(['Rows', `${report.rows.length}`]);
    for (const [label, value] of facts) this.fact(label, value);
    doc.moveDown(0.5).font('Helvetica').fontSize(10).text(this.t(report.header.statement), MARGIN, doc.y, { width: this.width });
    if (report.header.columns.some((c) => c.annotation)) {
      doc.moveDown(0.3).fontSize(8.5).fillColor('#555555')
        .text('Columns marked * (names, pseudonyms) come from outside the audit log: they are shown, but verification does not check them.', { width: this.width });
      doc.fillColor('black');
    }
    doc.moveDown(1);
  }

  /** A "Label: value" line; Courier is nudged down to share Helvetica's baseline (ascender 629 vs 718). */
  fact(label: string, value: string, font = 'Helvetica'): void {
    const { doc } = this;
    const y = doc.y;
    doc.font('Helvetica-Bold').fontSize(10).text(`${label}:`, MARGIN, y, { width: 90 });
    const below = doc.y;
    doc.font(font).text(this.t(value), MARGIN + 95, font === 'Courier' ? y + 0.9 : y, { width: this.width - 95 });
    doc.y = Math.max(below, doc.y);
  }

  table(report: Report): void {
    const { doc } = this;
    const titles = [...report.header.columns.map((c) => this.t(c.title) + (c.annotation ? ' *' : '')), 'Log entries'];
    const body = report.rows.map((row) => [...report.header.columns.map((c) => this.t(row.cells[c.key])), eventsText(row)]);
    const widths = this.columnWidths(titles, body);
    const bottom = () => doc.page.height - doc.page.margins.bottom;
    const maxCell = bottom() - MARGIN - 40;
    const rowHeight = (cells: readonly string[]) => {
      doc.font('Helvetica').fontSize(CELL_SIZE);
      const needed = Math.max(...cells.map((c, i) => doc.heightOfString(c, { width: widths[i]! - 2 * CELL_PAD })));
      if (needed > maxCell) this.#clipped = true;
      return Math.min(maxCell, needed) + 2 * CELL_PAD;
    };

    // No header alone at the foot of a page: it moves with the first row.
    let y = doc.y;
    if (y + this.headerHeight(titles, widths) + (body[0] ? rowHeight(body[0]) : 20) > bottom()) {
      doc.addPage();
      y = MARGIN;
    }
    y = this.header(titles, widths, y);
    if (body.length === 0) {
      doc.font('Helvetica-Oblique').fontSize(CELL_SIZE + 1).text('No events in scope.', MARGIN + CELL_PAD, y + CELL_PAD);
      doc.y = y + 20;
      return;
    }
    body.forEach((cells, r) => {
      const height = rowHeight(cells);
      if (y + height > bottom()) {
        doc.addPage();
        y = this.header(titles, widths, MARGIN);
        doc.font('Helvetica').fontSize(CELL_SIZE);
      }
      if (r % 2 === 1) doc.rect(MARGIN, y, this.width, height).fill('#f3f3f3').fillColor('black');
      let x = MARGIN;
      cells.forEach((c, i) => {
        doc.text(c, x + CELL_PAD, y + CELL_PAD, { width: widths[i]! - 2 * CELL_PAD, height: height - 2 * CELL_PAD + 1, ellipsis: true });
        x += widths[i]!;
      });
      y += height;
    });
    doc.moveTo(MARGIN, y).lineTo(MARGIN + this.width, y).lineWidth(0.5).strokeColor('#999999').stroke();
    doc.x = MARGIN;
    doc.y = y + 14;
  }

  headerHeight(titles: readonly string[], widths: readonly number[]): number {
    this.doc.font('Helvetica-Bold').fontSize(CELL_SIZE);
    return Math.max(...titles.map((t, i) => this.doc.heightOfString(t, { width: widths[i]! - 2 * CELL_PAD }))) + 2 * CELL_PAD;
  }

  /** Draws the table header at `y` and returns where the first row goes. */
  header(titles: readonly string[], widths: readonly number[], y: number): number {
    const { doc } = this;
    const height = this.headerHeight(titles, widths);
    doc.rect(MARGIN, y, this.width, height).fill('#dde3ea').fillColor('black');
    let x = MARGIN;
    titles.forEach((t, i) => {
      doc.text(t, x + CELL_PAD, y + CELL_PAD, { width: widths[i]! - 2 * CELL_PAD });
      x += widths[i]!;
    });
    return y + height;
  }

  /**
   * Water-filling: every column asks for its natural width (its widest line, measured on at most
   * 300 characters a cell); columns that need less than a fair share of what is left get what they
   * need, the rest share the remainder equally, and spare width is spread in proportion.
   */
  columnWidths(titles: readonly string[], body: readonly string[][]): number[] {
    const { doc } = this;
    const natural = titles.map((title, i) => {
      doc.font('Helvetica-Bold').fontSize(CELL_SIZE);
      let w = Math.max(...title.split(/\s+/).map((word) => doc.widthOfString(word)));
      doc.font('Helvetica');
      for (const cells of body) w = Math.max(w, ...cells[i]!.slice(0, 300).split('\n').map((line) => doc.widthOfString(line)));
      return Math.max(MIN_COLUMN, w + 2 * CELL_PAD + 1);
    });
    const widths = new Array<number>(natural.length).fill(0);
    let left = this.width;
    const order = natural.map((w, i) => [w, i] as const).sort((a, b) => a[0] - b[0]);
    order.forEach(([w, i], k) => {
      widths[i] = Math.min(w, left / (order.length - k));
      left -= widths[i]!;
    });
    const total = widths.reduce((a, b) => a + b, 0);
    return widths.map((w) => (w * this.width) / total);
  }

  verification(report: Report): void {
    const { doc } = this;
    const { checkpoint, unanchored } = report;
    if (doc.y > doc.page.height - doc.page.margins.bottom - 160) doc.addPage();
    doc.x = MARGIN;
    doc.font('Helvetica-Bold').fontSize(13).text('Verification', MARGIN, doc.y, { width: this.width });
    doc.moveDown(0.4).font('Helvetica').fontSize(10);
    const later = unanchored === 0 ? 'Every event in scope is covered by this checkpoint.'
      : `${plural(unanchored, 'event')} in scope ${unanchored === 1 ? 'was' : 'were'} recorded after this checkpoint and ${unanchored === 1 ? 'is' : 'are'} not yet anchored: not in the rows above. A later report will include them.`;
    if (checkpoint) {
      doc.text(report.evidence.length === 0
        ? 'This report lists no events up to this checkpoint anchored on chain:'
        : `The rows of this report rest on ${plural(report.evidence.length, 'audit log entry', 'audit log entries')}. `
          + 'Each is proven to be in the Custos audit log by an RFC 9162 inclusion proof, carried in the JSON form of this report, against this checkpoint anchored on chain:', { width: this.width });
      doc.moveDown(0.4);
      for (const [label, value] of checkpointFacts(checkpoint)) this.fact(label, value, label === 'Root' || label === 'Transaction' || label === 'Contract' ? 'Courier' : 'Helvetica');
      doc.moveDown(0.4).font('Helvetica').fontSize(10).text(later, MARGIN, doc.y, { width: this.width });
    } else {
      doc.text(`No event in scope was anchored on chain when this report was generated, so it proves nothing yet. ${plural(unanchored, 'event')} in scope await${unanchored === 1 ? 's' : ''} anchoring; generate the report again after the next checkpoint.`, { width: this.width });
    }
    doc.moveDown(0.6).text('To verify, take the JSON form of this report and run:', { width: this.width });
    doc.moveDown(0.3).font('Courier').fontSize(10).text(VERIFY_COMMAND, MARGIN + 20, doc.y, { width: this.width - 20 });
    doc.moveDown(0.3).font('Helvetica').fontSize(10).text(
      'It reads the checkpoint from the chain (not from the file), checks that every event hashes to a leaf whose proof leads to the anchored root, and recomputes every row from those events. This PDF is a rendering for reading, not evidence.',
      MARGIN, doc.y, { width: this.width });
    const remarks = [
      ...(this.#replaced ? ['Some characters cannot be shown with this PDF\'s built-in font and are printed as "?" or without accents; the JSON and CSV forms hold the exact text.'] : []),
      ...(this.#clipped ? ['Some cells are too long for a page and are cut short (…); the JSON and CSV forms hold them in full.'] : []),
    ];
    for (const remark of remarks) {
      doc.moveDown(0.4).fontSize(8.5).fillColor('#555555').text(remark, MARGIN, doc.y, { width: this.width });
    }
    doc.fillColor('black');
  }

  /**
   * The evidence attached: each log entry's leaf hash and RFC 9162 audit path to the checkpoint's
   * root (the first EVIDENCE_SHOWN entries; the JSON form carries them all, with the events).
   */
  evidence(report: Report): void {
    const { doc } = this;
    if (!report.checkpoint || report.evidence.length === 0) return;
    doc.addPage();
    doc.font('Helvetica-Bold').fontSize(13).text('Evidence: inclusion proofs', MARGIN, doc.y, { width: this.width });
    doc.moveDown(0.3).font('Helvetica').fontSize(9).text(`For each log entry: its leaf hash (SHA-256 of 0x00 and the canonical AuditEvent) and the audit path to the root of tree size ${report.checkpoint.treeSize}.`, { width: this.width });
    doc.moveDown(0.4);
    const shown = report.evidence.slice(0, EVIDENCE_SHOWN);
    for (const e of shown) {
      const leaf = leafHash(Buffer.from(e.canonical, 'utf8')).toString('hex');
      doc.font('Helvetica-Bold').fontSize(8).text(`Log entry ${e.index}`, MARGIN, doc.y, { width: this.width });
      doc.font('Courier').fontSize(7).text(`leaf ${leaf}\npath ${e.proof.length === 0 ? '(none: the tree has one leaf)' : e.proof.join(' ')}`, MARGIN + 12, doc.y, { width: this.width - 12 });
      doc.moveDown(0.2);
    }
    if (report.evidence.length > shown.length) {
      doc.font('Helvetica').fontSize(9).text(`${report.evidence.length - shown.length} more entries are in the JSON form of this report.`, MARGIN, doc.y, { width: this.width });
    }
  }

  /** "Page X of Y" and the title on every page; the bottom margin is lifted so no page is added. */
  footers(report: Report): void {
    const { doc } = this;
    const range = doc.bufferedPageRange();
    const left = this.t(`${report.header.title} · ${report.scope.patient ?? report.scope.actor ?? report.scope.kind} · generated ${report.generatedAt}`);
    for (let i = range.start; i < range.start + range.count; i++) {
      doc.switchToPage(i);
      const saved = doc.page.margins.bottom;
      doc.page.margins.bottom = 0;
      const y = doc.page.height - MARGIN;
      doc.font('Helvetica').fontSize(8).fillColor('#555555');
      doc.text(left, MARGIN, y, { width: this.width * 0.75, lineBreak: false, height: 10, ellipsis: true });
      doc.text(`Page ${i - range.start + 1} of ${range.count}`, MARGIN, y, { width: this.width, align: 'right', lineBreak: false });
      doc.page.margins.bottom = saved;
    }
    doc.fillColor('black');
  }
}

function checkpointFacts(c: ReportCheckpoint): [string, string][] {
  return [['Chain id', String(c.chainId)], ['Contract', c.contract], ['Tree size', `${c.treeSize} entries`], ['Root', c.root], ['Transaction', c.transactionHash], ['Block', String(c.blockNumber)]];
}

/** A row's log indices, shortened when there are many (the JSON and CSV forms list them all). */
function eventsText(row: ReportRow): string {
  const { events } = row;
  if (events.length <= SHOWN_EVENTS + 1) return events.join(', ');
  return `${events.slice(0, SHOWN_EVENTS).join(', ')} … (+${events.length - SHOWN_EVENTS} more)`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
