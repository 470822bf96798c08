/**
 * OperationOutcome construction (https://hl7.org/fhir/R4/operationoutcome.html).
 * Issue codes come from https://hl7.org/fhir/R4/valueset-issue-type.html.
 */
import type { OperationOutcome } from 'fhir/r4.js';

export type IssueType =
  | 'invalid' | 'structure' | 'required' | 'value' | 'security' | 'login' | 'forbidden' | 'processing'
  | 'not-supported' | 'not-found' | 'deleted' | 'too-long' | 'too-costly' | 'exception' | 'timeout'
  | 'transient' | 'throttled' | 'conflict' | 'incomplete' | 'informational';

export function operationOutcome(
  severity: 'fatal' | 'error' | 'warning' | 'information',
  code: IssueType,
  text: string,
  extra: { diagnostics?: string; expression?: string[] } = {},
): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity, code, details: { text }, ...extra }],
  };
}
