/**
 * The thin HTTP shell of the sample server (plain node:http, no framework): it maps an HTTP
 * request to medplum's transport-free `FhirRequest`, lets the router answer, and writes the
 * answer back. FHIR JSON only (https://hl7.org/fhir/R4/http.html#mime-type), except the raw
 * content of a Binary and the bulk-export files, which the router marks as such.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FhirRequest, FhirRouter } from '@medplum/fhir-router';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { isBinaryRead } from './binary-read.js';
import { acceptsJson, headerValue } from './content-negotiation.js';
import { FHIR_JSON, type HttpResult, toHttpResult } from './http-response.js';
import { badRequest } from './medplum.js';
import { methodNotAllowed, notAcceptable, notFoundBecause, serverError, statusOf } from './outcomes.js';
import { parseBody, readBody } from './request-body.js';
import type { SampleContext } from './sample-context.js';
import type { QueryValues } from './search-query.js';

export interface HttpShellOptions {
  readonly basePath: string;
  readonly ctx: SampleContext;
  readonly router: FhirRouter;
  readonly maxBodyBytes: number;
  /** Checks the Authorization header of every request; false → 401 (RFC 6750 §3). */
  readonly authorize?: (authorization: string | undefined) => boolean | Promise<boolean>;
}

type Method = FhirRequest['method'];
const METHODS: readonly Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

function outcomeResult(outcome: OperationOutcome, extraHeaders: Record<string, string> = {}): HttpResult {
  return { status: statusOf(outcome), headers: { 'content-type': FHIR_JSON, ...extraHeaders }, body: JSON.stringify(outcome) };
}

function send(res: ServerResponse, result: HttpResult): void {
  const headers: Record<string, string | number> = { ...result.headers };
  if (result.body !== undefined) headers['content-length'] = Buffer.byteLength(result.body);
  else if (result.status !== 304 && result.status !== 204) headers['content-length'] = 0;
  res.writeHead(result.status, headers);
  res.end(result.body);
}

/**
 * `_format` (http.html#mime-type) and `Accept`: we answer in JSON, except a Binary's raw content
 * (`binary-read.ts`), which only `Accept` can ask for.
 */
function acceptable(req: IncomingMessage, format: string | undefined, method: Method, path: string): boolean {
  if (format !== undefined) return /json/i.test(format);
  return acceptsJson(headerValue(req.headers.accept)) || isBinaryRead(method, path);
}

function queryOf(url: URL): QueryValues {
  const query: QueryValues = {};
  for (const [key, value] of url.searchParams) {
    const existing = query[key];
    query[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

type Serialiser = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * Runs writes one at a time. Each medplum write is quick, but a transaction awaits between its
 * entries; serialising writers keeps its rollback (see `sample-repository.ts`) from undoing a
 * concurrent client's write.
 */
function createWriteQueue(): Serialiser {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** 401 + `WWW-Authenticate: Bearer` (RFC 6750 §3), as an upstream that wants a token answers. */
function unauthorized(): HttpResult {
  const outcome: OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'login', details: { text: 'This server needs a valid bearer access token in the Authorization header.' } }],
  };
  return { status: 401, headers: { 'content-type': FHIR_JSON, 'www-authenticate': 'Bearer realm="sample"' }, body: JSON.stringify(outcome) };
}

async function handle(req: IncomingMessage, options: HttpShellOptions, serialiseWrite: Serialiser): Promise<HttpResult> {
  const { basePath, ctx, router } = options;
  if (options.authorize && !(await options.authorize(headerValue(req.headers.authorization)))) {
    req.resume();
    return unauthorized();
  }
  const url = new URL(req.url ?? '/', 'http://sample.invalid');
  if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) {
    return outcomeResult(notFoundBecause(`Not a FHIR endpoint. The FHIR base of this server is ${ctx.baseUrl}.`));
  }
  let path: string;
  try {
    path = url.pathname.slice(basePath.length).split('/').filter(Boolean).map(decodeURIComponent).join('/');
  } catch {
    return outcomeResult(badRequest('The URL path is not valid percent-encoding.'));
  }
  const isHead = req.method === 'HEAD';
  const method = (isHead ? 'GET' : req.method ?? 'GET') as Method;
  if (!METHODS.includes(method)) return outcomeResult(methodNotAllowed(req.method ?? '', `/${path}`), { allow: METHODS.join(', ') });

  const query = queryOf(url);
  const format = typeof query._format === 'string' ? query._format : undefined;
  const pretty = query._pretty === 'true';
  delete query._format;
  delete query._pretty;
  if (!acceptable(req, format, method, path)) return outcomeResult(notAcceptable('This server answers in FHIR JSON only: use Accept: application/fhir+json.'));

  if (!router.find(method, path)) {
    const allowed = METHODS.filter((m) => router.find(m, path));
    if (allowed.length > 0) return outcomeResult(methodNotAllowed(method, `/${path}`), { allow: allowed.join(', ') });
    return outcomeResult(notFoundBecause(`No FHIR interaction matches ${method} /${path}.`));
  }

  let body: unknown;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    const raw = await readBody(req, options.maxBodyBytes);
    if (!Buffer.isBuffer(raw)) return outcomeResult(raw);
    const parsed = parseBody(req.headers['content-type'], raw, method === 'POST' && path.endsWith('_search'));
    if (!parsed.ok) return outcomeResult(parsed.outcome);
    body = parsed.body;
  } else {
    req.resume();
  }

  // `transactions: true` makes medplum process a transaction Bundle as one unit (all or nothing)
  // instead of entry by entry like a batch.
  const fhirRequest: FhirRequest = { method, url: path, pathname: '', params: {}, query, body, headers: req.headers, config: { transactions: true } };
  const answer = method === 'GET'
    ? await router.handleRequest(fhirRequest, ctx.repo)
    : await serialiseWrite(() => router.handleRequest(fhirRequest, ctx.repo));
  return toHttpResult(answer, { baseUrl: ctx.baseUrl, method, requestHeaders: req.headers, pretty });
}

/** A node:http server answering FHIR requests under `options.basePath`. Not yet listening. */
export function createFhirHttpServer(options: HttpShellOptions): Server {
  const serialiseWrite = createWriteQueue();
  return createServer((req, res) => {
    handle(req, options, serialiseWrite).then(
      (result) => send(res, result),
      // A bug, not a client error: no details leave the server.
      () => send(res, outcomeResult(serverError())),
    );
  });
}
