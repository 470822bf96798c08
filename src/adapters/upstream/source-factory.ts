/**
 * Builds a FhirSource from one source's configuration. A new kind of source is registered here,
 * in `FACTORIES`, and nowhere else (docs/adapters.md walks through writing one).
 */
import type { SourceConfig, UpstreamAuthConfig } from '../../config/types.js';
import type { FhirSource } from '../../fhir/upstream.js';
import { upstreamCredentials } from './auth-interceptors.js';
import { createUndiciSource } from './undici-source.js';

/** A source's settings with the defaults of `upstream` filled in. */
export interface ResolvedSourceConfig {
  readonly id: string;
  readonly kind: 'fhir' | 'csv';
  readonly url?: string;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly connections: number;
  readonly auth: UpstreamAuthConfig;
  readonly readOnly: boolean;
  readonly csv?: SourceConfig['csv'];
  /** The config path of this source's auth block, for messages (`upstream.auth`, `sources[1].auth`). */
  readonly where: string;
  /** The identifier system of patient identity across sources, if configured. */
  readonly identifierSystem: string | null;
}

type SourceFactory = (config: ResolvedSourceConfig) => Promise<FhirSource>;

const FACTORIES: Record<ResolvedSourceConfig['kind'], SourceFactory> = {
  fhir: async (config) => {
    const credentials = upstreamCredentials(config.auth, { where: config.where });
    return createUndiciSource({
      id: config.id,
      baseUrl: config.url!,
      connections: config.connections,
      connectTimeoutMs: config.connectTimeoutMs,
      responseTimeoutMs: config.responseTimeoutMs,
      interceptors: credentials.interceptors,
      ...(credentials.tls ? { tls: credentials.tls } : {}),
    });
  },
  csv: async (config) => {
    const { createLegacyCsvSource } = await import('./legacy-csv/legacy-csv-source.js');
    return createLegacyCsvSource({
      id: config.id,
      baseUrl: `http://${config.id}.legacy-csv.invalid/fhir`,
      patientsFile: config.csv!.patientsFile,
      observationsFile: config.csv!.observationsFile,
      identifierSystem: config.csv!.identifierSystem ?? config.identifierSystem ?? 'http://hospital.example.org/mrn',
    });
  },
};

export function createSource(config: ResolvedSourceConfig): Promise<FhirSource> {
  return FACTORIES[config.kind](config);
}
