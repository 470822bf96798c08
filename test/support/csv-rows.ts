/**
 * A CSV text as rows of cells, for tests that read back what the gateway wrote (report exports).
 * The one RFC 4180 parser the gateway has (the legacy CSV source's, tested there) reads it.
 */
import { parseCsv } from '../../src/adapters/upstream/legacy-csv/csv-parser.js';

export function csvRows(text: string): string[][] {
  return parseCsv(text).map((record) => [...record.fields]);
}
