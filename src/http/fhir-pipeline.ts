/**
 * The FHIR request, end to end (ARCHITECTURE.md, "The request, end to end"). This file only calls
 * each step in order; every step is a small module with one job. Later steps (authenticate,
 * decide, filter) are in `handle`; the audit step and the answer are in `finish`, in that order.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Authenticator } from '../adapters/identity/authenticator.js';
import { wwwAuthenticate } from '../adapters/identity/www-authenticate.js';
import { toUpstreamError } from '../adapters/upstream/upstream-errors.js';
import type { CustosConfig } from '../config/types.js';
import { CustosError } from '../errors.js';
import { BaseRewriter } from '../fhir/base-rewriter.js';
import { classifyRequest, refineBundleInteraction } from '../fhir/classify.js';
import { checkRequestContentType, negotiateResponseFormat } from '../fhir/format.js';
import type { FhirInteraction } from '../fhir/interaction.js';
import { parseJsonBody } from '../fhir/json-body.js';
import { hasSearchCriteria, parseFormBody, parseQuery, serializeQuery } from '../fhir/query.js';
import { splitPathSegments } from '../fhir/request-path.js';
import type { CancelToken, FhirSource } from '../fhir/upstream.js';
import { checkScopes, scopeRequirement } from '../policy/interaction-scope.js';
import type { Actor } from '../policy/identity/actor.js';
import type { DecisionRecord } from '../policy/request-access.js';
import { callerOf, isRegistrar, prepareConsentResource, type ConsentIntakeDeps, type RecordedConsent } from './consent-intake.js';
import type { AuditTrail } from './audit-trail.js';
import { mapError, sendOperationOutcome, type MappedError } from './error-mapper.js';
import { runBatch, guardTransaction } from './enforcement/batch-runner.js';
import type { Enforcer } from './enforcement/enforcer.js';
import { executeInteraction, type ExecutionResult } from './enforcement/interaction-executor.js';
import { collectAnswer } from '../fhir/upstream-json.js';
import { clientResponseHeaders, upstreamRequestHeaders } from './header-hygiene.js';
import { auditedAddress, createRequestContext, fallbackContext, publicOrigin, type ContextOptions, type RequestContext } from './request-context.js';
import { hasRequestBody, readRequestBody } from './request-body.js';
import { asXmlResult, xmlRequestBody } from './xml-answers.js';
import type { UnauthenticatedLimiter } from './unauthenticated-limiter.js';

export interface FhirPipelineOptions {
  readonly mountPath: string; // e.g. '/fhir'
  readonly source: FhirSource;
  /** Who is calling: every interaction but the CapabilityStatement needs a valid token. */
  readonly authenticator: Authenticator;
  /** A registrar's Consent written through the FHIR API is also recorded on chain. */
  readonly consentIntake?: ConsentIntakeDeps;
  /** Consent enforcement: every interaction but the CapabilityStatement is decided. */
  readonly enforcer: Enforcer;
  /** Every request's audit event is committed before its answer leaves. */
  readonly audit: AuditTrail;
  readonly config: CustosConfig;
  readonly logger: Logger;
  /** Under type routing: other upstream bases and the gateway paths they are served at (links rewritten there). */
  readonly otherBases?: ReadonlyArray<readonly [upstreamBase: string, mountPath: string]>;
  /** Requests without a valid token beyond this per-address limit get 429 and are counted, not audited one by one. */
  readonly unauthenticatedLimiter?: UnauthenticatedLimiter;
  /** The source's CapabilityStatement narrowed to what this gateway lets through (`/metadata`). */
  readonly capabilities?: (statement: Record<string, unknown>) => Promise<Record<string, unknown>>;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createFhirPipeline(options: FhirPipelineOptions): RequestHandler {
  const { mountPath, source, config, logger, authenticator, consentIntake, enforcer, audit } = options;
  const contextOptions: ContextOptions = { trustProxy: config.server.trustProxy, publicUrl: config.server.publicUrl };
  const rewriters = new RewriterCache(source.baseUrl, mountPath, options.otherBases ?? []);

  /** What a handled request sends back, once its audit event is durable. */
  interface Answer {
    readonly result: ExecutionResult;
    readonly rewriter: BaseRewriter;
    readonly isHead: boolean;
    readonly extraHeaders?: Record<string, string>;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, context: RequestContext, cancel: CancelToken): Promise<Answer> {
    // ingress: path safety, query, format
    const { path, query: rawQuery } = splitTarget(req.url ?? '', mountPath);
    context.path = path;
    context.rawQuery = rawQuery;
    const segments = splitPathSegments(path);
    let query = parseQuery(rawQuery);
    if (enforcer.bulk.isBulkPath(path)) return serveBulkExport(req, context, path);
    if (negotiateResponseFormat(query.format, req.headers.accept) === 'xml') context.xml = true;

    // classify
    let interaction = classifyRequest({
      method: req.method ?? 'GET',
      segments,
      hasCriteria: hasSearchCriteria(query.params),
      ifNoneExist: req.headers['if-none-exist'] !== undefined,
    });
    context.interaction = interaction;
    const breakGlassHeader = header(req, 'x-break-glass');
    // authenticate before reading any body, and check the token's SMART scopes
    let actor: Actor | undefined;
    const needed = scopeRequirement(interaction);
    if (needed) {
      const purposeHeader = req.headers['x-purpose-of-use'];
      actor = await authenticator.authenticate(req.headers.authorization, typeof purposeHeader === 'string' ? { purposeOfUse: purposeHeader } : {});
      context.actor = actor;
      // An emergency-access claim is recorded (and reviewed) only from an authenticated caller.
      if (breakGlassHeader !== undefined) context.breakGlassReason = breakGlassHeader.trim().slice(0, 500);
      checkScopes(actor.scopes, interaction, needed);
    }

    let body: Buffer | undefined;
    let parsed: unknown;
    let pendingConsent: { commit(): Promise<RecordedConsent> } | undefined;
    let bodyFromXml = false;
    if (interaction.bodyKind !== 'none' && hasRequestBody(req)) {
      const bodyFormat = checkRequestContentType(interaction.bodyKind, interaction.method, req.headers['content-type'], true);
      body = await readRequestBody(req, res, config.server.bodyLimitBytes);
      if (interaction.bodyKind === 'json') {
        if (bodyFormat === 'xml') {
          ({ parsed, json: body } = xmlRequestBody(body)); // the upstream and enforcement see JSON only
          bodyFromXml = true;
        } else {
          parsed = parseJsonBody(body);
        }
        interaction = refineBundleInteraction(interaction, parsed);
        context.interaction = interaction;
        if (consentIntake && actor && interaction.kind === 'create' && interaction.resourceType === 'Consent' && isRegistrar(callerOf(actor))) {
          pendingConsent = await prepareConsentResource(consentIntake, callerOf(actor), parsed); // refused here if invalid
        }
      } else {
        const form = parseFormBody(body);
        if (form.format !== undefined) context.xml = negotiateResponseFormat(form.format, undefined) === 'xml';
        query = { params: [...query.params, ...form.params] };
        body = undefined;
        interaction = { ...interaction, method: 'GET', path: interaction.path.replace(/\/_search$/, '') };
      }
    } else if (interaction.kind === 'batch') {
      throw new CustosError('INVALID_REQUEST', 'a POST to the FHIR base must carry a Bundle of type "batch" or "transaction"');
    } else if (interaction.bodyKind === 'json' && interaction.kind !== 'operation') {
      throw new CustosError('INVALID_REQUEST', `a ${interaction.kind} needs a JSON body`);
    }

    const headers = upstreamRequestHeaders(req.headers, context);
    if (bodyFromXml) headers['content-type'] = 'application/fhir+json';
    const rewriter = rewriters.for(publicOrigin(context, contextOptions));
    const isHead = interaction.method === 'HEAD';
    if (!actor) {
      // The CapabilityStatement: public, holds no patient data.
      const upstream = await source.send({ method: interaction.method, path: interaction.path, query: serializeQuery(query.params), headers, cancel });
      const answer = await collectAnswer(upstream, config.enforcement.maxResponseBytes);
      if (options.capabilities && answer.status === 200 && answer.json?.['resourceType'] === 'CapabilityStatement') {
        const narrowed = await options.capabilities(answer.json);
        return { result: { status: 200, headers: answer.headers, body: Buffer.from(JSON.stringify(narrowed)), json: narrowed }, rewriter, isHead };
      }
      return { result: { status: answer.status, headers: answer.headers, body: answer.raw, json: answer.json }, rewriter, isHead };
    }

    // A change must not reach the upstream (or the chain) while its audit event would be refused;
    // once decided, its write-ahead event is made durable before it is forwarded (one per request).
    let beforeChange: (() => Promise<void>) | undefined;
    if (interaction.method !== 'GET' && interaction.method !== 'HEAD') {
      audit.ready();
      let attempt: Promise<void> | undefined;
      const method = interaction.method;
      beforeChange = () => (attempt ??= audit.attempt(context, method));
    }

    // decide-before, forward, decide-after (src/http/enforcement/)
    const access = enforcer.accessFor(actor, interaction, query.params, breakGlassHeader);
    context.access = access;
    const ownSubject = access.prepareActor(); // a patient's own records at a source with other ids
    if (ownSubject) await ownSubject;
    const bundleContext = { access, scopes: actor.scopes, clientId: actor.clientId, headers, cancel, requestId: context.requestId, ...(beforeChange ? { beforeChange } : {}) };
    let result: ExecutionResult;
    if (interaction.kind === 'batch') {
      const answer = await runBatch(parsed as Record<string, unknown>, bundleContext, enforcer.executor);
      const bytes = Buffer.from(JSON.stringify(answer));
      result = { status: 200, headers: { 'content-type': 'application/fhir+json; charset=utf-8' }, body: bytes, json: answer };
    } else {
      if (interaction.kind === 'transaction') {
        enforcer.executor.validateResource?.(parsed); // the whole Bundle: one invalid entry refuses the transaction
        parsed = await guardTransaction(parsed as Record<string, unknown>, bundleContext, enforcer.executor);
        body = Buffer.from(JSON.stringify(parsed));
      }
      result = await executeInteraction(
        { interaction, params: query.params, ...(body ? { body } : {}), parsed, headers, access, clientId: actor.clientId, cancel, ...(beforeChange ? { beforeChange } : {}) },
        enforcer.executor,
      );
      if (interaction.kind === 'operation' && interaction.operation === 'export' && result.status === 202) result = enforcer.bulk.afterKickoff(result, actor.clientId);
    }

    // a registrar's Consent, stored upstream, becomes on-chain grants (the chain is the source of consent)
    let extraHeaders: Record<string, string> | undefined;
    if (pendingConsent && result.status >= 200 && result.status < 300) {
      const recorded = await pendingConsent.commit();
      extraHeaders = { 'x-custos-consent-grants': recorded.grants.map((g) => g.id).join(',') };
    }
    return { result, rewriter, isHead, ...(extraHeaders ? { extraHeaders } : {}) };
  }

  /** An export's poll URL or file (bulk-export.ts): authenticated, bound to the client that started it. */
  async function serveBulkExport(req: IncomingMessage, context: RequestContext, path: string): Promise<Answer> {
    const interaction: FhirInteraction = { kind: 'operation', operation: 'export', method: req.method === 'DELETE' ? 'DELETE' : 'GET', path, conditional: false, bodyKind: 'none' };
    context.interaction = interaction;
    const actor = await authenticator.authenticate(req.headers.authorization, {});
    context.actor = actor;
    const access = enforcer.accessFor(actor, interaction, [], undefined);
    context.access = access;
    const headers = upstreamRequestHeaders(req.headers, context);
    const result = await enforcer.bulk.handle(path, req.method ?? 'GET', access, actor.clientId, headers);
    return { result, rewriter: rewriters.for(publicOrigin(context, contextOptions)), isHead: false };
  }

  /** Audit, then respond: the answer (or the error) leaves only once its audit event is durable. */
  async function finish(req: IncomingMessage, res: ServerResponse, context: RequestContext, answer: Answer | undefined, error: unknown): Promise<void> {
    const requestId = context.requestId;
    let mapped: MappedError | undefined;
    if (answer && context.xml) {
      // Here, once the format is final (a form body's _format is read late), and before the audit.
      try {
        answer = { ...answer, result: asXmlResult(answer.result) };
      } catch (conversionError) {
        answer = undefined;
        error = conversionError;
      }
    }
    if (!answer) {
      mapped = mapError(isUndiciError(error) ? toUpstreamError(error, config.upstream) : error, requestId);
      if (mapped.code === 'INTERNAL' && !context.clientGone) logger.error({ requestId, err: error }, 'unexpected error');
      else if (mapped.status >= 500 && !context.clientGone) logger.warn({ requestId, code: mapped.code, status: mapped.status }, 'upstream failure');
      const limiter = options.unauthenticatedLimiter;
      const address = auditedAddress(context);
      if (mapped.code === 'UNAUTHENTICATED' && limiter && !(await limiter.admit(address))) {
        // Over the limit: counted into the address's summary event instead of one durable event each.
        const seconds = Math.max(1, Math.ceil(limiter.retryAfterMs(address) / 1000));
        const limited = mapError(new CustosError('RATE_LIMITED', `too many requests without a valid token from this address; authenticate, or retry after ${seconds} s`), requestId);
        if (!context.clientGone) sendOperationOutcome(res, limited, { 'x-request-id': requestId, 'retry-after': String(seconds) }, context.xml === true);
        return;
      }
    }
    try {
      await audit.commit(context, {
        method: req.method ?? 'GET',
        status: answer ? answer.result.status : mapped!.status,
        ...(mapped ? { failure: mapped.code } : {}),
        ...(answer ? { json: answer.result.json, location: headerText(answer.result.headers['location']) } : {}),
      });
    } catch (auditError) {
      // No data without its audit record: whatever was about to be sent becomes a 503.
      logger.error({ requestId, code: (auditError as { code?: unknown }).code }, 'audit event not committed: answering 503');
      answer = undefined;
      error = auditError;
      mapped = mapError(auditError, requestId);
    }
    if (context.clientGone) {
      logger.debug({ requestId }, 'the client closed the connection before the answer was complete');
    } else if (answer) {
      sendResult(res, answer.result, answer.rewriter, answer.isHead, requestId, answer.extraHeaders);
    } else {
      const headers: Record<string, string> = { 'x-request-id': requestId };
      if (mapped!.status === 401 || mapped!.code === 'INSUFFICIENT_SCOPE') headers['www-authenticate'] = wwwAuthenticate(error);
      if (mapped!.code === 'AUDIT_UNAVAILABLE') headers['retry-after'] = String(config.audit.retryAfterSeconds);
      sendOperationOutcome(res, mapped!, headers, context.xml === true);
    }
    if (!logger.isLevelEnabled('debug')) return;
    logger.debug({
      requestId,
      method: req.method,
      interaction: context.interaction?.kind,
      resourceType: context.interaction?.resourceType,
      status: context.clientGone ? 499 : res.statusCode, // 499: client closed (nginx's convention)
      ...(context.access ? { decision: describeDecision(context.access.record) } : {}),
      ms: Number(process.hrtime.bigint() - context.startedAt) / 1e6,
    }, 'fhir request');
  }

  return (req, res) => {
    let context: RequestContext;
    try {
      context = createRequestContext(req, contextOptions);
    } catch (error) {
      finish(req, res, fallbackContext(req), undefined, error).catch(() => {
        if (!res.headersSent) res.destroy();
      });
      return;
    }
    // Cancelled only when the client goes away before the answer is complete.
    const cancel: CancelToken = {};
    res.on('close', () => {
      if (!res.writableFinished) {
        context.clientGone = true;
        cancel.onCancel?.();
      }
    });
    let handled: Promise<Answer>;
    try {
      handled = handle(req, res, context, cancel);
    } catch (error) {
      handled = Promise.reject(error);
    }
    handled.then(
      (answer) => finish(req, res, context, answer, undefined),
      (error: unknown) => finish(req, res, context, undefined, error),
    ).catch((error: unknown) => {
      logger.error({ requestId: context.requestId, err: error }, 'unexpected error while answering');
      if (!res.headersSent) res.destroy();
    });
  };
}

/** Splits the raw request target into the path below the mount point and the raw query. */
function splitTarget(url: string, mountPath: string): { path: string; query: string } {
  if (!url.startsWith(mountPath)) throw new CustosError('NOT_FOUND', 'not a FHIR endpoint');
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).slice(mountPath.length);
  if (path !== '' && !path.startsWith('/')) throw new CustosError('NOT_FOUND', 'not a FHIR endpoint');
  return { path, query: q < 0 ? '' : url.slice(q + 1) };
}

/** What decided, for the log: rules, counts, grant ids and the break-the-glass flag; never patients. */
function describeDecision(record: DecisionRecord): Record<string, unknown> {
  return { permitted: record.permitted, denied: record.denied, rules: [...record.rules], grants: [...record.grantIds], breakGlass: record.breakGlass };
}

function header(req: IncomingMessage, name: string): string | undefined {
  return headerText(req.headers[name]);
}

function headerText(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : undefined;
}

function sendResult(res: ServerResponse, result: ExecutionResult, rewriter: BaseRewriter, isHead: boolean, requestId: string, extraHeaders?: Record<string, string>): void {
  const headers = clientResponseHeaders(result.headers as Record<string, string | string[] | undefined>, rewriter);
  if (extraHeaders) Object.assign(headers, extraHeaders);
  headers['x-request-id'] = requestId;
  // The answer's format follows Accept (JSON or XML): caches must key on it.
  const vary = headers['vary'];
  if (vary === undefined) headers['vary'] = 'Accept';
  else if (!/\baccept\b/i.test(String(vary))) headers['vary'] = `${String(vary)}, Accept`;
  const body = result.body.length > 0 ? rewriter.rewriteBuffer(result.body) : result.body;
  if (body.length === 0) delete headers['content-type'];
  headers['content-length'] = body.length;
  res.writeHead(result.status, headers);
  res.end(isHead ? undefined : body);
}

function isUndiciError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('UND_ERR') || code.startsWith('E'));
}

/** One rewriter per public base; bounded, since the base can follow the client's Host header. */
class RewriterCache {
  private readonly cache = new Map<string, BaseRewriter>();
  private last: BaseRewriter | undefined;
  private lastOrigin = '';
  constructor(
    private readonly upstreamBase: string,
    private readonly mountPath: string,
    private readonly otherBases: ReadonlyArray<readonly [string, string]>,
  ) {}

  for(origin: string): BaseRewriter {
    if (this.last && this.lastOrigin === origin) return this.last;
    let rewriter = this.cache.get(origin);
    if (!rewriter) {
      if (this.cache.size >= 32) this.cache.clear();
      rewriter = new BaseRewriter(this.upstreamBase, origin + this.mountPath, this.otherBases.map(([base, path]) => [base, origin + path] as const));
      this.cache.set(origin, rewriter);
    }
    this.last = rewriter;
    this.lastOrigin = origin;
    return rewriter;
  }
}
