/**
 * The FhirSource port: how the pipeline talks to a FHIR server. Adapters in
 * `src/adapters/upstream/` implement it (undici pool, sample server, ...); concerns such as
 * upstream credentials are interceptors composed around `send` (after undici's `compose`).
 */
import type { Readable } from 'node:stream';

export interface UpstreamRequest {
  readonly method: string;
  /** Path relative to the source's base, canonical, e.g. `/Patient/123` (`` for the base). */
  readonly path: string;
  /** Serialized query including the leading `?`, or ``. */
  readonly query: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
  /** Aborts the exchange when the caller no longer wants it (e.g. the client went away). */
  readonly signal?: AbortSignal;
  /** The same for the hot path: a plain object, cheaper than an AbortSignal per request. */
  readonly cancel?: CancelToken;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The body: read it exactly once, by one of the three methods. */
  readonly body: UpstreamBody;
}

/**
 * A response body that can be taken whole (small bodies, and anything that must be parsed to be
 * decided on) or streamed with backpressure (large Bundles), without paying for a stream when
 * the body is taken whole.
 */
export interface UpstreamBody {
  /** The whole body. Rejects if the exchange fails before the end. */
  collect(): Promise<Buffer>;
  /** The body as a stream; chunks already received come first. */
  stream(): Readable;
  /** Not needed: drop it (and abort the exchange if it is still running). */
  discard(): void;
}

/** The requester calls `onCancel` (set by the source) when it gives up on the exchange. */
export interface CancelToken {
  onCancel?: () => void;
}

export type Dispatch = (request: UpstreamRequest) => Promise<UpstreamResponse>;
export type Interceptor = (next: Dispatch) => Dispatch;

export interface FhirSource {
  readonly id: string;
  /** Absolute base URL without trailing slash, e.g. `https://ehr.example.org/fhir`. */
  readonly baseUrl: string;
  readonly send: Dispatch;
  /** Resolves true when the source answers its CapabilityStatement. */
  ping(signal?: AbortSignal): Promise<boolean>;
  close(): Promise<void>;
}

/** Composes interceptors so that the first one listed sees the request first. */
export function composeInterceptors(dispatch: Dispatch, interceptors: readonly Interceptor[]): Dispatch {
  return interceptors.reduceRight((next, interceptor) => interceptor(next), dispatch);
}
