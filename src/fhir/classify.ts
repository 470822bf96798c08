/**
 * classify: method + path segments (+ a few facts) → FhirInteraction. Pure.
 * The URL grammar is https://hl7.org/fhir/R4/http.html; anything outside it is refused here, so
 * no later step (and no upstream) ever sees a request shape we did not understand.
 */
import { CustosError } from '../errors.js';
import type { BodyKind, FhirInteraction, HttpMethod, InteractionKind } from './interaction.js';
import { FHIR_ID, OPERATION_SEGMENT } from './request-path.js';
import { COMPARTMENT_TYPES, isR4ResourceType } from './resource-types.js';

export interface ClassifyInput {
  readonly method: string;
  readonly segments: readonly string[];
  /** True when the query string carries search criteria (conditional update/patch/delete). */
  readonly hasCriteria: boolean;
  /** True when the request carries If-None-Exist (conditional create). */
  readonly ifNoneExist: boolean;
}

const METHODS = new Set<HttpMethod>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

export function classifyRequest(input: ClassifyInput): FhirInteraction {
  const method = input.method.toUpperCase() as HttpMethod;
  if (!METHODS.has(method)) {
    throw new CustosError('METHOD_NOT_ALLOWED', `HTTP method ${input.method} is not part of the FHIR REST API`);
  }
  const read = method === 'GET' || method === 'HEAD';
  const segs = input.segments;
  const path = segs.length === 0 ? '' : '/' + segs.map(encodeSegment).join('/');
  const make = (kind: InteractionKind, bodyKind: BodyKind, extra: Partial<FhirInteraction> = {}): FhirInteraction => ({
    kind,
    method,
    conditional: false,
    path,
    bodyKind,
    ...extra,
  });
  const notAllowed = (what: string) =>
    new CustosError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${what}`);

  const [first, second, third, fourth] = segs;
  if (first === undefined) {
    if (read) return make('search-system', 'none');
    // batch or transaction: refined once the Bundle is read (see refineBundleInteraction).
    if (method === 'POST') return make('batch', 'json');
    throw notAllowed('the FHIR base');
  }
  if (segs.length === 1 && !isTypeLike(first)) {
    if (first === 'metadata' && read) return make('capabilities', 'none');
    if (first === '_history' && read) return make('history-system', 'none');
    if (first === '_search' && method === 'POST') return make('search-system', 'form');
    if (OPERATION_SEGMENT.test(first)) return operation(make, method, first.slice(1), {});
    if (first === 'metadata' || first === '_history' || first === '_search') throw notAllowed(`/${first}`);
    if (/^[A-Za-z]+$/.test(first)) checkType(first); // e.g. "patient": say it is case-sensitive
    throw new CustosError('NOT_FOUND', 'the path is not a FHIR resource type or system endpoint');
  }
  const resourceType = checkType(first);
  if (second === undefined) {
    switch (method) {
      case 'GET':
      case 'HEAD':
        return make('search-type', 'none', { resourceType });
      case 'POST':
        return make('create', 'json', { resourceType, conditional: input.ifNoneExist });
      case 'PUT':
      case 'PATCH':
      case 'DELETE': {
        if (!input.hasCriteria) {
          throw new CustosError('INVALID_REQUEST', `conditional ${method} on ${resourceType} needs search criteria in the query string, or use ${resourceType}/[id]`);
        }
        const kind = method === 'PUT' ? 'update' : method === 'PATCH' ? 'patch' : 'delete';
        return make(kind, method === 'DELETE' ? 'none' : 'json', { resourceType, conditional: true });
      }
    }
  }
  if (third === undefined) {
    if (second === '_search') {
      if (method !== 'POST') throw notAllowed(`/${resourceType}/_search`);
      return make('search-type', 'form', { resourceType });
    }
    if (second === '_history') {
      if (!read) throw notAllowed(`/${resourceType}/_history`);
      return make('history-type', 'none', { resourceType });
    }
    if (OPERATION_SEGMENT.test(second)) return operation(make, method, second.slice(1), { resourceType });
    const id = checkId(second);
    switch (method) {
      case 'GET':
      case 'HEAD':
        return make('read', 'none', { resourceType, id });
      case 'PUT':
        return make('update', 'json', { resourceType, id });
      case 'PATCH':
        return make('patch', 'json', { resourceType, id });
      case 'DELETE':
        return make('delete', 'none', { resourceType, id });
      default:
        throw notAllowed(`/${resourceType}/[id]`);
    }
  }
  const id = checkId(second!);
  if (fourth === undefined) {
    if (third === '_history') {
      if (!read) throw notAllowed(`/${resourceType}/[id]/_history`);
      return make('history-instance', 'none', { resourceType, id });
    }
    if (OPERATION_SEGMENT.test(third)) return operation(make, method, third.slice(1), { resourceType, id });
    return compartmentSearch(make, method, resourceType, id, third, false);
  }
  if (segs.length === 4) {
    if (third === '_history') {
      if (!read) throw notAllowed(`/${resourceType}/[id]/_history/[vid]`);
      return make('vread', 'none', { resourceType, id, versionId: checkId(fourth) });
    }
    if (fourth === '_search') return compartmentSearch(make, method, resourceType, id, third, true);
  }
  throw new CustosError('NOT_FOUND', 'the path does not match any FHIR REST interaction');
}

/** POST to the base is a batch or a transaction depending on Bundle.type. */
export function refineBundleInteraction(interaction: FhirInteraction, body: unknown): FhirInteraction {
  if (interaction.kind !== 'batch') return interaction;
  const bundle = body as { resourceType?: unknown; type?: unknown } | null;
  if (bundle?.resourceType !== 'Bundle' || (bundle.type !== 'batch' && bundle.type !== 'transaction')) {
    throw new CustosError('INVALID_REQUEST', 'a POST to the FHIR base must carry a Bundle of type "batch" or "transaction"');
  }
  return bundle.type === 'transaction' ? { ...interaction, kind: 'transaction' } : interaction;
}

type Make = (kind: InteractionKind, bodyKind: BodyKind, extra?: Partial<FhirInteraction>) => FhirInteraction;

function operation(make: Make, method: HttpMethod, name: string, extra: Partial<FhirInteraction>): FhirInteraction {
  if (method === 'GET' || method === 'HEAD') return make('operation', 'none', { ...extra, operation: name });
  if (method === 'POST') return make('operation', 'json', { ...extra, operation: name });
  throw new CustosError('METHOD_NOT_ALLOWED', `operations are invoked with GET or POST, not ${method}`);
}

function compartmentSearch(make: Make, method: HttpMethod, ownerType: string, ownerId: string, target: string, viaPost: boolean): FhirInteraction {
  if (!COMPARTMENT_TYPES.has(ownerType)) {
    throw new CustosError('NOT_FOUND', `${ownerType} does not define a compartment; compartment searches exist for ${[...COMPARTMENT_TYPES].join(', ')}`);
  }
  const resourceType = target === '*' ? undefined : checkType(target);
  const expected = viaPost ? 'POST' : 'GET';
  if (method !== expected && !(method === 'HEAD' && !viaPost)) {
    throw new CustosError('METHOD_NOT_ALLOWED', `${method} is not allowed on a compartment search`);
  }
  return make('search-compartment', viaPost ? 'form' : 'none', {
    ...(resourceType ? { resourceType } : {}),
    compartment: { resourceType: ownerType, id: ownerId },
  });
}

/** Starts like a type name: an upper-case letter. `/patient` is thus an unknown type, not a system endpoint. */
function isTypeLike(segment: string): boolean {
  return /^[A-Z]/.test(segment);
}

function checkType(segment: string): string {
  if (!isR4ResourceType(segment)) {
    const hint = /^[A-Za-z]+$/.test(segment) ? ' (resource types are case-sensitive, e.g. "Patient")' : '';
    throw new CustosError('UNKNOWN_RESOURCE_TYPE', `unknown FHIR R4 resource type "${segment.slice(0, 64)}"${hint}`);
  }
  return segment;
}

function checkId(segment: string): string {
  if (!FHIR_ID.test(segment)) {
    throw new CustosError('INVALID_PATH', 'a FHIR id is 1-64 characters of A-Z, a-z, 0-9, "-" and "."');
  }
  return segment;
}

/** Segments are already checked against the grammar; most need no encoding at all. */
const NO_ENCODING_NEEDED = /^[A-Za-z0-9\-._~$*]+$/;

function encodeSegment(segment: string): string {
  return NO_ENCODING_NEEDED.test(segment) ? segment : encodeURIComponent(segment).replace(/%24/g, '$');
}
