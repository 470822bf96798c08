/**
 * The version history of every resource, in write order, including deletions.
 *
 * medplum's MemoryRepository keeps per-instance versions only, forgets deletions (a deleted
 * resource reads as 404, not 410) and has no type or system history. FHIR history needs all of
 * those: https://hl7.org/fhir/R4/http.html#history ("the history of the resource ... including
 * deletions") and 410 Gone for deleted resources (http.html#read).
 */
import type { Resource } from '@medplum/fhirtypes';

export type HistoryMethod = 'POST' | 'PUT' | 'DELETE';

export interface HistoryRecord {
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: string;
  readonly lastUpdated: string;
  readonly method: HistoryMethod;
  /** The version's content; absent for a deletion. Never mutated after it is recorded. */
  readonly resource?: Resource;
}

export interface HistoryQuery {
  readonly resourceType?: string;
  readonly id?: string;
  /** Only versions written at or after this instant (`_since`). */
  readonly since?: string;
}

export class HistoryLog {
  private readonly records: HistoryRecord[] = [];
  private readonly byInstance = new Map<string, HistoryRecord[]>();

  append(record: HistoryRecord): void {
    this.records.push(record);
    const key = `${record.resourceType}/${record.id}`;
    const versions = this.byInstance.get(key);
    if (versions) versions.push(record);
    else this.byInstance.set(key, [record]);
  }

  /** A position to roll back to (see `rollback`). */
  mark(): number {
    return this.records.length;
  }

  /** Forgets every record appended after `mark` (a failed transaction). */
  rollback(mark: number): void {
    while (this.records.length > mark) {
      const record = this.records.pop() as HistoryRecord;
      const key = `${record.resourceType}/${record.id}`;
      const versions = this.byInstance.get(key);
      versions?.pop();
      if (versions?.length === 0) this.byInstance.delete(key);
    }
  }

  /** The newest record of one instance (a deletion if it was deleted last). */
  latest(resourceType: string, id: string): HistoryRecord | undefined {
    return this.byInstance.get(`${resourceType}/${id}`)?.at(-1);
  }

  version(resourceType: string, id: string, versionId: string): HistoryRecord | undefined {
    return this.byInstance.get(`${resourceType}/${id}`)?.find((r) => r.versionId === versionId);
  }

  /** True when the instance was ever written (it may be deleted now). */
  knows(resourceType: string, id: string): boolean {
    return this.byInstance.has(`${resourceType}/${id}`);
  }

  /** Matching records, newest first, as FHIR history bundles list them. */
  query(query: HistoryQuery): HistoryRecord[] {
    const source = query.resourceType && query.id
      ? this.byInstance.get(`${query.resourceType}/${query.id}`) ?? []
      : this.records;
    const sinceMs = query.since ? Date.parse(query.since) : undefined;
    const out: HistoryRecord[] = [];
    for (let i = source.length - 1; i >= 0; i--) {
      const record = source[i] as HistoryRecord;
      if (query.resourceType && record.resourceType !== query.resourceType) continue;
      if (sinceMs !== undefined && Date.parse(record.lastUpdated) < sinceMs) continue;
      out.push(record);
    }
    return out;
  }
}
