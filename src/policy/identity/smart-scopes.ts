/**
 * SMART on FHIR scopes, v1 and v2 (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html):
 *
 *   v1  `patient/Observation.read`  `user/*.write`  `system/*.*`
 *   v2  `patient/Observation.rs`    `user/*.cruds`  `system/Patient.r?category=...`
 *
 * Both normalise to one shape, `{ context, resourceType, interactions }`, over the five v2
 * interactions (c create, r read, u update, d delete, s search). v1 `read` = r+s, `write` = c+u+d,
 * `*` = all five (the equivalences given in the spec's "Scopes for requesting FHIR resources").
 *
 * Parsing fails closed: a string that starts like a resource scope (`patient/`, `user/`, `system/`)
 * but does not parse grants nothing and is reported as unrecognized, never guessed at.
 */
import { R4_RESOURCE_TYPES } from '../../fhir/resource-types.js';

/** Whose data the scope reaches: the launch patient's, what the user may see, or a backend service's. */
export type ScopeContext = 'patient' | 'user' | 'system';

/** v2 interactions, in the order the spec requires them to be written (`cruds`). */
export type ScopeInteraction = 'c' | 'r' | 'u' | 'd' | 's';

export interface SmartScope {
  /** The scope as the token carried it, so a decision can name what allowed it. */
  readonly scope: string;
  readonly context: ScopeContext;
  /** A resource type, or `*` for every type. */
  readonly resourceType: string;
  readonly interactions: ReadonlySet<ScopeInteraction>;
  /**
   * v2 only: the query after `?` (e.g. `category=http://...|laboratory`), kept opaque. The scope
   * then allows its interactions only on resources matching that query, which this module cannot
   * check: see `scopeAllows`.
   */
  readonly restriction?: string;
}

export interface ParsedScopes {
  /** Scopes on FHIR resources. */
  readonly resource: readonly SmartScope[];
  /** Everything else the token was granted (`openid`, `fhirUser`, `launch/patient`, `offline_access`, ...). */
  readonly other: readonly string[];
  /** Strings shaped like resource scopes that do not parse (e.g. `patient/Observation.rc`): they grant nothing. */
  readonly unrecognized: readonly string[];
}

const ALL: readonly ScopeInteraction[] = ['c', 'r', 'u', 'd', 's'];
const V1_PERMISSIONS: Readonly<Record<string, readonly ScopeInteraction[]>> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': ALL,
};
// v2: a non-empty subsequence of "cruds", in that order ("patient/Observation.sr" is invalid).
const V2_PERMISSIONS = /^c?r?u?d?s?$/;
const RESOURCE_SCOPE = /^(patient|user|system)\/([^.?]+)\.([^?]+)(?:\?(.*))?$/s;
const RESOURCE_SCOPE_PREFIX = /^(patient|user|system)\//;

/** Parses one resource scope; undefined when it is not one (or is malformed). */
export function parseSmartScope(scope: string): SmartScope | undefined {
  const match = RESOURCE_SCOPE.exec(scope);
  if (!match) return undefined;
  const [, context, resourceType, permissions, restriction] = match as unknown as [string, ScopeContext, string, string, string | undefined];
  if (resourceType !== '*' && !R4_RESOURCE_TYPES.has(resourceType)) return undefined;
  let interactions: readonly ScopeInteraction[];
  if (Object.hasOwn(V1_PERMISSIONS, permissions)) {
    // v1 has no query restrictions: `patient/Observation.read?x=y` is not a scope of either version.
    if (restriction !== undefined) return undefined;
    interactions = V1_PERMISSIONS[permissions]!;
  } else if (permissions.length > 0 && V2_PERMISSIONS.test(permissions)) {
    if (restriction !== undefined && restriction.length === 0) return undefined;
    interactions = [...permissions] as ScopeInteraction[];
  } else {
    return undefined;
  }
  return {
    scope,
    context,
    resourceType,
    interactions: new Set(interactions),
    ...(restriction !== undefined ? { restriction } : {}),
  };
}

/**
 * Splits a granted scope into resource scopes and the rest. Takes the OAuth `scope` claim (one
 * space-delimited string, RFC 6749 §3.3) or an array (the `scp` claim some servers issue).
 */
export function parseScopes(granted: string | readonly string[]): ParsedScopes {
  const list = typeof granted === 'string' ? granted.split(' ') : granted;
  const resource: SmartScope[] = [];
  const other: string[] = [];
  const unrecognized: string[] = [];
  for (const scope of list) {
    if (scope.length === 0) continue;
    const parsed = parseSmartScope(scope);
    if (parsed) resource.push(parsed);
    else if (RESOURCE_SCOPE_PREFIX.test(scope)) unrecognized.push(scope);
    else other.push(scope);
  }
  return { resource, other, unrecognized };
}

export interface ScopeAllowsOptions {
  /**
   * Whether a v2 scope with a query restriction may answer. Off by default (fail closed): such a
   * scope allows only matching resources, so a caller that sets this must then check the returned
   * scope's `restriction` against the resource, or deny.
   */
  readonly includeRestricted?: boolean;
}

// Without a context, the broadest matching scope answers: a `user/` scope must not be reported
// as a `patient/` one, which would narrow access to the launch patient for no reason (and the
// reverse would widen it).
const CONTEXT_ORDER: readonly ScopeContext[] = ['system', 'user', 'patient'];

/**
 * The scope that allows `interaction` on `resourceType` (in `context`, or in any context when
 * undefined), or undefined when none does. Returns the scope rather than a boolean so the decision
 * and its audit event can say which scope allowed it (medplum's `satisfiedAccessPolicy` pattern).
 * Unrestricted scopes are preferred over restricted ones, then the broadest context.
 */
export function scopeAllows(
  scopes: readonly SmartScope[],
  context: ScopeContext | undefined,
  resourceType: string,
  interaction: ScopeInteraction,
  options: ScopeAllowsOptions = {},
): SmartScope | undefined {
  const passes: Array<(s: SmartScope) => boolean> = [(s) => s.restriction === undefined];
  if (options.includeRestricted) passes.push((s) => s.restriction !== undefined);
  for (const pass of passes) {
    for (const wanted of context ? [context] : CONTEXT_ORDER) {
      for (const scope of scopes) {
        if (
          scope.context === wanted &&
          (scope.resourceType === '*' || scope.resourceType === resourceType) &&
          scope.interactions.has(interaction) &&
          pass(scope)
        ) {
          return scope;
        }
      }
    }
  }
  return undefined;
}
