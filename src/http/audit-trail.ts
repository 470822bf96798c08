/**
 * The pipeline's audit step: collects what the request did from its RequestContext (who, what was
 * decided, what went back) into one AuditEvent and waits until the recorder has made it durable.
 * The response leaves only after this resolves (ARCHITECTURE.md: "the response body leaves only
 * after its audit event is committed"); if it rejects, the caller answers 503 instead.
 */
import { randomUUID } from 'node:crypto';
import type { AuditInput, AuditSubject } from '../audit/audit-event.js';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { toAuditRecord } from '../audit/audit-record.js';
import { returnedResources } from '../audit/returned-resources.js';
import { CustosError } from '../errors.js';
import { auditedAddress, type RequestContext } from './request-context.js';

export interface AuditTrail {
  /** Records the request's event; resolves when it is durable. */
  commit(context: RequestContext, outcome: RequestOutcome): Promise<void>;
  /**
   * Throws AUDIT_UNAVAILABLE when events are being refused right now. Called before a write is
   * forwarded: a change made upstream whose event then cannot be committed would leave no trace.
   */
  ready(): void;
  /**
   * The write-ahead event of a change, durable before the change is forwarded: if the final event
   * then cannot be committed, the log still shows who attempted what. Rejects (AUDIT_UNAVAILABLE)
   * when it cannot be committed, and then nothing is forwarded.
   */
  attempt(context: RequestContext, method: string): Promise<void>;
  /** One event for the requests refused by the unauthenticated-request limit from one address. */
  summarizeRefused(clientAddress: string, refused: number): Promise<void>;
}

export interface RequestOutcome {
  readonly method: string;
  readonly status: number;
  /** The error code when the request failed (CONSENT_DENIED, UPSTREAM_TIMEOUT, ...). */
  readonly failure?: string;
  /** What was sent back (filtered): resources are listed from it. */
  readonly json?: unknown;
  readonly location?: string;
}

export function createAuditTrail(recorder: AuditRecorder, gateway: { readonly id: string; readonly baseUrl: string }): AuditTrail {
  return {
    ready() {
      if (!recorder.accepting()) throw new CustosError('AUDIT_UNAVAILABLE', 'the audit log cannot take events right now; nothing was changed, retry shortly');
    },
    summarizeRefused(clientAddress, refused) {
      const id = randomUUID();
      return recorder.record(toAuditRecord({
        eventId: id, recorded: Date.now(), requestId: `rate-limit-${id}`, traceId: id.replace(/-/g, ''), method: '',
        path: '', query: '', status: 429, failure: 'RATE_LIMITED', refused, clientGone: false, clientAddress, resources: [], gateway,
      }));
    },
    attempt(context, method) {
      return recorder.record(toAuditRecord({ ...inputOf(context, { method, status: 0 }, gateway), phase: 'attempt', resources: [] }));
    },
    commit(context, outcome) {
      return recorder.record(toAuditRecord(inputOf(context, outcome, gateway)));
    },
  };
}

/** The event's facts from what the request did. */
function inputOf(context: RequestContext, outcome: RequestOutcome, gateway: AuditInput['gateway']): AuditInput {
  return {
    eventId: randomUUID(),
    recorded: Date.now(),
    requestId: context.requestId,
    traceId: context.traceId,
    method: outcome.method,
    ...(context.interaction ? { interaction: context.interaction } : {}),
    path: context.path ?? '',
    query: context.rawQuery ?? '',
    status: context.clientGone ? 499 : outcome.status,
    ...(outcome.failure ? { failure: outcome.failure } : {}),
    clientGone: context.clientGone === true,
    // Behind a trusted proxy the socket is the proxy's: the client is the first X-Forwarded-For hop.
    clientAddress: auditedAddress(context),
    ...(context.actor ? { who: subjectOf(context.actor) } : {}),
    ...(context.access ? { decision: decisionOf(context.access.record) } : {}),
    ...(context.breakGlassReason !== undefined ? { breakGlassReason: context.breakGlassReason } : {}),
    resources: outcome.status < 400 ? returnedResources(outcome.json, outcome.location) : [],
    gateway,
  };
}

/** One AuditSubject per actor (actors are shared by a token's requests), so its agents are built once. */
const subjects = new WeakMap<NonNullable<RequestContext['actor']>, AuditSubject>();

function subjectOf(actor: NonNullable<RequestContext['actor']>): AuditSubject {
  let subject = subjects.get(actor);
  if (subject === undefined) subjects.set(actor, (subject = describeSubject(actor)));
  return subject;
}

function describeSubject(actor: NonNullable<RequestContext['actor']>): AuditSubject {
  return {
    subject: actor.subject,
    issuer: actor.issuer,
    clientId: actor.clientId,
    tokenId: actor.tokenId,
    ...(actor.fhirUser ? { fhirUser: actor.fhirUser } : {}),
    ...(actor.organization ? { organization: actor.organization } : {}),
    ...(actor.purposeOfUse ? { purposeOfUse: actor.purposeOfUse } : {}),
  };
}

function decisionOf(record: NonNullable<RequestContext['access']>['record']): AuditInput['decision'] {
  return {
    permitted: record.permitted,
    denied: record.denied,
    rules: [...record.rules],
    grantIds: [...record.grantIds],
    patients: [...record.patients],
    withheldPatients: [...record.patients].filter((p) => !record.permittedPatients.has(p)),
    breakGlass: record.breakGlass,
  };
}
