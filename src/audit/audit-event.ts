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
  /** Of those, the ones whose data the request was refused or had withheld entirely. */
  readonly withheldPatients?: readonly string[];
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

/**
 * The AuditEvent for one request (BALP shape), directly in RFC 8785 canonical form: every object
 * is written with its members already in code-unit order and strings escaped by JSON.stringify
 * (JCS §3.2.2.2), so no generic canonicaliser walks it on the request path (that cost ~85 µs per
 * event; this ~5 µs). test/audit/audit-event.test.ts checks the output against `canonicalJson`.
 */
export function canonicalAuditEvent(input: AuditInput): string {
  const kind = input.interaction?.kind;
  const purposes = purposeOfEvent(input);
  return '{"action":' + q(kind ? ACTIONS[kind] : 'E')
    + ',"agent":[' + agents(input).join(',') + ']'
    + ',"entity":[' + entities(input).join(',') + ']'
    + ',"id":' + q(input.eventId)
    + ',"outcome":' + q(String(outcomeOf(input.status, input.clientGone)))
    + ',"outcomeDesc":' + q(outcomeDescription(input))
    + (purposes.length > 0 ? ',"purposeOfEvent":[' + purposes.join(',') + ']' : '')
    + ',"recorded":' + q(new Date(input.recorded).toISOString())
    + ',"resourceType":"AuditEvent"'
    + ',"source":{"observer":{"display":' + q(`custos/${input.gateway.id}`) + '},"site":' + q(input.gateway.baseUrl) + ',"type":[' + SOURCE_TYPE + ']}'
    + ',"subtype":[' + (kind ? coding(subtypeCode(kind), undefined, RESTFUL_INTERACTION) : '') + ']'
    + ',"type":' + REST_TYPE
    + '}';
}

/** The same event as a plain object (tests, tools). */
export function buildAuditEvent(input: AuditInput): Record<string, unknown> {
  return JSON.parse(canonicalAuditEvent(input)) as Record<string, unknown>;
}

const q = JSON.stringify as (value: string) => string;

/** A Coding, members in canonical order. */
function coding(code: string, display: string | undefined, system: string): string {
  return '{"code":' + q(code) + (display !== undefined ? ',"display":' + q(display) : '') + ',"system":' + q(system) + '}';
}

const REST_TYPE = coding('rest', 'Restful Operation', AUDIT_EVENT_TYPE);
const SOURCE_TYPE = coding('4', 'Application Server', 'http://terminology.hl7.org/CodeSystem/security-source-type');
const USER_TYPE = '{"coding":[' + coding('humanuser', 'human user', SECURITY_ROLE) + ']}';
const SOURCE_ROLE = '{"coding":[' + coding('110153', 'Source Role ID', DCM) + ']}';
const DESTINATION_ROLE = '{"coding":[' + coding('110152', 'Destination Role ID', DCM) + ']}';
const PERSON = coding('1', 'Person', ENTITY_TYPE);
const PATIENT_ROLE = coding('1', 'Patient', OBJECT_ROLE);
const SYSTEM_OBJECT = coding('2', 'System Object', ENTITY_TYPE);
const QUERY_ROLE = coding('24', 'Query', OBJECT_ROLE);
const RESOURCE_ROLE = coding('4', 'Domain Resource', OBJECT_ROLE);
const SECURITY_RESOURCE = coding('13', 'Security Resource', OBJECT_ROLE);
const REQUEST_ID_TYPE = coding('XrequestId', undefined, BALP_ENTITY_TYPE);
const TRACE_ID_TYPE = coding('trace-id', 'W3C trace id', CUSTOS_ENTITY_TYPE);
const BTG = coding('BTG', 'break the glass', ACT_CODE);

function identifier(system: string | undefined, value: string): string {
  return '{' + (system !== undefined ? '"system":' + q(system) + ',' : '') + '"value":' + q(value) + '}';
}

function purposeOfEvent(input: AuditInput): string[] {
  const out: string[] = [];
  if (input.who?.purposeOfUse) out.push('{"coding":[' + coding(input.who.purposeOfUse, undefined, ACT_REASON) + ']}');
  if (input.breakGlassReason !== undefined) out.push('{"coding":[' + BTG + '],"text":' + q(input.breakGlassReason) + '}');
  return out;
}

/** Agents (members: network, policy, requestor, type, who): the user, the client app, this gateway. */
function agents(input: AuditInput): string[] {
  const who = input.who;
  const out: string[] = [];
  if (who) {
    const user = '{' + (who.fhirUser ? '"identifier":' + identifier(who.issuer, who.subject) + ',"reference":' + q(who.fhirUser) : '"identifier":' + identifier(who.issuer, who.subject)) + '}';
    out.push('{"policy":[' + q(who.tokenId) + '],"requestor":true,"type":' + USER_TYPE + ',"who":' + user + '}');
  }
  const client = who
    ? '{' + (who.organization ? '"display":' + q(who.organization) + ',' : '') + '"identifier":' + identifier(who.issuer, who.clientId) + '}'
    : '{"display":"unauthenticated client"}';
  // network type 2: IP address; 5: URI
  out.push('{"network":{"address":' + q(input.clientAddress) + ',"type":"2"},"requestor":' + (who ? 'false' : 'true') + ',"type":' + SOURCE_ROLE + ',"who":' + client + '}');
  out.push('{"network":{"address":' + q(input.gateway.baseUrl) + ',"type":"5"},"requestor":false,"type":' + DESTINATION_ROLE + ',"who":{"display":' + q(`custos/${input.gateway.id}`) + '}}');
  return out;
}

/** Entities (members: description, detail, query, role, type, what). */
function entities(input: AuditInput): string[] {
  const out: string[] = [];
  const withheld = new Set(input.decision?.withheldPatients ?? []);
  for (const id of [...(input.decision?.patients ?? [])].sort()) {
    // A patient whose data was refused or withheld entirely is marked: touched, not disclosed.
    const detail = withheld.has(id) ? '"detail":[{"type":"withheld","valueString":"true"}],' : '';
    out.push('{' + detail + '"role":' + PATIENT_ROLE + ',"type":' + PERSON + ',"what":{"reference":' + q(`Patient/${id}`) + '}}');
  }
  const kind = input.interaction?.kind;
  if (kind && (kind.startsWith('search') || kind.startsWith('history') || kind === 'operation')) {
    // BALP Query: the request (path and parameters) base64-encoded, so nothing is lost or reinterpreted.
    const request = input.path + (input.query ? `?${input.query}` : '');
    out.push('{"query":' + q(Buffer.from(request).toString('base64')) + ',"role":' + QUERY_ROLE + ',"type":' + SYSTEM_OBJECT + '}');
  }
  for (const ref of input.resources) {
    out.push('{"role":' + RESOURCE_ROLE + ',"type":' + SYSTEM_OBJECT + ',"what":{"reference":' + q(ref) + '}}');
  }
  const decision = input.decision;
  if (decision) {
    for (const grant of [...decision.grantIds].sort()) {
      out.push('{"description":"consent grant that decided","role":' + SECURITY_RESOURCE + ',"type":' + SYSTEM_OBJECT + ',"what":{"identifier":' + identifier(CONSENT_GRANT_SYSTEM, grant) + '}}');
    }
    const rules = [...decision.rules].sort();
    if (rules.length > 0) {
      out.push('{"detail":[{"type":"permitted","valueString":' + q(String(decision.permitted)) + '},{"type":"denied","valueString":' + q(String(decision.denied)) + '}]'
        + ',"role":' + SECURITY_RESOURCE + ',"type":' + SYSTEM_OBJECT + ',"what":{"identifier":' + identifier(DECISION_RULE_SYSTEM, rules.join(' ')) + '}}');
    }
  }
  out.push('{"type":' + REQUEST_ID_TYPE + ',"what":{"identifier":' + identifier(undefined, input.requestId) + '}}');
  out.push('{"type":' + TRACE_ID_TYPE + ',"what":{"identifier":' + identifier(undefined, input.traceId) + '}}');
  return out;
}
