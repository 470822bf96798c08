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
import { ascii, JsonBytes } from './json-bytes.js';

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
  /**
   * `attempt`: the write-ahead event of a change, committed before the change is forwarded (the
   * final event, with the same request id, records its outcome). It has no outcome of its own.
   */
  readonly phase?: 'attempt';
  /** A summary event: how many requests were refused (rate limit) since the last summary. */
  readonly refused?: number;
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
/** A subtype coding that marks a write-ahead attempt event (see `AuditInput.phase`). */
export const AUDIT_PHASE_SYSTEM = 'urn:custos:audit-phase';

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
  if (input.phase === 'attempt') return 'attempt: the change is being forwarded to the upstream; the event with the same request id records its outcome';
  if (input.clientGone) return 'the client closed the connection before the answer was complete';
  const d = input.decision;
  const withheld = d && d.denied > 0 && input.status < 400 ? `; ${d.denied} withheld by consent` : '';
  if (input.refused !== undefined) return `${input.status} ${input.failure ?? ''}: ${input.refused} requests without a valid token from this address refused, not recorded one by one`;
  return input.failure ? `${input.status} ${input.failure}` : `${input.status}${withheld}`;
}

/**
 * The AuditEvent for one request (BALP shape), directly in RFC 8785 canonical form: every object
 * is written with its members already in code-unit order and strings escaped by JSON.stringify
 * (JCS §3.2.2.2), so no generic canonicaliser walks it on the request path (that cost ~85 µs per
 * event). Written as bytes (json-bytes.ts), with `prefix` first when given (the 0x00 of an RFC 9162
 * leaf, so the hash reads the bytes in place). test/audit/audit-event.test.ts checks the output
 * against `canonicalJson`.
 */
export function canonicalAuditEventBytes(input: AuditInput, prefix?: number): Buffer {
  const kind = input.interaction?.kind;
  const w = writer.begin(prefix);
  w.bytes(kind ? ACTION_OPEN[kind] : ACTION_OPEN_E).bytes(agentsOf(input)).bytes(B.agentsEnd);
  entities(w, input);
  w.bytes(B.id).str(input.eventId);
  w.bytes(input.phase === 'attempt' ? B.noOutcome : OUTCOMES[outcomeOf(input.status, input.clientGone)]!).str(outcomeDescription(input));
  purposeOfEvent(w, input);
  w.bytes(B.recorded).raw(new Date(input.recorded).toISOString()).bytes(B.source).bytes(sourceOf(input.gateway));
  if (kind) w.bytes(SUBTYPES[kind]);
  if (input.phase === 'attempt') w.bytes(kind ? B.attemptAfter : B.attempt);
  w.bytes(B.end);
  return w.take();
}

/** A patient id as the event's entity reference; a reference already qualified by source stays as it is. */
export function patientEntityReference(id: string): string {
  return id.startsWith('sources/') ? id : `Patient/${id}`;
}

/** The same, as text. */
export function canonicalAuditEvent(input: AuditInput): string {
  return canonicalAuditEventBytes(input).toString('utf8');
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
// Entity openings up to the variable value, written once.
const PATIENT_ENTITY = '"role":' + PATIENT_ROLE + ',"type":' + PERSON + ',"what":{"reference":';
const RESOURCE_ENTITY = '{"role":' + RESOURCE_ROLE + ',"type":' + SYSTEM_OBJECT + ',"what":{"reference":';
const GRANT_ENTITY = '{"description":"consent grant that decided","role":' + SECURITY_RESOURCE + ',"type":' + SYSTEM_OBJECT + ',"what":{"identifier":{"system":"' + CONSENT_GRANT_SYSTEM + '","value":';
const RULE_ENTITY = ',"role":' + SECURITY_RESOURCE + ',"type":' + SYSTEM_OBJECT + ',"what":{"identifier":{"system":"' + DECISION_RULE_SYSTEM + '","value":';
const SUBTYPES = Object.fromEntries(Object.keys(ACTIONS).map((kind) => [kind, ascii(coding(subtypeCode(kind as InteractionKind), undefined, RESTFUL_INTERACTION))])) as Record<InteractionKind, Buffer>;

const writer = new JsonBytes();

// Constant parts of the event, encoded once.
const B = {
  agentsEnd: ascii('],"entity":['),
  id: ascii('],"id":'),
  recorded: ascii(',"recorded":"'),
  source: ascii('","resourceType":"AuditEvent","source":{"observer":{"display":'),
  end: ascii('],"type":' + REST_TYPE + '}'),
  comma: ascii(','),
  noOutcome: ascii(',"outcomeDesc":'),
  attempt: ascii(coding('attempt', 'write-ahead attempt', AUDIT_PHASE_SYSTEM)),
  attemptAfter: ascii(',' + coding('attempt', 'write-ahead attempt', AUDIT_PHASE_SYSTEM)),
  purposeOpen: ascii(',"purposeOfEvent":['),
  purposeCoding: ascii('{"coding":[{"code":'),
  purposeCodingEnd: ascii(',"system":"' + ACT_REASON + '"}]}'),
  btgOpen: ascii('{"coding":[' + BTG + '],"text":'),
  close: ascii('}'),
  closeArray: ascii(']'),
  withheldPatient: ascii('{"detail":[{"type":"withheld","valueString":"true"}],' + PATIENT_ENTITY),
  patient: ascii('{' + PATIENT_ENTITY),
  queryOpen: ascii('{"query":"'),
  queryEnd: ascii('","role":' + QUERY_ROLE + ',"type":' + SYSTEM_OBJECT + '}'),
  resource: ascii(RESOURCE_ENTITY),
  refEnd: ascii('}}'),
  grant: ascii(GRANT_ENTITY),
  idEnd: ascii('}}}'),
  permitted: ascii('{"detail":[{"type":"permitted","valueString":"'),
  denied: ascii('"},{"type":"denied","valueString":"'),
  rule: ascii('"}]' + RULE_ENTITY),
  requestId: ascii('{"type":' + REQUEST_ID_TYPE + ',"what":{"identifier":{"value":'),
  traceId: ascii('{"type":' + TRACE_ID_TYPE + ',"what":{"identifier":{"value":'),
};
const ACTION_OPEN = Object.fromEntries(Object.entries(ACTIONS).map(([kind, action]) => [kind, ascii(`{"action":"${action}","agent":[`)])) as Record<InteractionKind, Buffer>;
const ACTION_OPEN_E = ascii('{"action":"E","agent":[');
const OUTCOMES: Record<number, Buffer> = Object.fromEntries([0, 4, 8, 12].map((o) => [o, ascii(`,"outcome":"${o}","outcomeDesc":`)]));

/** The source (observer, site, type) and the opening of subtype, per gateway (one object per base): memoised. */
const sourceMemo = new WeakMap<AuditInput['gateway'], Buffer>();
function sourceOf(gateway: AuditInput['gateway']): Buffer {
  let bytes = sourceMemo.get(gateway);
  if (bytes === undefined) {
    bytes = Buffer.from(q(`custos/${gateway.id}`) + '},"site":' + q(gateway.baseUrl) + ',"type":[' + SOURCE_TYPE + ']},"subtype":[', 'utf8');
    sourceMemo.set(gateway, bytes);
  }
  return bytes;
}

function identifier(system: string | undefined, value: string): string {
  return '{' + (system !== undefined ? '"system":' + q(system) + ',' : '') + '"value":' + q(value) + '}';
}

function purposeOfEvent(w: JsonBytes, input: AuditInput): void {
  const purpose = input.who?.purposeOfUse;
  if (!purpose && input.breakGlassReason === undefined) return;
  w.bytes(B.purposeOpen);
  if (purpose) w.bytes(B.purposeCoding).str(purpose).bytes(B.purposeCodingEnd);
  if (input.breakGlassReason !== undefined) {
    if (purpose) w.bytes(B.comma);
    w.bytes(B.btgOpen).str(input.breakGlassReason).bytes(B.close);
  }
  w.bytes(B.closeArray);
}

/**
 * The agents, memoised per caller, gateway and client address: they are the same for every request
 * of one token from one address, and building them was the larger part of an event's cost. The memo
 * hits when the caller passes the same `who` and `gateway` objects for the same token and base
 * (audit-trail.ts does).
 */
const agentMemo = new WeakMap<AuditSubject, WeakMap<AuditInput['gateway'], Map<string, Buffer>>>();
const NO_ONE = {} as AuditSubject;

function agentsOf(input: AuditInput): Buffer {
  const owner = input.who ?? NO_ONE;
  let byGateway = agentMemo.get(owner);
  if (byGateway === undefined) agentMemo.set(owner, (byGateway = new WeakMap()));
  let byAddress = byGateway.get(input.gateway);
  if (byAddress === undefined) byGateway.set(input.gateway, (byAddress = new Map()));
  let bytes = byAddress.get(input.clientAddress);
  if (bytes === undefined) {
    if (byAddress.size >= 64) byAddress.clear(); // one token from many addresses: bounded
    bytes = Buffer.from(agents(input).join(','), 'utf8');
    byAddress.set(input.clientAddress, bytes);
  }
  return bytes;
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

/** Entities (members: description, detail, query, role, type, what), comma-separated. */
function entities(w: JsonBytes, input: AuditInput): void {
  let first = true;
  const next = () => {
    if (!first) w.bytes(B.comma);
    first = false;
    return w;
  };
  const decision = input.decision;
  if (decision && decision.patients.length > 0) {
    const withheld = decision.withheldPatients ?? [];
    const patients = decision.patients.length > 1 ? [...decision.patients].sort() : decision.patients;
    for (const id of patients) {
      // A patient whose data was refused or withheld entirely is marked: touched, not disclosed.
      next().bytes(withheld.includes(id) ? B.withheldPatient : B.patient).str(patientEntityReference(id)).bytes(B.refEnd);
    }
  }
  const kind = input.interaction?.kind;
  if (kind && (kind.startsWith('search') || kind.startsWith('history') || kind === 'operation')) {
    // BALP Query: the request (path and parameters) base64-encoded, so nothing is lost or reinterpreted.
    const request = input.path + (input.query ? `?${input.query}` : '');
    next().bytes(B.queryOpen).raw(Buffer.from(request).toString('base64')).bytes(B.queryEnd);
  }
  for (const ref of input.resources) next().bytes(B.resource).str(ref).bytes(B.refEnd);
  if (decision) {
    const grants = decision.grantIds.length > 1 ? [...decision.grantIds].sort() : decision.grantIds;
    for (const grant of grants) next().bytes(B.grant).str(grant).bytes(B.idEnd);
    if (decision.rules.length > 0) {
      const rules = decision.rules.length > 1 ? [...decision.rules].sort().join(' ') : decision.rules[0]!;
      next().bytes(B.permitted).raw(String(decision.permitted)).bytes(B.denied).raw(String(decision.denied)).bytes(B.rule).str(rules).bytes(B.idEnd);
    }
  }
  next().bytes(B.requestId).str(input.requestId).bytes(B.idEnd);
  next().bytes(B.traceId).str(input.traceId).bytes(B.idEnd);
}
