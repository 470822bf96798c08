/**
 * Validates admin API bodies against JSON Schemas with ajv, turning every failure into one
 * INVALID_REQUEST whose message lists each bad field and what it must be.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { CustosError } from '../../errors.js';

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new WeakMap<object, ValidateFunction>();

export function validateBody<T>(schema: object, body: unknown): T {
  let check = compiled.get(schema);
  if (!check) {
    check = ajv.compile(schema);
    compiled.set(schema, check);
  }
  if (check(body)) return body as T;
  const problems = (check.errors ?? []).filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'if').map(describe);
  throw new CustosError('INVALID_REQUEST', `the request body is invalid: ${[...new Set(problems)].join('; ')}`);
}

function describe(error: ErrorObject): string {
  const field = error.instancePath.split('/').filter(Boolean).join('.') || 'body';
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${field === 'body' ? '' : field + '.'}${String(params['missingProperty'])} is required`;
    case 'additionalProperties':
      return `${String(params['additionalProperty'])} is not a known field${field === 'body' ? '' : ' of ' + field}`;
    case 'enum':
      return `${field} must be one of ${(params['allowedValues'] as unknown[]).slice(0, 12).join(', ')}${(params['allowedValues'] as unknown[]).length > 12 ? ', ...' : ''}`;
    case 'pattern':
      return `${field} is malformed`;
    case 'const':
      return `${field} must be "${String(params['allowedValue'])}" or a list`;
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}
