/**
 * Decide-after: what comes back from the upstream is checked resource by resource before any of it
 * reaches the caller.
 *
 * - A single resource (read, vread, an operation's result) that is denied throws CONSENT_DENIED
 *   (or INSUFFICIENT_SCOPE): the caller gets a 403 and nothing of the resource.
 * - Search, history and other Bundles: denied entries are dropped (not stubbed: a stub would still
 *   say that such a resource exists), `_include` / `_revinclude` entries included; nested Bundles
 *   (documents, collections) are walked too. `Bundle.total` is removed when anything could have been
 *   filtered, since it would count what the caller may not see.
 * - batch-response / transaction-response: a denied entry keeps its place (entries answer the
 *   request's entries in order) but loses its resource and answers 403 with an OperationOutcome.
 * - Parameters: a denied `resource` parameter (or part) is removed.
 * - A stale consent index anywhere fails the whole request (LEDGER_UNAVAILABLE, 503): serving a
 *   partial result as if it were complete would hide the outage.
 */
import { CustosError } from '../errors.js';
import { isJsonObject } from '../fhir/json-object.js';
import { operationOutcome } from '../fhir/operation-outcome.js';
import type { AccessDecision } from './access-decision.js';
import type { RequestAccess } from './request-access.js';

export interface FilterOptions {
  /** Remove `total` from searchset and history Bundles. */
  readonly dropTotal: boolean;
  /** Elements the gateway added to an upstream `_elements` to decide, taken out again from match entries. */
  readonly trimElements?: readonly string[];
}

export interface FilterResult {
  /** True when the body was modified in place (it must be serialised again). */
  readonly changed: boolean;
  /** Entries or parameters removed. */
  readonly removed: number;
}

type Json = Record<string, unknown>;

export function filterResponseBody(body: Json, access: RequestAccess, options: FilterOptions): FilterResult {
  const walk = new Walk(access, options);
  if (body['resourceType'] === 'Bundle') walk.bundle(body);
  else if (body['resourceType'] === 'Parameters') walk.parameters(body);
  else if (body['resourceType'] !== 'OperationOutcome') {
    const decision = walk.decide(body);
    if (!decision.permitted) throw deniedError(decision);
    walk.trim(body);
  }
  return { changed: walk.changed, removed: walk.removed };
}

/** The error for a denied single resource; never names the patient or the grant. */
export function deniedError(decision: AccessDecision): CustosError {
  switch (decision.rule) {
    case 'index-stale':
      return new CustosError('LEDGER_UNAVAILABLE', 'consent state is not confirmed as current (the chain follower is behind); retry shortly');
    case 'insufficient-scope':
      return new CustosError('INSUFFICIENT_SCOPE', "the token's scopes do not allow reading this resource type");
    case 'outside-compartment':
      return new CustosError('CONSENT_DENIED', "this token reaches one patient's compartment only, and the resource is outside it");
    case 'no-purpose':
      return new CustosError('CONSENT_DENIED', 'the request states no purpose of use, so no consent can permit it; send X-Purpose-Of-Use or use a token that states one');
    case 'subsetted':
      return new CustosError('CONSENT_DENIED', 'the resource was returned without the elements that say whose data it is; ask without _elements or _summary');
    case 'shared-resource-write':
      return new CustosError('CONSENT_DENIED', "a token confined to one patient's compartment cannot write resources outside it");
    default:
      return new CustosError('CONSENT_DENIED', `consent does not permit this access (rule: ${decision.rule})`);
  }
}

class Walk {
  changed = false;
  removed = 0;
  constructor(
    private readonly access: RequestAccess,
    private readonly options: FilterOptions,
  ) {}

  /** Everything an answer carries is decided for reading (a write's echo too: it is read back). */
  decide(resource: Json): AccessDecision {
    const decision = this.access.resource(resource, 'read');
    if (decision.rule === 'index-stale') throw deniedError(decision);
    return decision;
  }

  bundle(bundle: Json): void {
    const type = bundle['type'];
    if ((type === 'searchset' || type === 'history') && this.options.dropTotal && 'total' in bundle) {
      delete bundle['total'];
      this.changed = true;
    }
    const entries = bundle['entry'];
    if (!Array.isArray(entries)) return;
    const answers = type === 'batch-response' || type === 'transaction-response';
    const kept: unknown[] = [];
    let modified = false;
    for (const entry of entries as Array<Json | null>) {
      const resource = entry?.['resource'];
      if (!isJsonObject(resource) || resource['resourceType'] === 'OperationOutcome') {
        kept.push(entry);
        continue;
      }
      if (this.permits(resource)) {
        if ((entry!['search'] as Json | undefined)?.['mode'] !== 'include') this.trim(resource);
        kept.push(entry);
      } else if (answers) {
        kept.push({ response: { status: '403 Forbidden', outcome: operationOutcome('error', 'forbidden', 'consent or scopes do not permit this entry') } });
        modified = true;
      } else {
        this.removed++;
        modified = true;
      }
    }
    if (modified) {
      bundle['entry'] = kept;
      this.changed = true;
    }
  }

  parameters(parameters: Json): void {
    const list = parameters['parameter'];
    if (!Array.isArray(list)) return;
    const kept = list.filter((p: Json | null) => this.parameterPermitted(p));
    if (kept.length !== list.length) {
      this.removed += list.length - kept.length;
      this.changed = true;
      parameters['parameter'] = kept;
    }
  }

  /** Takes out of a match resource the elements only the gateway asked for. */
  trim(resource: Json): void {
    const fields = this.options.trimElements;
    if (!fields) return;
    for (const field of fields) {
      if (field in resource) {
        delete resource[field];
        this.changed = true;
      }
    }
  }

  private permits(resource: Json): boolean {
    if (resource['resourceType'] === 'Bundle') {
      this.bundle(resource);
      return true;
    }
    if (resource['resourceType'] === 'Parameters') {
      this.parameters(resource);
      return true;
    }
    return this.decide(resource).permitted;
  }

  private parameterPermitted(parameter: Json | null): boolean {
    if (!isJsonObject(parameter)) return true;
    const resource = parameter['resource'];
    if (isJsonObject(resource) && resource['resourceType'] !== 'OperationOutcome' && !this.permits(resource)) return false;
    const parts = parameter['part'];
    if (Array.isArray(parts)) {
      const kept = parts.filter((p: Json | null) => this.parameterPermitted(p));
      if (kept.length !== parts.length) {
        this.removed += parts.length - kept.length;
        this.changed = true;
        parameter['part'] = kept;
      }
    }
    return true;
  }
}
