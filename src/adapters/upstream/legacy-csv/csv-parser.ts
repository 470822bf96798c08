/**
 * A small RFC 4180 parser (https://www.rfc-editor.org/rfc/rfc4180): comma-separated fields,
 * fields in double quotes may hold commas, line breaks and doubled quotes (`""` for `"`); records
 * end with CRLF (LF and a lone CR are accepted too, as legacy exports vary). Extras over the RFC,
 * all for files edited by hand or exported from spreadsheets: a leading UTF-8 byte order mark is
 * dropped and empty lines are skipped (so a blank trailing line is harmless).
 *
 * Errors carry the line number and a reason, never the text: the files hold patient data, and the
 * message ends up in logs.
 */

export interface CsvRecord {
  /** 1-based physical line on which the record starts. */
  readonly line: number;
  readonly fields: readonly string[];
}

export class CsvSyntaxError extends Error {
  override readonly name = 'CsvSyntaxError';

  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const end = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < end) {
    const start = line;
    const fields: string[] = [];
    let quotedAny = false;
    for (;;) {
      if (text.charCodeAt(i) === QUOTE) {
        quotedAny = true;
        const field = readQuoted(text, i, line);
        fields.push(field.value);
        i = field.next;
        line = field.line;
        const c = text.charCodeAt(i);
        if (i < end && c !== COMMA && c !== CR && c !== LF) {
          throw new CsvSyntaxError(line, 'text after a closing quote (a quote inside a quoted field must be doubled: "")');
        }
      } else {
        let j = i;
        for (; j < end; j++) {
          const c = text.charCodeAt(j);
          if (c === COMMA || c === CR || c === LF) break;
          if (c === QUOTE) throw new CsvSyntaxError(line, 'a quote inside an unquoted field (quote the whole field and double the quote)');
        }
        fields.push(text.slice(i, j));
        i = j;
      }
      if (i >= end) break;
      const c = text.charCodeAt(i++);
      if (c === COMMA) continue;
      if (c === CR && text.charCodeAt(i) === LF) i++;
      line++;
      break;
    }
    const blank = !quotedAny && fields.length === 1 && fields[0] === '';
    if (!blank) records.push({ line: start, fields });
  }
  return records;
}

/** Reads a quoted field whose opening quote is at `open`; returns the index after the closing quote. */
function readQuoted(text: string, open: number, line: number): { value: string; next: number; line: number } {
  const startLine = line;
  let value = '';
  let from = open + 1;
  for (;;) {
    const close = text.indexOf('"', from);
    if (close < 0) throw new CsvSyntaxError(startLine, 'a quoted field is never closed');
    line += countLineBreaks(text, from, close);
    if (text.charCodeAt(close + 1) === QUOTE) {
      value += text.slice(from, close + 1);
      from = close + 2;
      continue;
    }
    return { value: value + text.slice(from, close), next: close + 1, line };
  }
}

/** CRLF, LF and a lone CR each count once, as they end a record outside quotes. */
function countLineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c === LF || (c === CR && text.charCodeAt(k + 1) !== LF)) count++;
  }
  return count;
}
