/**
 * The report formats beyond JSON (src/audit/reports/render-*.ts), as the report routes use them.
 */
import type { ReportFormat, ReportRenderer } from './report-routes.js';

export const reportRenderers: Partial<Record<ReportFormat, ReportRenderer>> = {};
