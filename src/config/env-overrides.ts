/**
 * Maps `CUSTOS_*` environment variables onto configuration paths, derived from the JSON Schema so
 * that every setting has exactly one variable: `upstream.url` ↔ `CUSTOS_UPSTREAM_URL`,
 * `server.bodyLimitBytes` ↔ `CUSTOS_SERVER_BODY_LIMIT_BYTES` (medplum maps its env the same way).
 */
export interface JsonSchemaNode {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, JsonSchemaNode>;
  /** A local reference (`#/definitions/name`), followed when listing settings. */
  $ref?: string;
  definitions?: Record<string, JsonSchemaNode>;
}

export interface EnvSetting {
  readonly path: readonly string[];
  readonly schema: JsonSchemaNode;
}

/** Variables that steer loading itself rather than naming a setting. */
const LOADER_VARIABLES = new Set(['CUSTOS_CONFIG']);

export function envNameFor(path: readonly string[]): string {
  return 'CUSTOS_' + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

export function listEnvSettings(schema: JsonSchemaNode, prefix: string[] = [], root: JsonSchemaNode = schema): Map<string, EnvSetting> {
  const out = new Map<string, EnvSetting>();
  for (const [key, node] of Object.entries(schema.properties ?? {})) {
    const path = [...prefix, key];
    const child = resolveRef(node, root);
    if (child.properties) {
      for (const [name, setting] of listEnvSettings(child, path, root)) out.set(name, setting);
    } else {
      out.set(envNameFor(path), { path, schema: child });
    }
  }
  return out;
}

function resolveRef(node: JsonSchemaNode, root: JsonSchemaNode): JsonSchemaNode {
  const name = node.$ref?.startsWith('#/definitions/') ? node.$ref.slice('#/definitions/'.length) : undefined;
  return (name !== undefined ? root.definitions?.[name] : undefined) ?? node;
}

/** Turns the variable's text into the type the schema expects; leaves it as text when it does not fit, so validation reports it. */
function coerce(text: string, schema: JsonSchemaNode): unknown {
  const types = new Set(Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []);
  if (types.has('null') && (text === '' || text === 'null')) return null;
  if (types.has('integer') && /^-?\d+$/.test(text)) return Number(text);
  if (types.has('number') && text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  if (types.has('boolean') && /^(true|false|1|0)$/i.test(text)) return /^(true|1)$/i.test(text);
  // A list of strings: comma-separated (`CUSTOS_ENFORCEMENT_OPERATIONS=validate,meta`), '' = empty.
  if (types.has('array')) return text.trim() === '' ? [] : text.split(',').map((item) => item.trim());
  return text;
}

export interface EnvOverrideResult {
  readonly overrides: Record<string, unknown>;
  readonly problems: string[];
}

export function readEnvOverrides(env: NodeJS.ProcessEnv, schema: JsonSchemaNode): EnvOverrideResult {
  const settings = listEnvSettings(schema);
  const overrides: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('CUSTOS_') || LOADER_VARIABLES.has(name) || value === undefined) continue;
    const setting = settings.get(name);
    if (!setting) {
      problems.push(`${name}: is not a known setting (see config/custos.schema.json for the list)`);
      continue;
    }
    setPath(overrides, setting.path, coerce(value, setting.schema));
  }
  return { overrides, problems };
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = (typeof next === 'object' && next !== null ? next : (node[key] = {})) as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}
