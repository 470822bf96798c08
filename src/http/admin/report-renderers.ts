/**
 * The report formats beyond JSON (src/audit/reports/render-*.ts), as the report routes use them.
 * JSON is the verifiable form; CSV is for spreadsheets, PDF for people, the Bundle for FHIR tools.
 */
import { renderBundle } from '../../audit/reports/render-bundle.js';
import { renderCsv } from '../../audit/reports/render-csv.js';
import { renderPdf } from '../../audit/reports/render-pdf.js';
import type { ReportFormat, ReportRenderer } from './report-routes.js';

export const reportRenderers: Partial<Record<ReportFormat, ReportRenderer>> = {
  csv: async (report) => ({ contentType: 'text/csv; charset=utf-8', extension: 'csv', body: Buffer.from(renderCsv(report)) }),
  pdf: async (report) => ({ contentType: 'application/pdf', extension: 'pdf', body: await renderPdf(report) }),
  bundle: async (report) => ({ contentType: 'application/fhir+json', extension: 'bundle.json', body: Buffer.from(JSON.stringify(renderBundle(report))) }),
};
