/**
 * The rows of each report, derived from event facts by pure, deterministic rules, so that a
 * verifier holding only the report file re-derives them and finds any edited row. Columns marked
 * `annotation` (names resolved from the FHIR server, keyed pseudonyms) are the only ones it cannot
 * re-derive; they are shown, and said to be unverified.
 *
 * - disclosures: HIPAA accounting of disclosures (45 CFR 164.528): successful reads, searches and
 *   exports of the patient's data by someone other than the patient. Disclosures for treatment,
 *   payment and health care operations are exempt by rule and left out unless asked for; emergency
 *   (break-the-glass) access is always listed.
 * - access: every access to the patient's data, permitted or denied, the patient's own included.
 * - actor-activity: everything one user or client touched (investigations, GDPR Art. 33).
 * - subject-access: GDPR Art. 15: the recipients of the subject's data and the purposes, grouped.
 * - break-glass: every emergency access or attempt, with its reason, for periodic review.
 * - denied: refused attempts grouped by actor, with days of unusual volume flagged.
 */
import { describeResources, type EventFacts } from './event-facts.js';
import { personReferences, type ReportColumn, type ReportHeader, type ReportRow, type ReportScope } from './report-model.js';

/** Purposes of use exempt from the accounting (v3-ActReason): treatment, payment, operations. */
export const TPO_PURPOSES: readonly string[] = ['TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT'];

export interface Annotations {
  /** A stable pseudonym for a patient reference (keyed: not re-derivable without the key). */
  pseudonym?(reference: string): string;
}

export interface DerivedReport {
  readonly header: ReportHeader;
  readonly rows: ReportRow[];
}

const col = (key: string, title: string, annotation = false): ReportColumn => (annotation ? { key, title, annotation } : { key, title });
const day = (iso: string) => iso.slice(0, 10);
const outcomeText = (f: EventFacts) => (f.outcome === 0 ? 'permitted' : f.outcome === 4 ? 'refused' : 'failed');

export function deriveReport(scope: ReportScope, events: readonly EventFacts[], annotate: Annotations = {}): DerivedReport {
  // Write-ahead attempts are not accesses: the event that follows each records what happened.
  const sorted = events.filter((f) => !f.attempt).sort((a, b) => a.index - b.index);
  switch (scope.kind) {
    case 'disclosures': return disclosures(scope, sorted);
    case 'access': return access(scope, sorted);
    case 'actor-activity': return actorActivity(scope, sorted);
    case 'subject-access': return subjectAccess(scope, sorted);
    case 'break-glass': return breakGlass(scope, sorted, annotate);
    case 'denied': return denied(scope, sorted);
  }
}

/** The event touched the person (under any of her references). */
function touches(f: EventFacts, person: ReadonlySet<string>): boolean {
  return f.patients.some((p) => person.has(p));
}

/** The person's data was only withheld (refused), under every reference of hers the event names. */
function withheldFrom(f: EventFacts, person: ReadonlySet<string>): boolean {
  const hers = f.patients.filter((p) => person.has(p));
  return hers.length > 0 && hers.every((p) => f.withheld.includes(p));
}

function range(scope: ReportScope): string {
  return `from ${scope.from} to ${scope.to}`;
}

function disclosures(scope: ReportScope, events: readonly EventFacts[]): DerivedReport {
  const patient = scope.patient ?? '';
  const person = personReferences(scope);
  const rows: ReportRow[] = [];
  for (const f of events) {
    if (f.outcome !== 0 || !touches(f, person) || withheldFrom(f, person) || person.has(f.actor)) continue;
    if (f.action !== 'R' && f.action !== 'E') continue;
    const exempt = f.purposes.some((p) => TPO_PURPOSES.includes(p)) && !f.breakGlass;
    if (exempt && !scope.includeExempt) continue;
    rows.push({
      events: [f.index],
      cells: {
        date: f.recorded,
        recipient: f.actor || f.clientId,
        recipientName: '', // annotation: filled from the FHIR server by the caller (report-routes.ts)
        organization: f.organization,
        organizationName: '',
        description: describeResources(f.resources) || f.interaction,
        purpose: [...f.purposes, ...(f.breakGlass ? [`BTG: ${f.breakGlassReason}`] : [])].join(', '),
        exempt: exempt ? 'TPO' : '',
      },
    });
  }
  const statement = scope.includeExempt
    ? `Every disclosure of ${patient}'s health information ${range(scope)}, including those for treatment, payment and health care operations (exempt from the accounting under 45 CFR 164.528(a)(1)(i), marked TPO).`
    : `Disclosures of ${patient}'s health information ${range(scope)} subject to accounting under 45 CFR 164.528. Disclosures for treatment, payment and health care operations are exempt by rule and not listed; emergency (break-the-glass) access is always listed.`;
  return {
    header: {
      title: 'Accounting of disclosures',
      statement,
      columns: [col('date', 'Date'), col('recipient', 'Recipient'), col('recipientName', 'Recipient name', true), col('organization', 'Organization'), col('organizationName', 'Organization name', true), col('description', 'Information disclosed'), col('purpose', 'Purpose'), col('exempt', 'Exempt')],
    },
    rows,
  };
}

function access(scope: ReportScope, events: readonly EventFacts[]): DerivedReport {
  const patient = scope.patient ?? '';
  const person = personReferences(scope);
  const rows = events.filter((f) => touches(f, person)).map((f): ReportRow => ({
    events: [f.index],
    cells: { date: f.recorded, actor: f.actor || '(unauthenticated)', client: f.clientId, interaction: f.interaction, outcome: f.outcome === 0 && withheldFrom(f, person) ? 'withheld' : outcomeText(f), detail: f.outcomeDesc, purpose: f.purposes.join(', '), breakGlass: f.breakGlass ? 'yes' : '', resources: describeResources(f.resources) },
  }));
  return {
    header: {
      title: 'Access report',
      statement: `Every access to ${patient}'s data through the gateway ${range(scope)}, permitted or refused, the patient's own included.`,
      columns: [col('date', 'Date'), col('actor', 'Who'), col('client', 'Application'), col('interaction', 'Interaction'), col('outcome', 'Outcome'), col('detail', 'Detail'), col('purpose', 'Purpose'), col('breakGlass', 'Break-glass'), col('resources', 'Resources')],
    },
    rows,
  };
}

function actorActivity(scope: ReportScope, events: readonly EventFacts[]): DerivedReport {
  const actor = scope.actor ?? '';
  const rows = events.filter((f) => f.actor === actor || f.clientId === actor).map((f): ReportRow => ({
    events: [f.index],
    cells: { date: f.recorded, interaction: f.interaction, patients: f.patients.join(' '), outcome: outcomeText(f), purpose: f.purposes.join(', '), breakGlass: f.breakGlass ? 'yes' : '', resources: describeResources(f.resources) },
  }));
  return {
    header: {
      title: 'Actor activity report',
      statement: `Everything ${actor} did through the gateway ${range(scope)}: each request, the patients it touched and what was returned (for investigations and breach assessment, GDPR Art. 33).`,
      columns: [col('date', 'Date'), col('interaction', 'Interaction'), col('patients', 'Patients'), col('outcome', 'Outcome'), col('purpose', 'Purpose'), col('breakGlass', 'Break-glass'), col('resources', 'Resources')],
    },
    rows,
  };
}

function subjectAccess(scope: ReportScope, events: readonly EventFacts[]): DerivedReport {
  const patient = scope.patient ?? '';
  const person = personReferences(scope);
  const groups = new Map<string, { f: EventFacts; purposes: Set<string>; resources: string[]; events: number[]; first: string; last: string }>();
  for (const f of events) {
    if (f.outcome !== 0 || !touches(f, person) || withheldFrom(f, person) || person.has(f.actor)) continue;
    const key = `${f.actor}\u0000${f.organization}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { f, purposes: new Set(), resources: [], events: [], first: f.recorded, last: f.recorded }));
    for (const p of f.purposes) g.purposes.add(p);
    if (f.breakGlass) g.purposes.add('BTG');
    g.resources.push(...f.resources);
    g.events.push(f.index);
    if (f.recorded < g.first) g.first = f.recorded;
    if (f.recorded > g.last) g.last = f.recorded;
  }
  const rows = [...groups.values()].map((g): ReportRow => ({
    events: g.events,
    cells: { recipient: g.f.actor || g.f.clientId, recipientName: '', organization: g.f.organization, purposes: [...g.purposes].sort().join(', '), data: describeResources(g.resources), accesses: g.events.length, first: g.first, last: g.last },
  }));
  return {
    header: {
      title: 'Subject access report (GDPR Art. 15)',
      statement: `The recipients to whom ${patient}'s personal data was disclosed through the gateway ${range(scope)}, the purposes of the processing and the categories of data concerned.`,
      columns: [col('recipient', 'Recipient'), col('recipientName', 'Recipient name', true), col('organization', 'Organization'), col('purposes', 'Purposes'), col('data', 'Data concerned'), col('accesses', 'Accesses'), col('first', 'First'), col('last', 'Last')],
    },
    rows,
  };
}

function breakGlass(scope: ReportScope, events: readonly EventFacts[], annotate: Annotations): DerivedReport {
  const named = scope.showNames === true || !annotate.pseudonym;
  const rows = events.filter((f) => f.breakGlass).map((f): ReportRow => ({
    events: [f.index],
    cells: { date: f.recorded, actor: f.actor, reason: f.breakGlassReason, patient: f.patients.map((p) => (named ? p : annotate.pseudonym!(p))).join(' '), outcome: outcomeText(f), resources: describeResources(f.resources) },
  }));
  return {
    header: {
      title: 'Break-the-glass review',
      statement: `Every emergency access and attempt ${range(scope)}, with the reason given. Patients are shown ${named ? 'by reference' : 'by pseudonym (ask for names to see references)'}.`,
      columns: [col('date', 'Date'), col('actor', 'Who'), col('reason', 'Reason'), col('patient', named ? 'Patient' : 'Patient (pseudonym)', !named), col('outcome', 'Outcome'), col('resources', 'Resources')],
    },
    rows,
  };
}

/** A day is a spike for an actor when it holds at least 5 refusals and 3 times the actor's median day. */
function denied(scope: ReportScope, events: readonly EventFacts[]): DerivedReport {
  const byActor = new Map<string, EventFacts[]>();
  for (const f of events) {
    if (f.outcome !== 4) continue;
    const who = f.actor || f.clientId || '(unauthenticated)';
    const list = byActor.get(who);
    if (list) list.push(f);
    else byActor.set(who, [f]);
  }
  const rows = [...byActor].map(([actor, list]): ReportRow => {
    const perDay = new Map<string, number>();
    for (const f of list) perDay.set(day(f.recorded), (perDay.get(day(f.recorded)) ?? 0) + 1);
    const counts = [...perDay.values()].sort((a, b) => a - b);
    const median = counts[Math.floor((counts.length - 1) / 2)] ?? 0;
    const spikes = [...perDay].filter(([, n]) => n >= 5 && n >= 3 * median && counts.length > 1).map(([d, n]) => `${d} (${n})`).sort();
    const [peakDay, peak] = [...perDay].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0] ?? ['', 0];
    return {
      events: list.map((f) => f.index),
      cells: { actor, refused: list.length, first: list[0]!.recorded, last: list.at(-1)!.recorded, peakDay: peak ? `${peakDay} (${peak})` : '', spikes: spikes.join(', '), reasons: [...new Set(list.map((f) => f.rules || f.outcomeDesc))].sort().join('; ') },
    };
  }).sort((a, b) => Number(b.cells['refused']) - Number(a.cells['refused']) || (String(a.cells['actor']) < String(b.cells['actor']) ? -1 : 1));
  return {
    header: {
      title: 'Denied-access review',
      statement: `Refused attempts ${range(scope)}, grouped by who made them; a day with at least 5 refusals and 3 times that actor's usual volume is flagged as a spike.`,
      columns: [col('actor', 'Who'), col('refused', 'Refused'), col('first', 'First'), col('last', 'Last'), col('peakDay', 'Busiest day'), col('spikes', 'Spikes'), col('reasons', 'Why refused')],
    },
    rows,
  };
}
