/**
 * Bulk Data export (https://hl7.org/fhir/uv/bulkdata/export.html) through the gateway, for backend
 * services that configuration allows (request-plan.ts refuses everyone else at kick-off):
 *
 * - the kick-off is forwarded; its `Content-Location` (the upstream's status URL, any shape the
 *   upstream likes) is replaced by a gateway URL `$export-poll/{token}`, bound to the client that
 *   started the export;
 * - polling it fetches the upstream manifest and replaces every file URL by `$export-file/{token}`;
 * - a file is fetched whole and filtered line by line: every NDJSON line is a resource decided for
 *   this caller exactly like a search entry, and denied lines are dropped.
 *
 * Tokens are random, expire after an hour, and work only for the client that started the export.
 * They live in this process: replicas behind a load balancer need sticky routing for exports until
 * they are shared through Redis.
 */
import { randomUUID } from 'node:crypto';
import { CustosError } from '../../errors.js';
import type { FhirSource } from '../../fhir/upstream.js';
import type { RequestAccess } from '../../policy/request-access.js';
import { deniedError } from '../../policy/response-filter.js';
import { resolveBinaryContexts } from './binary-context.js';
import type { ExecutionResult } from './interaction-executor.js';
import { collectAnswer, first, type Json } from '../../fhir/upstream-json.js';

const POLL = '/$export-poll/';
const FILE = '/$export-file/';
const TTL_MS = 60 * 60 * 1000;
const MAX_TOKENS = 10_000;

interface Handle {
  readonly upstreamPath: string;
  readonly clientId: string;
  readonly expires: number;
}

export class BulkExportRelay {
  private readonly handles = new Map<string, Handle>();

  constructor(
    private readonly source: FhirSource,
    private readonly limit: number,
  ) {}

  isBulkPath(path: string): boolean {
    return path.startsWith(POLL) || path.startsWith(FILE);
  }

  /** After a 202 kick-off: the status URL becomes a gateway poll URL for this client. */
  afterKickoff(result: ExecutionResult, clientId: string): ExecutionResult {
    const location = first(result.headers['content-location']);
    if (!location) throw new CustosError('UPSTREAM_BAD_RESPONSE', 'the upstream accepted the export without a Content-Location to poll');
    const token = this.register(location, clientId);
    return { ...result, headers: { ...result.headers, 'content-location': `${this.source.baseUrl}${POLL}${token}` } };
  }

  /** Serves a poll or a file for the client that started the export. */
  async handle(path: string, method: string, access: RequestAccess, clientId: string, headers: Record<string, string>): Promise<ExecutionResult> {
    const isPoll = path.startsWith(POLL);
    const handle = this.lookup(path.slice((isPoll ? POLL : FILE).length), clientId);
    if (isPoll && method === 'DELETE') return this.forward('DELETE', handle, headers);
    if (method !== 'GET') throw new CustosError('METHOD_NOT_ALLOWED', `${method} is not allowed here: poll and files are read with GET, an export is cancelled with DELETE on its poll URL`);
    return isPoll ? this.manifest(handle, clientId, headers) : this.file(handle, access, headers);
  }

  private async manifest(handle: Handle, clientId: string, headers: Record<string, string>): Promise<ExecutionResult> {
    const answer = await this.get(handle, headers);
    if (answer.status !== 200 || !answer.json) return { status: answer.status, headers: answer.headers, body: answer.raw, json: answer.json };
    const manifest = answer.json;
    for (const list of ['output', 'error', 'deleted']) {
      const items = manifest[list];
      if (!Array.isArray(items)) continue;
      for (const item of items as Array<Json | null>) {
        if (item && typeof item['url'] === 'string') item['url'] = `${this.source.baseUrl}${FILE}${this.register(item['url'], clientId)}`;
      }
    }
    return { status: 200, headers: answer.headers, body: Buffer.from(JSON.stringify(manifest)), json: manifest };
  }

  private async file(handle: Handle, access: RequestAccess, headers: Record<string, string>): Promise<ExecutionResult> {
    const upstream = await this.source.send({ method: 'GET', path: handle.upstreamPath, query: '', headers: { ...headers, accept: 'application/fhir+ndjson' }, cancel: {} });
    if (upstream.status !== 200) {
      const answer = await collectAnswer(upstream, this.limit);
      return { status: answer.status, headers: answer.headers, body: answer.raw, json: answer.json };
    }
    const raw = await upstream.body.collect();
    if (raw.length > this.limit) throw new CustosError('UPSTREAM_BAD_RESPONSE', `an export file is larger than ${this.limit} bytes (enforcement.maxResponseBytes)`);
    const kept: string[] = [];
    for (const line of raw.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      let resource: unknown;
      try {
        resource = JSON.parse(line);
      } catch {
        throw new CustosError('UPSTREAM_BAD_RESPONSE', 'an export file holds a line that is not JSON');
      }
      if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) continue;
      await resolveBinaryContexts(resource as Json, access, () => ({ source: this.source, headers, limit: this.limit }));
      await access.prepareAnswer(resource as Json);
      const decision = access.resource(resource as Json, 'read');
      if (decision.rule === 'index-stale') throw deniedError(decision);
      if (decision.permitted) kept.push(line);
    }
    const body = Buffer.from(kept.length > 0 ? kept.join('\n') + '\n' : '');
    return { status: 200, headers: { 'content-type': 'application/fhir+ndjson' }, body, json: undefined };
  }

  private async forward(method: 'DELETE', handle: Handle, headers: Record<string, string>): Promise<ExecutionResult> {
    const upstream = await this.source.send({ method, path: handle.upstreamPath, query: '', headers, cancel: {} });
    const answer = await collectAnswer(upstream, this.limit);
    return { status: answer.status, headers: answer.headers, body: answer.raw, json: answer.json };
  }

  private async get(handle: Handle, headers: Record<string, string>) {
    const upstream = await this.source.send({ method: 'GET', path: handle.upstreamPath, query: '', headers: { ...headers, accept: 'application/json' }, cancel: {} });
    return collectAnswer(upstream, this.limit);
  }

  private register(url: string, clientId: string): string {
    const base = this.source.baseUrl;
    if (!url.startsWith(base + '/')) throw new CustosError('UPSTREAM_BAD_RESPONSE', 'the upstream named an export URL outside its FHIR base, which this gateway does not fetch');
    if (this.handles.size >= MAX_TOKENS) this.sweep();
    const token = randomUUID();
    this.handles.set(token, { upstreamPath: url.slice(base.length), clientId, expires: Date.now() + TTL_MS });
    return token;
  }

  private lookup(token: string, clientId: string): Handle {
    const handle = this.handles.get(token);
    // The same answer for unknown, expired and someone else's: a token is not an oracle.
    if (!handle || handle.expires < Date.now() || handle.clientId !== clientId) {
      throw new CustosError('NOT_FOUND', 'no such export for this client (unknown or expired); start a new $export');
    }
    return handle;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [token, handle] of this.handles) if (handle.expires < now) this.handles.delete(token);
    if (this.handles.size >= MAX_TOKENS) this.handles.clear();
  }
}
