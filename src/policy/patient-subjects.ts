/**
 * Which consent subject a source's patient is. Consent belongs to a person, not to a server's row
 * id: with an identifier system configured (an MRN or national id system), the subject is derived
 * from the patient's identifier in that system, so one grant covers the person in every source.
 * Without one, the subject is the patient of that source (`Patient/{id}` for the default source,
 * `sources/{source}/Patient/{id}` for the others).
 *
 * Decisions are synchronous (a search page decides hundreds of entries from memory), so the
 * identifiers of the patients an answer touches are resolved first (`prepare`), through the source
 * and a cache; a patient not resolved by then gets a subject no grant can name, i.e. is denied
 * (fail closed). Without an identifier system there is no `prepare`: the request path does not even
 * collect the patients to resolve.
 */
import type { Bytes32 } from './consent-model.js';
import type { Pseudonymizer } from './pseudonym.js';

export const DEFAULT_SOURCE_ID = 'default';

export interface SubjectDirectory {
  /** The consent subject of one of this source's patients (memory only). */
  subjectOf(patientId: string): Bytes32;
  /** Resolves the subjects of these patients; undefined when every one is known already. Absent: nothing ever needs resolving. */
  readonly prepare?: (patientIds: Iterable<string>) => Promise<void> | undefined;
}

/** The text a per-source subject pseudonym is computed from (and what grants name). */
export function sourcePatientKey(sourceId: string, patientId: string): string {
  return sourceId === DEFAULT_SOURCE_ID ? `Patient/${patientId}` : `sources/${sourceId}/Patient/${patientId}`;
}

/** `Patient/{id}` (default source) or `sources/{source}/Patient/{id}` → its parts; undefined otherwise. */
export function parseSourcePatient(reference: string): { readonly sourceId: string; readonly id: string } | undefined {
  const match = /^(?:sources\/([a-z0-9][a-z0-9-]{0,39})\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(reference);
  return match ? { sourceId: match[1] ?? DEFAULT_SOURCE_ID, id: match[2]! } : undefined;
}

/** The text an identifier-derived subject is computed from: a FHIR conditional reference. */
export function identifierKey(system: string, value: string): string {
  return `Patient?identifier=${system}|${value}`;
}

/** Without an identifier system: each source's patients are their own subjects. HMACs cached. */
export function perSourceSubjects(pseudonyms: Pseudonymizer, sourceId: string, maxEntries = 100_000): SubjectDirectory {
  const cache = new Map<string, Bytes32>();
  return {
    subjectOf(patientId) {
      let subject = cache.get(patientId);
      if (subject === undefined) {
        if (cache.size >= maxEntries) cache.clear();
        subject = pseudonyms.of('subject', sourcePatientKey(sourceId, patientId));
        cache.set(patientId, subject);
      }
      return subject;
    },
  };
}

/** Reads patients' identifier values in one system from the source; null = no such patient or no identifier. */
export type IdentifierLookup = (patientIds: readonly string[]) => Promise<ReadonlyMap<string, string | null>>;

/**
 * A shared cache of patient id → subject pseudonym (Redis across replicas); holds no identifier
 * values. Entries carry a MAC under the pseudonym key: whoever can write to the cache must not be
 * able to make one person's grants apply to another's records.
 */
export interface SubjectCache {
  getMany(keys: readonly string[]): Promise<ReadonlyArray<string | undefined>>;
  setMany(entries: ReadonlyArray<readonly [string, string]>, ttlSeconds: number): Promise<void>;
}

export interface IdentifierSubjectsOptions {
  readonly pseudonyms: Pseudonymizer;
  readonly sourceId: string;
  readonly system: string;
  readonly lookup: IdentifierLookup;
  readonly cache?: SubjectCache;
  readonly ttlSeconds: number;
  readonly maxEntries?: number;
  readonly nowMs?: () => number;
}

/** With an identifier system: the subject follows the patient's identifier, resolved and cached. */
export function identifierSubjects(options: IdentifierSubjectsOptions): Required<SubjectDirectory> {
  const { pseudonyms, sourceId, system, lookup, cache, ttlSeconds } = options;
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.nowMs ?? Date.now;
  const known = new Map<string, { subject: Bytes32; until: number }>();
  const inFlight = new Map<string, Promise<void>>();
  const cacheKey = (id: string) => `custos:subject:${sourceId}:${id}`;
  // A patient with no identifier in the system stays a per-source subject (grants can still name it).
  const subjectFor = (id: string, value: string | null): Bytes32 =>
    pseudonyms.of('subject', value === null ? sourcePatientKey(sourceId, id) : identifierKey(system, value));
  const unresolved = (id: string): Bytes32 => pseudonyms.of('subject', `unresolved:${sourceId}/${id}`);
  const seal = (key: string, subject: Bytes32) => `${subject}.${pseudonyms.of('subject', `cache|${key}|${subject}`).slice(2, 34)}`;
  const unseal = (key: string, value: string | undefined): Bytes32 | undefined => {
    const subject = value?.slice(0, 66);
    return subject && /^0x[0-9a-f]{64}$/.test(subject) && value === seal(key, subject) ? subject : undefined;
  };
  const remember = (id: string, subject: Bytes32) => {
    if (known.size >= maxEntries) known.clear();
    known.set(id, { subject, until: now() + ttlSeconds * 1000 });
  };

  async function resolve(ids: string[]): Promise<void> {
    let missing = ids;
    if (cache) {
      const cached = await cache.getMany(ids.map(cacheKey)).catch(() => ids.map(() => undefined));
      missing = [];
      ids.forEach((id, i) => {
        const subject = unseal(cacheKey(id), cached[i]);
        if (subject) remember(id, subject);
        else missing.push(id);
      });
    }
    if (missing.length === 0) return;
    const values = await lookup(missing);
    const entries: Array<readonly [string, string]> = [];
    for (const id of missing) {
      if (!values.has(id)) continue; // the source could not say: stays unresolved (denied)
      const subject = subjectFor(id, values.get(id) ?? null);
      remember(id, subject);
      entries.push([cacheKey(id), seal(cacheKey(id), subject)]);
    }
    if (cache && entries.length > 0) await cache.setMany(entries, ttlSeconds).catch(() => undefined);
  }

  return {
    subjectOf(patientId) {
      const entry = known.get(patientId);
      return entry && entry.until > now() ? entry.subject : unresolved(patientId);
    },
    prepare(patientIds) {
      const t = now();
      const waits: Promise<void>[] = [];
      const wanted: string[] = [];
      for (const id of new Set(patientIds)) {
        const entry = known.get(id);
        if (entry && entry.until > t) continue;
        const pending = inFlight.get(id);
        if (pending) waits.push(pending);
        else wanted.push(id);
      }
      if (wanted.length === 0 && waits.length === 0) return undefined;
      if (wanted.length > 0) {
        const run = resolve(wanted).finally(() => {
          for (const id of wanted) inFlight.delete(id);
        });
        for (const id of wanted) inFlight.set(id, run);
        waits.push(run);
      }
      return Promise.all(waits).then(() => undefined);
    },
  };
}
