/**
 * JSON Schema pieces the admin API bodies share (audit search, reports), so a patient reference or
 * a date is accepted by the same rule everywhere.
 */

/** An ISO 8601 date or date-time (FHIR dateTime without partial years). */
export const DATE_TIME = '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2}))?$';

/** Who and when: the criteria every audit query and report takes. */
export const WHO_AND_WHEN = {
  patient: { type: 'string', pattern: '^(sources/[a-z0-9][a-z0-9-]{0,39}/)?Patient/[A-Za-z0-9\\-.]{1,64}$' },
  actor: { type: 'string', minLength: 1, maxLength: 256 },
  from: { type: 'string', pattern: DATE_TIME },
  to: { type: 'string', pattern: DATE_TIME },
} as const;
