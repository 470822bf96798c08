/**
 * One FHIR R4 AuditEvent per request, shaped after IHE Basic Audit Log Patterns (BALP,
 * https://profiles.ihe.net/ITI/BALP/): type `rest`, subtype the RESTful interaction, action
 * C/R/U/D/E, outcome 0/4/8/12, purposeOfEvent (break-the-glass flagged with `BTG`), agents (the
 * user, the client app with its network address, this gateway), source, and entities: the
 * patients, the query (base64, as BALP's Query profile does), every resource returned or written
 * with its version, the consent grants or rules that decided, and the request id (BALP's
 * `XrequestId` entity).
 *
 * Pure: plain values in, a plain resource out. Denied, failed and abandoned requests are events too.
 */
import type { InteractionKind } from '../fhir/interaction.js';

export interface AuditSubject {
  /** The token's `sub` and `iss`. */
  readonly subject: string;
  readonly issuer: string;
  /** `Practitioner/123`, `Patient/9`, ... when the token names one. */
  readonly fhirUser?: string;
  readonly organization?: string;
  readonly clientId: string;
  /** SHA-256 of the token (never the token): ties the event to one credential. */
  readonly tokenId: string;
  readonly purposeOfUse?: string;
}

export interface AuditDecision {
  readonly permitted: number;
  readonly denied: number;
  readonly rules: readonly string[];
  readonly grantIds: readonly string[];
  /** Patient ids (without the `Patient/` prefix). */
  readonly patients: readonly string[];
  readonly breakGlass: boolean;
}

export interface AuditInput {
  readonly eventId: string;
  /** Unix ms. */
  readonly recorded: number;
  readonly requestId: string;
  readonly traceId: string;
  readonly method: string;
  /** Undefined when the request was refused before it could be classified. */
  readonly interaction?: { readonly kind: InteractionKind; readonly resourceType?: string; readonly operation?: string };
  /** The request path below the FHIR base and its raw query ('' when none). */
  readonly path: string;
  readonly query: string;
  /** The status the client was sent (499 when it went away first). */
  readonly status: number;
  /** Why it failed: an error code (e.g. CONSENT_DENIED), never request content. */
  readonly failure?: string;
  readonly clientGone: boolean;
  readonly clientAddress: string;
  readonly who?: AuditSubject;
  readonly decision?: AuditDecision;
  /** The `X-Break-Glass` reason, when the caller asked to break the glass (granted or not). */
  readonly breakGlassReason?: string;
  /** Resources returned or written, as `Type/id/_history/version` (or `Type/id`). */
  readonly resources: readonly string[];
  readonly gateway: { readonly id: string; readonly baseUrl: string };
}

export type AuditOutcome = 0 | 4 | 8 | 12;

const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const SECURITY_ROLE = 'http://terminology.hl7.org/CodeSystem/extra-security-role-type';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const BALP_ENTITY_TYPE = 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType';
/** Custos' own code systems: the consent grant (on-chain id) and the rule that decided. */
export const CONSENT_GRANT_SYSTEM = 'urn:custos:consent-grant';
export const DECISION_RULE_SYSTEM = 'urn:custos:decision-rule';
const CUSTOS_ENTITY_TYPE = 'urn:custos:audit-entity-type';

/** BALP: create C, read/vread R, update/patch U, delete D, everything else (search, history, operations) E. */
const ACTIONS: Record<InteractionKind, 'C' | 'R' | 'U' | 'D' | 'E'> = {
  create: 'C', read: 'R', vread: 'R', update: 'U', patch: 'U', delete: 'D',
  'search-type': 'E', 'search-system': 'E', 'search-compartment': 'E',
  'history-instance': 'E', 'history-type': 'E', 'history-system': 'E',
  capabilities: 'E', batch: 'E', transaction: 'E', operation: 'E',
};

/** R4 restful-interaction codes; a compartment search is a type search there. */
function subtypeCode(kind: InteractionKind): string {
  return kind === 'search-compartment' ? 'search-type' : kind;
}

export function outcomeOf(status: number, clientGone: boolean): AuditOutcome {
  if (clientGone) return 8;
  if (status < 400) return 0;
  if (status < 500) return 4;
  return status === 500 ? 12 : 8;
}

function outcomeDescription(input: AuditInput): string {
  if (input.clientGone) return 'the client closed the connection before the answer was complete';
  const d = input.decision;
  const withheld = d && d.denied > 0 && input.status < 400 ? `; ${d.denied} withheld by consent` : '';
  return input.failure ? `${input.status} ${input.failure}` : `${input.status}${withheld}`;
}

/** The AuditEvent for one request (BALP shape). */
export function buildAuditEvent(input: AuditInput): Record<string, unknown> {
  const kind = input.interaction?.kind;
  const event: Record<string, unknown> = {
    resourceType: 'AuditEvent',
    id: input.eventId,
    type: { system: AUDIT_EVENT_TYPE, code: 'rest', display: 'Restful Operation' },
    subtype: kind ? [{ system: RESTFUL_INTERACTION, code: subtypeCode(kind) }] : [],
    action: kind ? ACTIONS[kind] : 'E',
    recorded: new Date(input.recorded).toISOString(),
    outcome: String(outcomeOf(input.status, input.clientGone)),
    outcomeDesc: outcomeDescription(input),
    agent: agents(input),
    source: {
      site: input.gateway.baseUrl,
      observer: { display: `custos/${input.gateway.id}` },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    entity: entities(input),
  };
  const purposes = purposeOfEvent(input);
  if (purposes.length > 0) event['purposeOfEvent'] = purposes;
  return event;
}

function purposeOfEvent(input: AuditInput): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  if (input.who?.purposeOfUse) out.push({ coding: [{ system: ACT_REASON, code: input.who.purposeOfUse }] });
  if (input.breakGlassReason !== undefined) {
    out.push({ coding: [{ system: ACT_CODE, code: 'BTG', display: 'break the glass' }], text: input.breakGlassReason });
  }
  return out;
}

function agents(input: AuditInput): Array<Record<string, unknown>> {
  const who = input.who;
  const network = { address: input.clientAddress, type: '2' }; // 2: IP address
  const out: Array<Record<string, unknown>> = [];
  if (who) {
    const user: Record<string, unknown> = {
      type: { coding: [{ system: SECURITY_ROLE, code: 'humanuser', display: 'human user' }] },
      who: who.fhirUser ? { reference: who.fhirUser, identifier: { system: who.issuer, value: who.subject } } : { identifier: { system: who.issuer, value: who.subject } },
      requestor: true,
      policy: [who.tokenId],
    };
    out.push(user);
  }
  out.push({
    type: { coding: [{ system: DCM, code: '110153', display: 'Source Role ID' }] },
    who: who ? { identifier: { system: who.issuer, value: who.clientId }, ...(who.organization ? { display: who.organization } : {}) } : { display: 'unauthenticated client' },
    requestor: !who,
    network,
  });
  out.push({
    type: { coding: [{ system: DCM, code: '110152', display: 'Destination Role ID' }] },
    who: { display: `custos/${input.gateway.id}` },
    requestor: false,
    network: { address: input.gateway.baseUrl, type: '5' }, // 5: URI
  });
  return out;
}

function entities(input: AuditInput): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const patients = input.decision?.patients ?? [];
  for (const id of [...patients].sort()) {
    out.push({ what: { reference: `Patient/${id}` }, type: { system: ENTITY_TYPE, code: '1', display: 'Person' }, role: { system: OBJECT_ROLE, code: '1', display: 'Patient' } });
  }
  const kind = input.interaction?.kind;
  if (kind && (kind.startsWith('search') || kind.startsWith('history') || kind === 'operation')) {
    // BALP Query: the request (path and parameters) base64-encoded, so nothing is lost or reinterpreted.
    const request = input.path + (input.query ? `?${input.query}` : '');
    out.push({ type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '24', display: 'Query' }, query: Buffer.from(request).toString('base64') });
  }
  for (const ref of input.resources) {
    out.push({ what: { reference: ref }, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' } });
  }
  const decision = input.decision;
  if (decision) {
    for (const grant of [...decision.grantIds].sort()) {
      out.push({ what: { identifier: { system: CONSENT_GRANT_SYSTEM, value: grant } }, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '13', display: 'Security Resource' }, description: 'consent grant that decided' });
    }
    const rules = [...decision.rules].sort();
    if (rules.length > 0) {
      out.push({
        what: { identifier: { system: DECISION_RULE_SYSTEM, value: rules.join(' ') } },
        type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
        role: { system: OBJECT_ROLE, code: '13', display: 'Security Resource' },
        detail: [{ type: 'permitted', valueString: String(decision.permitted) }, { type: 'denied', valueString: String(decision.denied) }],
      });
    }
  }
  out.push({ what: { identifier: { value: input.requestId } }, type: { system: BALP_ENTITY_TYPE, code: 'XrequestId' } });
  out.push({ what: { identifier: { value: input.traceId } }, type: { system: CUSTOS_ENTITY_TYPE, code: 'trace-id', display: 'W3C trace id' } });
  return out;
}
