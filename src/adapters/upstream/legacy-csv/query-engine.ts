/**
 * The records, held in memory and indexed by id and by patient, and the search over them. The
 * indexes spare a full scan for the searches the gateway sends most (by id, by patient, and the
 * patient compartment); other clauses are tested row by row on the candidates. Results keep file
 * order, so paging is stable for as long as the files do not change.
 */
import type { MappedRecords } from './fhir-mapping.js';
import type { LegacyResource, LegacyType, SearchRequest } from './search-params.js';

export interface SearchResult {
  /** All matches (R4 `Bundle.total`). */
  readonly total: number;
  /** The page asked for by `_offset` and `_count`. */
  readonly page: readonly LegacyResource[];
}

interface TypeIndex {
  readonly all: readonly LegacyResource[];
  readonly byId: ReadonlyMap<string, LegacyResource>;
  readonly byPatient: ReadonlyMap<string, readonly LegacyResource[]>;
  readonly position: ReadonlyMap<LegacyResource, number>;
}

export class LegacyRecordIndex {
  private readonly types: Record<LegacyType, TypeIndex>;

  constructor(records: MappedRecords) {
    this.types = {
      Patient: indexOf(records.patients, (p) => p.id),
      Observation: indexOf(records.observations, (o) => o.resourceType === 'Observation' ? patientOf(o.subject?.reference) : undefined),
    };
  }

  read(type: LegacyType, id: string): LegacyResource | undefined {
    return this.types[type].byId.get(id);
  }

  search(request: SearchRequest): SearchResult {
    const index = this.types[request.type];
    const matches = candidates(index, request).filter((r) => request.clauses.every((c) => c.test(r)));
    return { total: matches.length, page: matches.slice(request.offset, request.offset + request.count) };
  }
}

function indexOf(resources: readonly LegacyResource[], patientOfResource: (r: LegacyResource) => string | undefined): TypeIndex {
  const byId = new Map<string, LegacyResource>();
  const byPatient = new Map<string, LegacyResource[]>();
  const position = new Map<LegacyResource, number>();
  resources.forEach((resource, i) => {
    byId.set(resource.id ?? '', resource);
    position.set(resource, i);
    const patient = patientOfResource(resource);
    if (patient !== undefined) {
      const list = byPatient.get(patient);
      if (list) list.push(resource);
      else byPatient.set(patient, [resource]);
    }
  });
  return { all: resources, byId, byPatient, position };
}

/** The smallest list the request's compartment or id/patient clauses allow, in file order. */
function candidates(index: TypeIndex, request: SearchRequest): readonly LegacyResource[] {
  if (request.compartment !== undefined) return index.byPatient.get(request.compartment) ?? [];
  const narrowing = request.clauses.find((c) => c.ids || c.patients);
  if (!narrowing) return index.all;
  const found = new Set<LegacyResource>();
  for (const id of narrowing.ids ?? []) {
    const resource = index.byId.get(id);
    if (resource) found.add(resource);
  }
  for (const patient of narrowing.patients ?? []) for (const resource of index.byPatient.get(patient) ?? []) found.add(resource);
  return [...found].sort((a, b) => (index.position.get(a) ?? 0) - (index.position.get(b) ?? 0));
}

function patientOf(reference: string | undefined): string | undefined {
  return reference?.startsWith('Patient/') ? reference.slice('Patient/'.length) : undefined;
}
