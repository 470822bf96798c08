/**
 * Test helpers for the sample FHIR server: start one server per test file, and call it with
 * plain `fetch` the way any FHIR client would.
 */
import { after, before } from 'node:test';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { type RunningSampleServer, type SampleServerOptions, startSampleServer } from '../../src/sample-server/server.js';

export const FHIR_JSON = 'application/fhir+json';

export interface FhirResult<T = Resource> {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON body, or undefined for an empty body. */
  readonly body: T;
}

export interface Client {
  /** FHIR base URL of the server under test. */
  readonly base: string;
  request<T = Resource>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<FhirResult<T>>;
  get<T = Resource>(path: string, headers?: Record<string, string>): Promise<FhirResult<T>>;
}

export function clientFor(base: string): Client {
  const request = async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<FhirResult<T>> => {
    const url = path.startsWith('http') ? path : `${base}${path.startsWith('/') || path === '' ? '' : '/'}${path}`;
    const response = await fetch(url, {
      method,
      headers: { accept: FHIR_JSON, ...(body !== undefined ? { 'content-type': FHIR_JSON } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
  };
  return { base, request, get: (path, headers) => request('GET', path, undefined, headers) };
}

/** Starts a server before the file's tests and closes it after them. */
export function useSampleServer(options: SampleServerOptions = {}): { readonly client: Client; readonly server: RunningSampleServer } {
  const holder: { client?: Client; server?: RunningSampleServer } = {};
  before(async () => {
    holder.server = await startSampleServer(options);
    holder.client = clientFor(holder.server.url);
  });
  after(async () => {
    await holder.server?.close();
  });
  return {
    get client() {
      if (!holder.client) throw new Error('server not started yet');
      return holder.client;
    },
    get server() {
      if (!holder.server) throw new Error('server not started yet');
      return holder.server;
    },
  };
}

/** Follows `next` links from `firstPath` and returns every page (bounded, so a paging bug cannot hang a test). */
export async function allPages(client: Client, firstPath: string, maxPages = 200): Promise<Bundle[]> {
  const pages: Bundle[] = [];
  let next: string | undefined = firstPath;
  while (next !== undefined) {
    if (pages.length >= maxPages) throw new Error(`more than ${maxPages} pages from ${firstPath}`);
    const page: FhirResult<Bundle> = await client.get<Bundle>(next);
    if (page.status !== 200) throw new Error(`GET ${next} answered ${page.status}`);
    pages.push(page.body);
    next = page.body.link?.find((l) => l.relation === 'next')?.url;
  }
  return pages;
}

export const ids = (bundle: Bundle): string[] =>
  (bundle.entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);

export const link = (bundle: Bundle, relation: string): string | undefined =>
  bundle.link?.find((l) => l.relation === relation)?.url;
