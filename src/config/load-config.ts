/**
 * The one configuration loader (fastify validates its options at start and freezes them; so do we).
 *
 * Layers, later wins: `config/default.yaml` (embedded, zero setup) → the YAML file named by
 * `CUSTOS_CONFIG` → `CUSTOS_*` environment variables → explicit overrides (CLI flags). The result
 * is validated once against `config/custos.schema.json`; every problem becomes one line naming the
 * field and what is expected, and the start stops.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { CustosError } from '../errors.js';
import { crossFieldProblems } from './cross-field-rules.js';
import { readEnvOverrides, type JsonSchemaNode } from './env-overrides.js';
import type { CustosConfig } from './types.js';

export const CONFIG_DIR = fileURLToPath(new URL('../../../config/', import.meta.url));

export interface LoadConfigOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Highest-priority values, e.g. from CLI flags. */
  readonly overrides?: Record<string, unknown>;
}

/** Fields whose values must never be echoed in an error message. */
const SECRET_FIELDS = /(token|password|passphrase|secret|key)$/i;

export function loadConfig(options: LoadConfigOptions = {}): CustosConfig {
  const env = options.env ?? process.env;
  const schema = JSON.parse(readFileSync(CONFIG_DIR + 'custos.schema.json', 'utf8')) as JsonSchemaNode;
  const problems: string[] = [];

  let merged = readYaml(CONFIG_DIR + 'default.yaml', problems);
  const extraFile = env['CUSTOS_CONFIG'];
  if (extraFile) merged = deepMerge(merged, readYaml(extraFile, problems));
  const fromEnv = readEnvOverrides(env, schema);
  problems.push(...fromEnv.problems);
  merged = deepMerge(deepMerge(merged, fromEnv.overrides), options.overrides ?? {});

  if (problems.length === 0) problems.push(...validate(schema, merged));
  if (problems.length === 0) problems.push(...crossFieldProblems(merged as unknown as CustosConfig));
  if (problems.length > 0) {
    throw new CustosError('CONFIG_INVALID', `configuration is invalid:\n  - ${problems.join('\n  - ')}`);
  }
  return deepFreeze(merged) as unknown as CustosConfig;
}

function readYaml(file: string, problems: string[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    problems.push(`CUSTOS_CONFIG: cannot read the file ${file} (does it exist and is it readable?)`);
    return {};
  }
  try {
    const value: unknown = parseYaml(text);
    if (value === null || value === undefined) return {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${file}: must be a YAML mapping of settings`);
      return {};
    }
    return value as Record<string, unknown>;
  } catch (error) {
    const line = (error as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
    problems.push(`${file}${line ? `:${line.line}:${line.col}` : ''}: is not valid YAML`);
    return {};
  }
}

function validate(schema: JsonSchemaNode, value: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, verbose: true });
  ajv.addFormat('http-url', (text: string) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && !url.search && !url.hash && !url.username;
    } catch {
      return false;
    }
  });
  const check = ajv.compile(schema);
  if (check(value)) return [];
  return (check.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => describe(e));
}

function describe(error: ErrorObject): string {
  const path = error.instancePath.split('/').filter(Boolean);
  const field = (extra?: string) => [...path, ...(extra ? [extra] : [])].join('.') || '(root)';
  const got = (name: string) =>
    SECRET_FIELDS.test(name) ? '' : ` (got ${JSON.stringify(error.data)?.slice(0, 80) ?? 'nothing'})`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${field(String(params['additionalProperty']))}: is not a known setting`;
    case 'required':
      return `${field(String(params['missingProperty']))}: is required`;
    case 'enum':
      return `${field()}: must be one of ${(params['allowedValues'] as unknown[]).join(', ')}${got(field())}`;
    case 'format':
      return `${field()}: must be an absolute http(s) URL without query, fragment or credentials${got(field())}`;
    case 'type':
      return `${field()}: must be ${String(params['type']).replace(',', ' or ')}${got(field())}`;
    default:
      return `${field()}: ${error.message ?? 'is invalid'}${got(field())}`;
  }
}

function deepMerge(base: Record<string, unknown>, top: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(top)) {
    const under = out[key];
    out[key] =
      isPlainObject(value) && isPlainObject(under) ? deepMerge(under, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
