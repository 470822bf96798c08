/**
 * The bundled sample FHIR R4 server: medplum's FhirRouter and MemoryRepository, loaded with
 * deterministic synthetic patients and served over plain node:http. The gateway starts it when
 * no upstream is configured, and the gateway's integration tests run against it.
 *
 * ```ts
 * const server = await startSampleServer({ port: 0 });
 * const res = await fetch(`${server.url}/Patient/pat-001`);
 * await server.close();
 * ```
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Resource } from '@medplum/fhirtypes';
import { createFhirHttpServer } from './http-server.js';
import { initMedplumRuntime } from './medplum-runtime.js';
import { createSampleRouter } from './routes.js';
import type { SampleContext } from './sample-context.js';
import { SampleRepository } from './sample-repository.js';
import { prefixIds } from './id-prefix.js';
import { generateSyntheticData } from './synthetic-data.js';

export interface SampleServerOptions {
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** TCP port; default 0 = an ephemeral port (read it from `url`). */
  port?: number;
  /** Number of synthetic patients; default 60. */
  patients?: number;
  /** PRNG seed of the synthetic data; default 42. Same seed → byte-identical data. */
  seed?: number;
  /** Path of the FHIR base; default '/fhir'. */
  basePath?: string;
  /** A prefix for every resource id (a second server with the same people under other ids). */
  idPrefix?: string;
  /**
   * Demand credentials: called with each request's Authorization header; false → 401 with
   * `WWW-Authenticate: Bearer` (lets tests stand in for an upstream that wants a token).
   */
  authorize?: (authorization: string | undefined) => boolean | Promise<boolean>;
}

export interface RunningSampleServer {
  /** FHIR base URL, e.g. http://127.0.0.1:41234/fhir, no trailing slash. */
  readonly url: string;
  /** Stops listening and closes open (keep-alive) connections. */
  close(): Promise<void>;
}

export const DEFAULT_SAMPLE_OPTIONS = { host: '127.0.0.1', port: 0, patients: 60, seed: 42, basePath: '/fhir' } as const;

const MAX_BODY_BYTES = 16 * 1024 * 1024;

function normaliseBasePath(basePath: string): string {
  const trimmed = basePath.trim().replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

function checkOptions(port: number, patients: number, seed: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer in 0..65535, got ${port}`);
  if (!Number.isInteger(patients) || patients < 1 || patients > 10_000) throw new RangeError(`patients must be an integer in 1..10000, got ${patients}`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
}

/** Loads resources with their own ids and `meta` (medplum keeps client meta only while seeding). */
export async function loadResources(repo: SampleRepository, resources: readonly Resource[]): Promise<void> {
  await repo.withSeeding(async () => {
    for (const resource of resources) await repo.createResource(resource);
  });
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startSampleServer(options: SampleServerOptions = {}): Promise<RunningSampleServer> {
  const host = options.host ?? DEFAULT_SAMPLE_OPTIONS.host;
  const port = options.port ?? DEFAULT_SAMPLE_OPTIONS.port;
  const patients = options.patients ?? DEFAULT_SAMPLE_OPTIONS.patients;
  const seed = options.seed ?? DEFAULT_SAMPLE_OPTIONS.seed;
  const basePath = normaliseBasePath(options.basePath ?? DEFAULT_SAMPLE_OPTIONS.basePath);
  checkOptions(port, patients, seed);

  const runtime = initMedplumRuntime();
  const repo = new SampleRepository();
  const data = generateSyntheticData({ patients, seed });
  await loadResources(repo, options.idPrefix ? prefixIds(data, options.idPrefix) : data);
  const ctx: SampleContext = { repo, compartment: runtime.compartment, baseUrl: '' };
  const server = createFhirHttpServer({
    basePath,
    ctx,
    router: createSampleRouter(ctx),
    maxBodyBytes: MAX_BODY_BYTES,
    ...(options.authorize ? { authorize: options.authorize } : {}),
  });
  await listen(server, port, host);
  const { port: actualPort } = server.address() as AddressInfo;
  ctx.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}${basePath}`;

  let closing: Promise<void> | undefined;
  return {
    url: ctx.baseUrl,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
