/**
 * Reads, from one stored AuditEvent (the BALP shape `audit-event.ts` writes), the facts reports are
 * made of. Pure and tolerant: a field that is missing reads as empty, never throws, so a verifier
 * can re-derive rows from any event it is given.
 */
import { AUDIT_PHASE_SYSTEM, DECISION_RULE_SYSTEM } from '../audit-event.js';
import { patientReferenceAt } from '../patient-reference.js';

export interface EventFacts {
  readonly index: number;
  /** ISO instant. */
  readonly recorded: string;
  readonly action: string;
  /** The RESTful interaction (read, search-type, ...). */
  readonly interaction: string;
  /** A write-ahead attempt (its outcome is in the event with the same request id): not an access itself. */
  readonly attempt: boolean;
  /** 0, 4, 8 or 12. */
  readonly outcome: number;
  readonly outcomeDesc: string;
  /** The user (`Practitioner/x`, `Patient/y`), else the token subject, else ''. */
  readonly actor: string;
  readonly clientId: string;
  readonly organization: string;
  readonly patients: readonly string[];
  /** Patients whose data the request was refused or had withheld entirely (touched, not disclosed). */
  readonly withheld: readonly string[];
  /** Resources returned or written, without versions (`Observation/5`). */
  readonly resources: readonly string[];
  /** Purpose of use codes (v3-ActReason), not BTG. */
  readonly purposes: readonly string[];
  readonly breakGlass: boolean;
  readonly breakGlassReason: string;
  /** The decision rules, space-separated (`grant`, `no-grant`, ...). */
  readonly rules: string;
}

type Json = Record<string, unknown>;

const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

function codeOf(v: unknown): string {
  return str(obj(v)['code']);
}

function codings(v: unknown): Json[] {
  return arr(obj(v)['coding']);
}

export function eventFacts(index: number, event: Json): EventFacts {
  let actor = '';
  let clientId = '';
  let organization = '';
  for (const agent of arr(event['agent'])) {
    const role = codeOf(codings(agent['type'])[0]);
    const who = obj(agent['who']);
    if (role === 'humanuser') actor = str(who['reference']) || str(obj(who['identifier'])['value']);
    else if (role === '110153') {
      clientId = str(obj(who['identifier'])['value']);
      organization = str(who['display']) === 'unauthenticated client' ? '' : str(who['display']);
    }
  }
  const site = str(obj(event['source'])['site']);
  const patients: string[] = [];
  const withheld: string[] = [];
  const resources: string[] = [];
  let rules = '';
  for (const entity of arr(event['entity'])) {
    const role = codeOf(entity['role']);
    const what = obj(entity['what']);
    if (role === '1') {
      const reference = patientReferenceAt(site, str(what['reference']));
      patients.push(reference);
      if (arr(entity['detail']).some((d) => str(d['type']) === 'withheld')) withheld.push(reference);
    }
    else if (role === '4') resources.push(str(what['reference']).replace(/\/_history\/.*$/, ''));
    else if (str(obj(what['identifier'])['system']) === DECISION_RULE_SYSTEM) rules = str(obj(what['identifier'])['value']);
  }
  const purposes: string[] = [];
  let breakGlass = false;
  let breakGlassReason = '';
  for (const purpose of arr(event['purposeOfEvent'])) {
    const code = codeOf(codings(purpose)[0]);
    if (code === 'BTG') {
      breakGlass = true;
      breakGlassReason = str(purpose['text']);
    } else if (code) purposes.push(code);
  }
  return {
    index,
    recorded: str(event['recorded']),
    action: str(event['action']),
    interaction: codeOf(arr(event['subtype'])[0]),
    attempt: arr(event['subtype']).some((c) => str(c['system']) === AUDIT_PHASE_SYSTEM && str(c['code']) === 'attempt'),
    outcome: Number(str(event['outcome']) || '0'),
    outcomeDesc: str(event['outcomeDesc']),
    actor,
    clientId,
    organization,
    patients,
    withheld,
    resources,
    purposes,
    breakGlass,
    breakGlassReason,
    rules,
  };
}

/** `Observation ×3, Patient ×1`: resource types and counts, by type name. */
export function describeResources(resources: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const ref of resources) {
    const type = ref.split('/')[0] ?? '';
    if (type) counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([t, n]) => `${t} ×${n}`).join(', ');
}
