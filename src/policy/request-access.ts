/**
 * One request's access decisions: scopes first, then consent, for every resource the request
 * reads or writes, with a running record of what decided (for the audit event: which grants,
 * which rules, which patients, whether the glass was broken).
 */
import type { PatientCompartment } from '../fhir/patient-compartment.js';
import type { AccessActor } from './access-actor.js';
import { decideAccess, type AccessAction, type AccessDecision, type ConsentReader } from './access-decision.js';
import type { Bytes32 } from './consent-model.js';
import { scopeAllows, type ScopeInteraction, type SmartScope } from './identity/smart-scopes.js';

export interface RequestAccessDeps {
  readonly actor: AccessActor;
  readonly scopes: readonly SmartScope[];
  readonly compartment: PatientCompartment;
  readonly consents: ConsentReader;
  readonly subjectOf: (patientId: string) => Bytes32;
  /**
   * Set when the request is served by a source other than the default one, where the actor's own
   * patient id (an id of the default source) means nothing: `selfSubjectOf` finds her subject
   * (identity across sources), without it she has no records there. Absent: ids compare as they are.
   */
  readonly foreignSource?: { readonly selfSubjectOf?: (patientId: string) => Promise<Bytes32> };
  /** Resolves patients' subjects before deciding (identity across sources); absent or undefined: nothing to do. */
  readonly prepareSubjects?: (patientIds: Iterable<string>) => Promise<void> | undefined;
  /** Unix seconds, fixed for the whole request so every entry is decided at the same instant. */
  readonly now: number;
  /** The one patient a break-the-glass claim reaches in this request. */
  readonly breakGlassPatient?: string;
  /** Break-the-glass on a read by id: it reaches the resource's patient when there is exactly one. */
  readonly breakGlassOnlyPatient?: boolean;
}

/** What a Binary's securityContext resolved to: the type and patients it is decided as; null = unreadable. */
export type BinaryContext = { readonly resourceType: string; readonly patients: readonly string[] } | null;

/** What decided a request, summarised (one audit event per request, not per entry). */
export interface DecisionRecord {
  permitted: number;
  denied: number;
  readonly rules: Set<string>;
  readonly grantIds: Set<string>;
  readonly patients: Set<string>;
  /** Patients some permitted decision reached (the others were only refused or withheld). */
  readonly permittedPatients: Set<string>;
  breakGlass: boolean;
}

const SUBSETTED = 'SUBSETTED';
const NO_SCOPE: AccessDecision = Object.freeze({ permitted: false, rule: 'insufficient-scope', grantIds: [] });
const UNKNOWN_CONTEXT: AccessDecision = Object.freeze({ permitted: false, rule: 'unknown-security-context', grantIds: [] });
const SUBSETTED_UNKNOWN: AccessDecision = Object.freeze({ permitted: false, rule: 'subsetted', grantIds: [] });

export class RequestAccess {
  private selfSubject: Bytes32 | undefined;
  readonly record: DecisionRecord = { permitted: 0, denied: 0, rules: new Set(), grantIds: new Set(), patients: new Set(), permittedPatients: new Set(), breakGlass: false };
  private readonly readableTypes = new Map<string, boolean>();
  private readonly binaryContexts = new Map<string, BinaryContext>();

  constructor(readonly deps: RequestAccessDeps) {}

  get actor(): AccessActor {
    return this.deps.actor;
  }

  get compartment(): PatientCompartment {
    return this.deps.compartment;
  }

  /**
   * Decides one resource. Reads of a type the token's scopes do not cover are denied (an
   * `_include` must not reach past the scopes), and so is a subsetted compartment resource whose
   * patient elements were left out (its compartment cannot be known).
   */
  resource(resource: Readonly<Record<string, unknown>>, action: AccessAction): AccessDecision {
    const type = resource['resourceType'];
    if (typeof type !== 'string') return this.note(NO_SCOPE, []);
    if (action === 'read' && !this.mayRead(type)) return this.note(NO_SCOPE, []);
    if (type === 'Binary') return this.binary(resource, action);
    const patients = this.deps.compartment.patientsOf(resource);
    if (patients.length === 0 && this.deps.compartment.isCompartmentType(type) && isSubsetted(resource)) {
      return this.note(SUBSETTED_UNKNOWN, []);
    }
    return this.patients(type, patients, action);
  }

  /** A Binary is decided as its securityContext (resolved beforehand by the caller: binary-context.ts). */
  private binary(resource: Readonly<Record<string, unknown>>, action: AccessAction): AccessDecision {
    const ref = (resource['securityContext'] as { reference?: unknown } | undefined)?.reference;
    if (typeof ref !== 'string') return this.patients('Binary', [], action);
    const context = this.binaryContexts.get(ref);
    if (!context) return this.note(UNKNOWN_CONTEXT, []);
    return this.patients(context.resourceType, context.patients, action);
  }

  /**
   * Resolves the consent subjects of every patient an answer (a resource or a Bundle) and its
   * resolved Binary contexts touch. Undefined when there is nothing to resolve (the common case).
   */
  prepareAnswer(json: Readonly<Record<string, unknown>>): Promise<void> | undefined {
    const prepare = this.deps.prepareSubjects;
    if (!prepare) return undefined;
    const ids: string[] = [];
    const add = (resource: unknown) => {
      if (resource && typeof resource === 'object') ids.push(...this.deps.compartment.patientsOf(resource as Readonly<Record<string, unknown>>));
    };
    if (json['resourceType'] === 'Bundle' && Array.isArray(json['entry'])) {
      for (const entry of json['entry'] as unknown[]) add((entry as { resource?: unknown } | null)?.resource);
    } else {
      add(json);
    }
    for (const context of this.binaryContexts.values()) if (context) ids.push(...context.patients);
    return prepare(ids);
  }

  /** Resolves the actor's own subject across sources (patients and patient-launched apps); undefined: nothing to do. */
  prepareActor(): Promise<void> | undefined {
    const own = this.deps.actor.confinedTo;
    const resolve = this.deps.foreignSource?.selfSubjectOf;
    if (!resolve || !own) return undefined;
    return resolve(own).then((subject) => {
      this.selfSubject = subject;
    });
  }

  /** Resolves the consent subjects of patients named by the request itself. */
  preparePatients(patientIds: readonly string[]): Promise<void> | undefined {
    return this.deps.prepareSubjects?.(patientIds);
  }

  binaryContext(reference: string): BinaryContext | undefined {
    return this.binaryContexts.get(reference);
  }

  setBinaryContext(reference: string, context: BinaryContext): void {
    this.binaryContexts.set(reference, context);
  }

  /** Decides an action on a type for known patients (e.g. `$everything` on Patient/X before forwarding). */
  patients(resourceType: string, patients: readonly string[], action: AccessAction): AccessDecision {
    const d = this.deps;
    const breakGlassPatient = d.breakGlassPatient ?? (d.breakGlassOnlyPatient && patients.length === 1 ? patients[0] : undefined);
    const decision = decideAccess(
      {
        actor: d.actor, action, resourceType, patients, now: d.now,
        ...(breakGlassPatient !== undefined ? { breakGlassPatient } : {}),
        ...(d.foreignSource ? { selfSubject: this.selfSubject ?? null } : {}),
      },
      d.consents,
      d.subjectOf,
    );
    return this.note(decision, patients);
  }

  private note(decision: AccessDecision, patients: readonly string[]): AccessDecision {
    const r = this.record;
    if (decision.permitted) r.permitted++;
    else r.denied++;
    r.rules.add(decision.rule);
    for (const id of decision.grantIds) r.grantIds.add(id);
    for (const p of patients) {
      r.patients.add(p);
      if (decision.permitted) r.permittedPatients.add(p);
    }
    if (decision.rule === 'break-the-glass') r.breakGlass = true;
    return decision;
  }

  private mayRead(type: string): boolean {
    let allowed = this.readableTypes.get(type);
    if (allowed === undefined) {
      allowed = READS.some((i) => scopeAllows(this.deps.scopes, undefined, type, i) !== undefined);
      this.readableTypes.set(type, allowed);
    }
    return allowed;
  }
}

const READS: readonly ScopeInteraction[] = ['r', 's'];

function isSubsetted(resource: Readonly<Record<string, unknown>>): boolean {
  const tags = (resource['meta'] as { tag?: unknown } | undefined)?.tag;
  return Array.isArray(tags) && tags.some((t) => (t as { code?: unknown } | null)?.code === SUBSETTED);
}
