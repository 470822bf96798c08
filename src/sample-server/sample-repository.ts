/**
 * medplum's MemoryRepository plus what a FHIR server needs and it lacks:
 * - a history log with deletions (type and system history, vread of any version);
 * - 410 Gone for reads and vreads of deleted resources (https://hl7.org/fhir/R4/http.html#read);
 * - idempotent delete: deleting a deleted resource "has no effect" (http.html#delete);
 * - conditional delete that answers 404 when nothing matches: R4 says "No matches or One Match:
 *   the server performs an ordinary delete", and an ordinary delete of nothing is a 404
 *   (http.html#3.1.0.7.1); medplum silently answers 200.
 *
 * - atomic transactions (http.html#transaction: "all or nothing"): MemoryRepository's
 *   `withTransaction` just runs the callback, so a failing entry left earlier entries written.
 *   We snapshot the store before the outermost transaction and restore it if it throws. Writers
 *   are serialised by the HTTP layer, so no concurrent write is lost by a restore; concurrent
 *   reads may see a transaction's partial state (read-uncommitted).
 *
 * Every write path of MemoryRepository ends in `createResource` (update, patch, conditional
 * update, batch) except `conditionalCreate`, which is why exactly those two record history.
 */
import type { CreateResourceOptions, DeleteResourceOptions } from '@medplum/fhir-router';
import type { SearchRequest, WithId } from '@medplum/core';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { HistoryLog, type HistoryMethod } from './history-log.js';
import {
  deepClone, generateId, gone, MemoryRepository, multipleMatches, notFound, OperationOutcomeError,
} from './medplum.js';
import { fail, notFoundBecause } from './outcomes.js';

/** MemoryRepository's private state (medplum 5.x), needed to snapshot it for rollback. */
interface MemoryState {
  resources: Map<string, Map<string, Resource>>;
  history: Map<string, Map<string, Resource[]>>;
}

export class SampleRepository extends MemoryRepository {
  /** Named `log` because MemoryRepository has a private `history` field of its own. */
  readonly log = new HistoryLog();
  private readonly types = new Set<string>();
  private transactionDepth = 0;

  /** Resource types that were ever written, in first-write order (for system-wide searches). */
  resourceTypes(): readonly string[] {
    return [...this.types];
  }

  /** True when the resource exists now (not deleted, not unknown). */
  exists(resourceType: string, id: string): boolean {
    const latest = this.log.latest(resourceType, id);
    return latest !== undefined && latest.method !== 'DELETE';
  }

  override async createResource<T extends Resource>(resource: T, options?: CreateResourceOptions, update = false): Promise<WithId<T>> {
    const result = await super.createResource(resource, options, update);
    this.record(update ? 'PUT' : 'POST', result);
    return result;
  }

  override async conditionalCreate<T extends Resource>(
    resource: T, search: SearchRequest<T>, options?: CreateResourceOptions,
  ): Promise<{ resource: WithId<T>; outcome: OperationOutcome }> {
    const result = await super.conditionalCreate(resource, search, options);
    if (result.outcome.id === 'created') this.record('POST', result.resource);
    return result;
  }

  override async readResource<T extends Resource>(resourceType: string, id: string): Promise<T> {
    if (this.log.latest(resourceType, id)?.method === 'DELETE') fail(gone);
    return super.readResource<T>(resourceType, id);
  }

  override async readVersion<T extends Resource>(resourceType: string, id: string, versionId: string): Promise<T> {
    if (!this.log.knows(resourceType, id)) fail(notFound);
    const version = this.log.version(resourceType, id, versionId);
    if (!version) fail(notFoundBecause(`${resourceType}/${id} has no version "${versionId}".`));
    // vread of the version that records a deletion: 410 (http.html#vread)
    if (!version.resource) fail(gone);
    return deepClone(version.resource) as T;
  }

  override async deleteResource(resourceType: string, id: string, options?: DeleteResourceOptions): Promise<void> {
    if (this.log.latest(resourceType, id)?.method === 'DELETE') return;
    await super.deleteResource(resourceType, id, options);
    this.log.append({ resourceType, id, versionId: generateId(), lastUpdated: new Date().toISOString(), method: 'DELETE' });
  }

  override async conditionalDelete(search: SearchRequest): Promise<void> {
    const matches = await this.searchResources({ ...search, count: 2, offset: 0, sortRules: undefined });
    if (matches.length === 0) fail(notFoundBecause(`No ${search.resourceType} matches the criteria; nothing was deleted.`));
    if (matches.length > 1) throw new OperationOutcomeError(multipleMatches);
    const [match] = matches as [WithId<Resource>];
    await this.deleteResource(match.resourceType, match.id);
  }

  override async withTransaction<TResult>(callback: (repo: this) => Promise<TResult>): Promise<TResult> {
    if (this.transactionDepth > 0) return callback(this);
    const restore = this.snapshot();
    this.transactionDepth += 1;
    try {
      return await callback(this);
    } catch (err) {
      restore();
      throw err;
    } finally {
      this.transactionDepth -= 1;
    }
  }

  /** Copies the maps (not the stored resources, which medplum replaces rather than mutates). */
  private snapshot(): () => void {
    const state = this as unknown as MemoryState;
    const resources = new Map([...state.resources].map(([type, byId]) => [type, new Map(byId)]));
    const history = new Map([...state.history].map(([type, byId]) => [type, new Map([...byId].map(([id, versions]) => [id, [...versions]]))]));
    const mark = this.log.mark();
    return () => {
      state.resources = resources;
      state.history = history;
      this.log.rollback(mark);
    };
  }

  private record(method: HistoryMethod, resource: WithId<Resource>): void {
    this.types.add(resource.resourceType);
    this.log.append({
      resourceType: resource.resourceType,
      id: resource.id,
      versionId: resource.meta?.versionId ?? '',
      lastUpdated: resource.meta?.lastUpdated ?? new Date().toISOString(),
      method,
      resource: deepClone(resource),
    });
  }
}
