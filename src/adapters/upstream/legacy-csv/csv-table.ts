/**
 * A CSV file read as a table: the first record names the columns (trimmed, case-insensitive),
 * every other record must have exactly as many fields. Columns the adapter does not know are
 * ignored, so a legacy export with extra columns needs no editing; a missing required column stops
 * the source at start.
 *
 * Every error names `file:line` and the column, never a value (the files hold patient data).
 */
import { CustosError } from '../../../errors.js';
import { CsvSyntaxError, parseCsv } from './csv-parser.js';

export interface TableRow {
  readonly line: number;
  /** The field of a declared column, trimmed; '' when the column is optional and absent. */
  get(column: string): string;
}

export interface TableSpec {
  readonly required: readonly string[];
  readonly optional?: readonly string[];
}

export function readTable(file: string, text: string, spec: TableSpec): TableRow[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw dataError(file, error.line, error.reason);
    throw error;
  }
  const [header, ...rows] = records;
  if (!header) throw dataError(file, 1, `the file is empty; it needs a header row (${spec.required.join(', ')})`);

  const index = new Map<string, number>();
  header.fields.forEach((name, position) => {
    const key = name.trim().toLowerCase();
    if (index.has(key)) throw dataError(file, header.line, `column "${key}" appears twice in the header`);
    index.set(key, position);
  });
  const missing = spec.required.filter((column) => !index.has(column));
  if (missing.length) throw dataError(file, header.line, `the header lacks column(s) ${missing.join(', ')}`);

  const declared = new Set([...spec.required, ...(spec.optional ?? [])]);
  const width = header.fields.length;
  return rows.map((record) => {
    if (record.fields.length !== width) {
      throw dataError(file, record.line, `${record.fields.length} fields where the header has ${width} (a comma inside a value must be quoted)`);
    }
    return {
      line: record.line,
      get(column: string): string {
        // A typo in the adapter would otherwise read as an always-empty optional column.
        if (!declared.has(column)) throw new Error(`column "${column}" is not declared in the table spec`);
        const position = index.get(column);
        return position === undefined ? '' : (record.fields[position] ?? '').trim();
      },
    };
  });
}

/** A start-up error about one place in a data file. */
export function dataError(file: string, line: number, reason: string): CustosError {
  return new CustosError('CONFIG_INVALID', `${file}:${line}: ${reason}`);
}
