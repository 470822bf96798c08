/**
 * The upstream sources: the default one (`upstream`, or the bundled sample server when no URL is
 * configured) and every entry of `sources`, each with its credentials, built once at start.
 */
import type { Logger } from 'pino';
import type { CustosConfig, SourceConfig } from '../config/types.js';
import { createSource, type ResolvedSourceConfig } from '../adapters/upstream/source-factory.js';
import type { FhirSource } from '../fhir/upstream.js';
import { DEFAULT_SOURCE_ID } from '../policy/patient-subjects.js';

export interface ConfiguredSource {
  readonly source: FhirSource;
  readonly readOnly: boolean;
  /** Where the gateway serves it: `/fhir` for the default source, `/sources/{id}/fhir` for every source. */
  readonly mountPath: string;
}

export interface ComposedSources {
  readonly defaultSource: ConfiguredSource;
  /** Every source by id, the default one included (also served at `/sources/default/fhir`). */
  readonly byId: ReadonlyMap<string, ConfiguredSource>;
  readonly upstreamUrl: string;
  readonly sampleServer: boolean;
  close(): Promise<void>;
}

export const sourceMountPath = (id: string): string => `/sources/${id}/fhir`;

export async function composeSources(config: CustosConfig, logger: Logger): Promise<ComposedSources> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    let upstreamUrl = config.upstream.url;
    if (!upstreamUrl) {
      // Loaded only when needed: the sample server pulls in the whole medplum runtime.
      const { startSampleServer } = await import('../sample-server/server.js');
      const sample = await startSampleServer({
        host: config.sampleServer.host,
        port: config.sampleServer.port,
        patients: config.sampleServer.patients,
        seed: config.sampleServer.seed,
      });
      closers.push(() => sample.close());
      upstreamUrl = sample.url;
      logger.info({ upstream: sample.url, patients: config.sampleServer.patients }, 'started the bundled sample FHIR server (no upstream.url configured)');
    }
    const system = config.patientIdentity.system;
    const defaults = config.upstream;
    const resolve = (s: SourceConfig, where: string): ResolvedSourceConfig => ({
      id: s.id,
      where,
      kind: s.kind ?? 'fhir',
      ...(s.url ? { url: s.url } : {}),
      connectTimeoutMs: s.connectTimeoutMs ?? defaults.connectTimeoutMs,
      responseTimeoutMs: s.responseTimeoutMs ?? defaults.responseTimeoutMs,
      connections: s.connections ?? defaults.connections,
      auth: s.auth ?? { type: 'none' },
      readOnly: s.readOnly ?? (s.kind === 'csv'),
      ...(s.csv ? { csv: s.csv } : {}),
      identifierSystem: system,
    });
    const all = [
      resolve({ ...defaults, id: DEFAULT_SOURCE_ID, kind: 'fhir', url: upstreamUrl }, 'upstream.auth'),
      ...config.sources.map((s, i) => resolve(s, `sources[${i}].auth`)),
    ];
    const byId = new Map<string, ConfiguredSource>();
    for (const settings of all) {
      const source = await createSource(settings);
      closers.push(() => source.close());
      byId.set(settings.id, { source, readOnly: settings.readOnly, mountPath: sourceMountPath(settings.id) });
    }
    const main = byId.get(DEFAULT_SOURCE_ID)!;
    if (config.sources.length > 0) logger.info({ sources: [...byId.keys()] }, 'upstream sources configured');
    return { defaultSource: { ...main, mountPath: '/fhir' }, byId, upstreamUrl, sampleServer: !config.upstream.url, close };
  } catch (error) {
    await close();
    throw error;
  }
}
