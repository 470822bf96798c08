/**
 * What a request asks of the FHIR server, decided once by `classifyRequest` and used by every later
 * step (consent, audit, forwarding). Names follow https://hl7.org/fhir/R4/http.html.
 */
export type InteractionKind =
  | 'read'
  | 'vread'
  | 'update'
  | 'patch'
  | 'delete'
  | 'create'
  | 'search-type'
  | 'search-system'
  | 'search-compartment'
  | 'history-instance'
  | 'history-type'
  | 'history-system'
  | 'capabilities'
  | 'batch'
  | 'transaction'
  | 'operation';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** How a request body must be read: none, JSON (FHIR resources, JSON Patch) or an HTML form (`_search`). */
export type BodyKind = 'none' | 'json' | 'form';

export interface FhirInteraction {
  readonly kind: InteractionKind;
  readonly method: HttpMethod;
  readonly resourceType?: string;
  readonly id?: string;
  readonly versionId?: string;
  /** `everything` for `$everything`. */
  readonly operation?: string;
  /** For `/Patient/123/Observation`: the compartment owner. */
  readonly compartment?: { readonly resourceType: string; readonly id: string };
  /** create with If-None-Exist, update/patch/delete with search criteria instead of an id. */
  readonly conditional: boolean;
  /** The canonical path relative to the FHIR base, e.g. `/Patient/123/_history/2` (`` for the base). */
  readonly path: string;
  readonly bodyKind: BodyKind;
}
