/**
 * Routing by resource type: one FhirSource that sends each request to the source configured for
 * its resource type (e.g. DocumentReference from the document repository) and everything else to
 * the default source. The pipeline and the enforcement above it see one source, so every
 * interaction, batch entry and internal read is routed the same way.
 *
 * The type of a path is its first segment, except a compartment search (`/Patient/1/DocumentReference`),
 * which goes where its target type lives. Routed sources must share the patient id space with the
 * default source (one MPI): a routed DocumentReference's `Patient/7` is the default source's
 * patient 7. Sources with ids of their own are served at their own base instead.
 */
import { CustosError } from '../../errors.js';
import type { FhirSource } from '../../fhir/upstream.js';

export interface RoutedSources {
  /** The composite source. */
  readonly source: FhirSource;
  /** The id of the source a path reaches. */
  readonly sourceIdOf: (path: string) => string;
}

export function routeByType(fallback: FhirSource, routes: ReadonlyMap<string, FhirSource>): RoutedSources {
  const pick = (path: string): FhirSource => {
    const type = targetType(path);
    return (type !== undefined ? routes.get(type) : undefined) ?? fallback;
  };
  return {
    sourceIdOf: (path) => pick(path).id,
    source: {
      id: fallback.id,
      baseUrl: fallback.baseUrl,
      send: (request) => {
        if (request.path === '' && request.query.includes('_type')) {
          try {
            refuseRoutedTypes(request.query, routes);
          } catch (error) {
            return Promise.reject(error);
          }
        }
        return pick(request.path).send(request);
      },
      ping: (signal) => fallback.ping(signal),
      async close() {
        // Routed sources are closed by their owner (each is also served at its own base).
      },
    },
  };
}

/**
 * A system search (`/fhir?_type=...`) goes to the default source, which does not hold the routed
 * types: naming one would silently return none of them, so it is refused with where to search.
 */
function refuseRoutedTypes(query: string, routes: ReadonlyMap<string, FhirSource>): void {
  const types = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query).getAll('_type').flatMap((t) => t.split(','));
  const routed = types.find((t) => routes.has(t.trim()));
  if (routed !== undefined) {
    throw new CustosError('INVALID_REQUEST', `${routed.trim()} is served by another source here: search it by type (${routed.trim()}?...) rather than in a system search`);
  }
}

/** `/Observation/1` → Observation; `/Patient/1/Observation` → Observation; `` or `/$op` → undefined. */
export function targetType(path: string): string | undefined {
  const segments = path.split('/', 4);
  const first = segments[1];
  if (!first || !isTypeName(first)) return undefined;
  const third = segments[2] !== undefined ? segments[3] : undefined;
  return third !== undefined && isTypeName(third) ? third : first;
}

function isTypeName(segment: string): boolean {
  const c = segment.charCodeAt(0);
  return c >= 0x41 && c <= 0x5a; // resource types start with a capital; `_history`, `$op` do not
}
