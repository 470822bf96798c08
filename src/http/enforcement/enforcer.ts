/**
 * The enforcement wiring for one gateway: the patient compartment, the consent index, the subject
 * pseudonyms and the configured policy, turned into one RequestAccess per request.
 */
import type { FhirInteraction } from '../../fhir/interaction.js';
import type { PatientCompartment } from '../../fhir/patient-compartment.js';
import type { QueryParams } from '../../fhir/query.js';
import type { FhirSource } from '../../fhir/upstream.js';
import { toAccessActor, type AccessActor } from '../../policy/access-actor.js';
import type { ConsentReader } from '../../policy/access-decision.js';
import { checkBreakGlass, type BreakGlassPolicy } from '../../policy/break-glass.js';
import type { Actor } from '../../policy/identity/actor.js';
import type { Bytes32 } from '../../policy/consent-model.js';
import type { Pseudonymizer } from '../../policy/pseudonym.js';
import { RequestAccess } from '../../policy/request-access.js';
import type { OperationPolicy } from '../../policy/request-plan.js';
import { DEFAULT_SOURCE_ID, perSourceSubjects, type SubjectDirectory } from '../../policy/patient-subjects.js';
import { BulkExportRelay } from './bulk-export.js';
import type { ExecutorDeps } from './interaction-executor.js';

export interface EnforcerOptions {
  readonly source: FhirSource;
  readonly compartment: PatientCompartment;
  readonly consents: ConsentReader;
  readonly pseudonyms: Pseudonymizer;
  readonly operations: OperationPolicy;
  readonly breakGlass: BreakGlassPolicy;
  readonly maxResponseBytes: number;
  /** Which consent subject each of this source's patients is (default: per source, by id). */
  readonly subjects?: SubjectDirectory;
  /** The source (or, under type routing, the source of a path) refuses writes: its id, else undefined. */
  readonly readOnlySourceOf?: (path: string) => string | undefined;
  /** Under type routing: the id of the source a path reaches. */
  readonly sourceIdOf?: (path: string) => string;
  /** A source other than the default one (actors' own patient ids are default-source ids; see RequestAccess). */
  readonly foreignSource?: { readonly selfSubjectOf?: (patientId: string) => Promise<Bytes32> };
  /** R4 validation of written resources (validation.mode warn or enforce). */
  readonly validateResource?: (resource: unknown) => void;
  /** Unix seconds (a clock for tests). */
  readonly nowSeconds?: () => number;
}

export interface Enforcer {
  readonly executor: ExecutorDeps;
  readonly bulk: BulkExportRelay;
  /** The request's access: checks an X-Break-Glass header (400/403 when it cannot be honoured). */
  accessFor(actor: Actor, interaction: FhirInteraction, params: QueryParams, breakGlassHeader: string | undefined): RequestAccess;
}

export function createEnforcer(options: EnforcerOptions): Enforcer {
  const subjects = options.subjects ?? perSourceSubjects(options.pseudonyms, DEFAULT_SOURCE_ID);
  const subjectOf = (patientId: string) => subjects.subjectOf(patientId);
  // Only directories that resolve identifiers have a prepare step; the others cost nothing per request.
  const prepareSubjects = subjects.prepare;
  const now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  // Actors are frozen and shared by the requests of one token and purpose (authenticator.ts),
  // so their grantee pseudonyms are computed once per token.
  const accessActors = new WeakMap<Actor, AccessActor>();
  const executor: ExecutorDeps = { source: options.source, compartment: options.compartment, operations: options.operations, maxResponseBytes: options.maxResponseBytes,
    ...(options.readOnlySourceOf ? { readOnlySourceOf: options.readOnlySourceOf } : {}),
    ...(options.sourceIdOf ? { sourceIdOf: options.sourceIdOf } : {}),
    ...(options.validateResource ? { validateResource: options.validateResource } : {}) };
  return {
    executor,
    bulk: new BulkExportRelay(options.source, options.maxResponseBytes),
    accessFor(actor, interaction, params, breakGlassHeader) {
      let base = accessActors.get(actor);
      if (base === undefined) {
        base = toAccessActor(actor, options.pseudonyms);
        accessActors.set(actor, base);
      }
      const breakGlass = checkBreakGlass(breakGlassHeader, actor, interaction, params, options.breakGlass);
      return new RequestAccess({
        actor: breakGlass ? { ...base, breakGlass: breakGlass.claim } : base,
        scopes: actor.scopes,
        compartment: options.compartment,
        consents: options.consents,
        subjectOf,
        ...(prepareSubjects ? { prepareSubjects } : {}),
        ...(options.foreignSource ? { foreignSource: options.foreignSource } : {}),
        now: now(),
        ...(breakGlass?.patient !== undefined ? { breakGlassPatient: breakGlass.patient } : breakGlass ? { breakGlassOnlyPatient: true } : {}),
      });
    },
  };
}
