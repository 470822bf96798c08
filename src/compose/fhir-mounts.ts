/**
 * One enforced FHIR pipeline per gateway base: `/fhir` (the default source, with any type routing)
 * and `/sources/{id}/fhir` for every source. Each has its own enforcer, so a patient id is always
 * decided as a patient of the source it came from.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redisRateBudget } from '../adapters/store/redis-rate-budget.js';
import { redisSubjectCache } from '../adapters/store/redis-subject-cache.js';
import { sourceIdentifierLookup } from '../adapters/upstream/patient-identifier-lookup.js';
import { patientIdsWithIdentifier } from '../adapters/upstream/patients-by-identifier.js';
import { internalGet } from '../fhir/upstream-json.js';
import { routeByType } from '../adapters/upstream/type-routed-source.js';
import type { Authenticator } from '../adapters/identity/authenticator.js';
import type { CustosConfig } from '../config/types.js';
import type { PatientCompartment } from '../fhir/patient-compartment.js';
import type { FhirSource } from '../fhir/upstream.js';
import type { ConsentReader } from '../policy/access-decision.js';
import { identifierSubjects, parseSourcePatient, perSourceSubjects, sourcePatientKey, DEFAULT_SOURCE_ID, type SubjectDirectory } from '../policy/patient-subjects.js';
import { subjectOfReference, type SubjectOfReference } from '../policy/patient-reference-subject.js';
import type { Pseudonymizer } from '../policy/pseudonym.js';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { createAuditTrail } from '../http/audit-trail.js';
import type { ConsentIntakeDeps } from '../http/consent-intake.js';
import { createEnforcer } from '../http/enforcement/enforcer.js';
import { createFhirPipeline, type RequestHandler } from '../http/fhir-pipeline.js';
import { UnauthenticatedLimiter } from '../http/unauthenticated-limiter.js';
import { narrowCapabilityStatement } from '../fhir/capability-narrowing.js';
import { createResourceValidator } from '../fhir/resource-validation.js';
import { InvalidResourceError } from '../fhir/validation-outcome.js';
import type { ComposedSources, ConfiguredSource } from './sources.js';

export interface FhirMountDeps {
  readonly config: CustosConfig;
  readonly logger: Logger;
  readonly sources: ComposedSources;
  readonly compartment: PatientCompartment;
  readonly consents: ConsentReader;
  readonly pseudonyms: Pseudonymizer;
  readonly authenticator: Authenticator;
  readonly recorder: AuditRecorder;
  readonly instanceId: string;
  readonly consentIntake: ConsentIntakeDeps;
  readonly redis?: Redis;
}

export interface FhirMounts {
  readonly main: RequestHandler;
  readonly bySource: ReadonlyMap<string, RequestHandler>;
  /** The subject a patient reference names, resolved like requests are (the admin API's grants). */
  readonly subjectOf: SubjectOfReference;
  /** With identity across sources: the same person's references at every source (reports cover them all). */
  readonly samePerson?: (patient: string) => Promise<readonly string[]>;
  /** Stops the rate-limit summaries, recording the last one (before the audit log closes). */
  close(): Promise<void>;
}

/** Where the default source is served. */
export const FHIR_BASE = '/fhir';

/** A base as audit events name it (`source.site`): the public URL when configured, else the listening address. */
export function gatewayBaseUrl(config: CustosConfig, mountPath: string): string {
  return (config.server.publicUrl ?? `http://${config.server.host}:${config.server.port}`) + mountPath;
}

export function composeFhirMounts(deps: FhirMountDeps): FhirMounts {
  const { config, sources } = deps;
  const cache = deps.redis ? redisSubjectCache(deps.redis) : undefined;
  const subjects = new Map<string, SubjectDirectory>();
  for (const [id, { source }] of sources.byId) {
    const system = config.patientIdentity.system;
    subjects.set(id, system === null
      ? perSourceSubjects(deps.pseudonyms, id)
      : identifierSubjects({
          pseudonyms: deps.pseudonyms, sourceId: id, system, lookup: sourceIdentifierLookup(source, system),
          ...(cache ? { cache } : {}), ttlSeconds: config.patientIdentity.cacheTtlSeconds,
        }));
  }
  const subjectOf = subjectOfReference(deps.pseudonyms, subjects, config.patientIdentity.system);
  // A Consent written at a source's base names that source's patient.
  const intakeFor = (sourceId: string): ConsentIntakeDeps => ({
    ...deps.consentIntake,
    subjectOf: (ref) => {
      const patient = parseSourcePatient(ref);
      return subjectOf(patient && patient.sourceId === DEFAULT_SOURCE_ID ? sourcePatientKey(sourceId, patient.id) : ref);
    },
  });
  const validateResource = resourceValidation(config.validation.mode, deps.logger);
  const limits = unauthenticatedLimits(config, deps, gatewayBaseUrl(config, FHIR_BASE));
  const policyBase = {
    operations: config.enforcement.operations,
    graphql: config.enforcement.graphql,
    bulkExport: config.enforcement.bulkExport.clients.length > 0,
    formats: ['json', 'xml'],
    issuers: config.identity.issuers,
  };
  const pipeline = (mountPath: string, source: FhirSource, sourceId: string, readOnlySourceOf: ((path: string) => string | undefined) | undefined, extra: {
    sourceIdOf?: (path: string) => string;
    otherBases?: ReadonlyArray<readonly [string, string]>;
    routed?: () => Promise<ReadonlyMap<string, Record<string, unknown>>>;
  } = {}): RequestHandler => {
    const readOnlyType = (type: string) => readOnlySourceOf?.(`/${type}`) !== undefined;
    const capabilities = async (statement: Record<string, unknown>) => {
      const routed = extra.routed ? await extra.routed() : undefined;
      return narrowCapabilityStatement(statement, { ...policyBase, readOnly: readOnlyType, ...(routed ? { routed } : {}) });
    };
    const enforcer = createEnforcer({
      source,
      compartment: deps.compartment,
      consents: deps.consents,
      pseudonyms: deps.pseudonyms,
      operations: { allowed: config.enforcement.operations, graphql: config.enforcement.graphql, bulkExportClients: config.enforcement.bulkExport.clients },
      breakGlass: config.enforcement.breakGlass,
      maxResponseBytes: config.enforcement.maxResponseBytes,
      subjects: subjects.get(sourceId)!,
      // A patient (or a patient-launched app) is named by her id at the default source; elsewhere
      // her own records are found by her subject.
      ...(sourceId === DEFAULT_SOURCE_ID ? {} : {
        foreignSource: config.patientIdentity.system === null ? {} : { selfSubjectOf: (id: string) => subjectOf(`Patient/${id}`) },
      }),
      ...(validateResource ? { validateResource } : {}),
      ...(readOnlySourceOf ? { readOnlySourceOf } : {}),
      ...(extra.sourceIdOf ? { sourceIdOf: extra.sourceIdOf } : {}),
    });
    const gateway = { id: deps.instanceId, baseUrl: gatewayBaseUrl(config, mountPath) };
    return createFhirPipeline({
      mountPath, source, config, logger: deps.logger, authenticator: deps.authenticator, enforcer,
      audit: createAuditTrail(deps.recorder, gateway),
      consentIntake: intakeFor(sourceId),
      ...(extra.otherBases ? { otherBases: extra.otherBases } : {}),
      capabilities,
      ...(limits ? { unauthenticatedLimiter: limits.limiter } : {}),
    });
  };
  const readOnly = (configured: ConfiguredSource) => (configured.readOnly ? () => configured.source.id : undefined);

  const bySource = new Map<string, RequestHandler>();
  for (const [id, configured] of sources.byId) bySource.set(id, pipeline(configured.mountPath, configured.source, id, readOnly(configured)));

  const routes = new Map<string, FhirSource>();
  for (const [type, id] of Object.entries(config.routing.types)) routes.set(type, sources.byId.get(id)!.source);
  const fallback = sources.defaultSource;
  let main: RequestHandler;
  if (routes.size === 0) {
    main = pipeline(FHIR_BASE, fallback.source, DEFAULT_SOURCE_ID, readOnly(fallback));
  } else {
    const routed = routeByType(fallback.source, routes);
    const readOnlySourceOf = (path: string) => {
      const id = routed.sourceIdOf(path);
      return sources.byId.get(id)?.readOnly ? id : undefined;
    };
    const otherBases = [...new Set(Object.values(config.routing.types))].map((id) => {
      const configured = sources.byId.get(id)!;
      return [configured.source.baseUrl, configured.mountPath] as const;
    });
    const routedCapabilities = routedResourceEntries(config.routing.types, sources);
    main = pipeline(FHIR_BASE, routed.source, DEFAULT_SOURCE_ID, readOnlySourceOf, { sourceIdOf: routed.sourceIdOf, otherBases, routed: routedCapabilities });
  }
  const system = config.patientIdentity.system;
  return {
    main, bySource, subjectOf,
    ...(system !== null ? { samePerson: samePersonAcross(sources, system) } : {}),
    close: async () => limits?.close(),
  };
}

/**
 * The CapabilityStatement entries of routed types, read from the sources that serve them (cached
 * for a minute: `/metadata` is public, and must not become a way to make the gateway hammer them).
 */
function routedResourceEntries(types: Readonly<Record<string, string>>, sources: ComposedSources): () => Promise<ReadonlyMap<string, Record<string, unknown>>> {
  let cached: { at: number; entries: Map<string, Record<string, unknown>> } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < 60_000) return cached.entries;
    const entries = new Map<string, Record<string, unknown>>();
    for (const id of new Set(Object.values(types))) {
      const source = sources.byId.get(id)!.source;
      try {
        const answer = await internalGet(source, '/metadata', '', {}, 8 << 20);
        if (answer.status !== 200 || !answer.json) continue;
        const statement = answer.json as { rest?: Array<{ resource?: Array<Record<string, unknown>> }> };
        for (const entry of statement.rest?.[0]?.resource ?? []) {
          if (types[String(entry['type'])] === id) entries.set(String(entry['type']), entry);
        }
      } catch {
        // A routed source that cannot describe itself: its types keep the default source's entries.
      }
    }
    cached = { at: Date.now(), entries };
    return entries;
  };
}

/**
 * Writes checked against the R4 JSON schema: `enforce` refuses them (400, one issue per failing
 * element), `warn` forwards them and logs where they fail (element paths and codes, never values).
 */
function resourceValidation(mode: CustosConfig['validation']['mode'], logger: Logger): ((resource: unknown) => void) | undefined {
  if (mode === 'off') return undefined;
  const validator = createResourceValidator();
  // Every type compiled now (~2 s at start) rather than on a type's first write, which would stall
  // every request in flight for 20-400 ms.
  validator.warmUp();
  return (resource) => {
    const issues = validator.validate(resource);
    if (issues.length === 0) return;
    if (mode === 'enforce') throw new InvalidResourceError(issues);
    logger.warn({ issues: issues.map((i) => ({ code: i.code, expression: i.expression })) }, 'a written resource is not valid R4 (validation.mode warn: forwarded)');
  };
}

/**
 * The per-address limit on requests without a valid token (unauthenticated-limiter.ts), shared by
 * every base (and, with Redis, by every replica), and its summary events: once a second, one event
 * per address that was refused.
 */
function unauthenticatedLimits(config: CustosConfig, deps: FhirMountDeps, baseUrl: string) {
  if (config.server.unauthenticatedPerSecond <= 0) return undefined;
  const perSecond = config.server.unauthenticatedPerSecond;
  const burst = config.server.unauthenticatedBurst;
  let warnedAt = Number.NEGATIVE_INFINITY;
  const limiter = new UnauthenticatedLimiter({
    perSecond,
    burst,
    ...(deps.redis ? { shared: redisRateBudget(deps.redis, { perSecond, burst, timeoutMs: config.server.sharedLimitTimeoutMs, keyOf: (address) => deps.pseudonyms.of('client-address', address) }) } : {}),
    onSharedFailure: () => {
      // Once a minute at most: a Redis outage under a flood must not flood the log instead.
      if (Date.now() - warnedAt < 60_000) return;
      warnedAt = Date.now();
      deps.logger.warn('the shared rate limit (Redis) did not answer; this replica limits unauthenticated requests on its own');
    },
  });
  const trail = createAuditTrail(deps.recorder, { id: deps.instanceId, baseUrl });
  let running: Promise<void> | undefined;
  const summarize = () => (running ??= Promise.all(limiter.takeRefused().map(([address, refused]) =>
    trail.summarizeRefused(address, refused).catch((error: unknown) => {
      // Not lost: counted again into the next summary.
      limiter.restore(address, refused);
      deps.logger.warn({ code: (error as { code?: unknown }).code, refused }, 'the summary of rate-limited requests could not be recorded yet');
    }),
  )).then(() => {
    running = undefined;
  }));
  const timer = setInterval(() => void summarize(), 1000);
  timer.unref();
  return {
    limiter,
    async close() {
      clearInterval(timer);
      await running;
      await summarize();
    },
  };
}

/**
 * One person's references at every source: her identifier read from the source the reference
 * names, then each source searched for it. `Patient/{id}` for the default source,
 * `sources/{source}/Patient/{id}` for the others (as the audit log names them).
 */
function samePersonAcross(sources: ComposedSources, system: string) {
  return async (patient: string): Promise<readonly string[]> => {
    const named = parseSourcePatient(patient);
    const home = named && sources.byId.get(named.sourceId);
    if (!named || !home) return [];
    const value = (await sourceIdentifierLookup(home.source, system)([named.id])).get(named.id);
    if (!value) return []; // no identifier in the system: she is only this source's patient
    const found: string[] = [];
    for (const [id, { source }] of sources.byId) {
      for (const pid of await patientIdsWithIdentifier(source, system, value)) found.push(sourcePatientKey(id, pid));
    }
    return [...new Set(found)];
  };
}
