/**
 * The OperationOutcome for a failed resource validation (https://hl7.org/fhir/R4/operationoutcome.html).
 *
 * Each issue carries the FHIRPath in `expression` (R4) and again in `location`, which R4 marks
 * deprecated but which clients written against STU3 still read. `details.text` and `diagnostics`
 * both hold the message: `details.text` is what R4 asks user-facing software to show,
 * `diagnostics` is what many clients log.
 */
import type { OperationOutcome } from 'fhir/r4.js';
import { CustosError } from '../errors.js';
import type { ValidationIssue } from './validation-issues.js';

/** A write refused because its resource is invalid: the answer is this OperationOutcome, one issue per element. */
export class InvalidResourceError extends CustosError {
  readonly outcome: OperationOutcome;
  constructor(issues: readonly ValidationIssue[]) {
    super('INVALID_RESOURCE', `the resource is not valid FHIR R4: ${issues[0]?.expression ?? 'resource'}: ${issues[0]?.message ?? 'invalid'}${issues.length > 1 ? ` (and ${issues.length - 1} more issues)` : ''}`);
    this.outcome = validationOutcome(issues);
  }
}

export function validationOutcome(issues: readonly ValidationIssue[]): OperationOutcome {
  if (issues.length === 0) {
    return {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'information', code: 'informational', details: { text: 'The resource is valid against the FHIR R4 schema' } }],
    };
  }
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((issue) => ({
      severity: issue.severity,
      code: issue.code,
      details: { text: issue.message },
      diagnostics: issue.message,
      expression: [issue.expression],
      location: [issue.expression],
    })),
  };
}
