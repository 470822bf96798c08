/**
 * What every route handler of one sample server shares. `baseUrl` is set once the HTTP server
 * knows its port, before the first request is accepted.
 */
import type { PatientCompartment } from './patient-compartment.js';
import type { SampleRepository } from './sample-repository.js';

export interface SampleContext {
  readonly repo: SampleRepository;
  readonly compartment: PatientCompartment;
  /** e.g. `http://127.0.0.1:41234/fhir`, no trailing slash. */
  baseUrl: string;
}
