/**
 * A FhirSource over two legacy CSV exports (patients, observations), served as read-only FHIR R4
 * Patient and Observation: the worked example of docs/adapters.md.
 *
 * The files are read, checked and mapped once, at start: a malformed row stops the source with
 * `file:line` and the reason (never the row's values), instead of serving part of the data. To
 * pick up a new export, restart the gateway.
 */
import { readFile, stat } from 'node:fs/promises';
import { CustosError } from '../../../errors.js';
import { composeInterceptors, type FhirSource, type Interceptor } from '../../../fhir/upstream.js';
import { buildCapabilityStatement } from './capability-statement.js';
import { createDispatcher } from './dispatcher.js';
import { mapRecords } from './fhir-mapping.js';
import { readObservationRows, readPatientRows } from './legacy-rows.js';
import { LegacyRecordIndex } from './query-engine.js';

export interface LegacyCsvSourceOptions {
  /** The source's id in configuration (`sources[].id`). */
  readonly id: string;
  /**
   * The absolute base the source's links and `fullUrl`s are written on; the gateway rewrites it to
   * its own base for the source. Nothing listens there. Default `http://{id}.legacy-csv.invalid/fhir`
   * (`.invalid` is reserved, RFC 2606, so it can never reach a real host).
   */
  readonly baseUrl?: string;
  /** CSV with a header row: mrn, family, given, gender, birth_date [, phone]. */
  readonly patientsFile: string;
  /** CSV with a header row: id, mrn, loinc, display, value, unit, effective. */
  readonly observationsFile: string;
  /** System of the MRN identifier, e.g. `http://hospital.example.org/mrn`. */
  readonly identifierSystem: string;
  /** Wrappers around `send`, as for any source (they see the request first, in order). */
  readonly interceptors?: readonly Interceptor[];
}

export async function createLegacyCsvSource(options: LegacyCsvSourceOptions): Promise<FhirSource> {
  const baseUrl = checkedBaseUrl(options.baseUrl ?? `http://${options.id}.legacy-csv.invalid/fhir`, options.id);
  if (!/^[a-z][a-z0-9+.-]*:\S+$/i.test(options.identifierSystem)) {
    throw new CustosError('CONFIG_INVALID', `source "${options.id}": identifierSystem must be an absolute URI, e.g. http://hospital.example.org/mrn`);
  }
  const [patients, observations] = await Promise.all([loadFile(options.patientsFile, options.id), loadFile(options.observationsFile, options.id)]);
  const records = mapRecords(readPatientRows(options.patientsFile, patients.text), readObservationRows(options.observationsFile, observations.text), {
    patientsFile: options.patientsFile,
    observationsFile: options.observationsFile,
    identifierSystem: options.identifierSystem,
    patientsUpdated: patients.modified,
    observationsUpdated: observations.modified,
  });
  const newest = patients.modified > observations.modified ? patients.modified : observations.modified;
  const dispatch = createDispatcher({
    baseUrl,
    records: new LegacyRecordIndex(records),
    capabilityStatement: buildCapabilityStatement(baseUrl, newest),
  });

  return {
    id: options.id,
    baseUrl,
    send: composeInterceptors(dispatch, options.interceptors ?? []),
    // The data is in memory and was checked at start: the source is up for as long as it exists.
    ping: () => Promise.resolve(true),
    close: () => Promise.resolve(),
  };
}

async function loadFile(file: string, sourceId: string): Promise<{ text: string; modified: string }> {
  try {
    const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    return { text, modified: info.mtime.toISOString() };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'an I/O error';
    throw new CustosError('CONFIG_INVALID', `source "${sourceId}": cannot read ${file} (${code}); check the path, relative to the working directory`, undefined, { cause: error });
  }
}

function checkedBaseUrl(text: string, sourceId: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CustosError('CONFIG_INVALID', `source "${sourceId}": baseUrl must be an absolute http(s) URL, e.g. http://legacy-csv.invalid/fhir`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new CustosError('CONFIG_INVALID', `source "${sourceId}": baseUrl must be an absolute http(s) URL without query or fragment`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}
