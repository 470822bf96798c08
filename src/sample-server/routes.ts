/**
 * The sample server's FHIR router: medplum's FhirRouter with its gaps filled.
 *
 * Our handlers are registered IN medplum's router (rather than in front of it) so that batch and
 * transaction entries (https://hl7.org/fhir/R4/http.html#transaction), which medplum dispatches
 * through the same router, get exactly the behaviour of top-level requests: paging links on a
 * search inside a batch, `$everything` inside a batch, and so on.
 *
 * Route matching in medplum prefers the route with the most literal segments, so
 * `:resourceType/_history` beats `:resourceType/:id`, and `:resourceType/:id/$everything` beats
 * the compartment route `:resourceType/:id/:compartmentType`; likewise the bulk export routes
 * (`$export`, `Patient/$export`, `$export-status/:jobId`, ...) beat the generic ones.
 */
import type { FhirRequest, FhirResponse, FhirRouteHandler } from '@medplum/fhir-router';
import type { Resource } from '@medplum/fhirtypes';
import { wrapBatch } from './batch-response.js';
import { binaryReadWrapper } from './binary-read.js';
import { registerBulkExport } from './bulk-export.js';
import { buildCapabilityStatement } from './capability-statement.js';
import { compartmentSearchHandler } from './compartment-search.js';
import { everythingHandler } from './everything.js';
import { registerGraphql } from './graphql-routes.js';
import { historyInstanceHandler, historySystemHandler, historyTypeHandler } from './history-handlers.js';
import { allOk, badRequest, created, FhirRouter, normalizeOperationOutcome } from './medplum.js';
import { fail, methodNotAllowed, unknownOperation } from './outcomes.js';
import type { SampleContext } from './sample-context.js';
import { requireResourceType, searchSystemHandler, searchTypeHandler } from './search-handlers.js';
import { hasCriteria, parseSearchQuery, toPairs } from './search-query.js';
import { validateHandler } from './validate-operation.js';

type HttpMethod = Parameters<FhirRouter['add']>[0];

function findRoute(router: FhirRouter, method: HttpMethod, path: string) {
  const route = router.router.routes.find(
    (r) => r.method === method && r.path.map((s) => (s.param ? `:${s.value}` : s.value)).join('/') === path,
  );
  if (!route) throw new Error(`medplum FhirRouter has no route ${method} ${path}; was it renamed?`);
  return route;
}

/** Replaces medplum's handler of a route (medplum keeps the first of equally specific routes). */
function replace(router: FhirRouter, method: HttpMethod, path: string, handler: FhirRouteHandler): void {
  findRoute(router, method, path).handler = handler;
}

function wrap(router: FhirRouter, method: HttpMethod, path: string, wrapper: (original: FhirRouteHandler) => FhirRouteHandler): void {
  const route = findRoute(router, method, path);
  route.handler = wrapper(route.handler);
}

function requireBody(req: FhirRequest): Resource {
  const body = req.body as unknown;
  if (!body || typeof body !== 'object' || Array.isArray(body)) fail(badRequest('The request body must be a FHIR resource (a JSON object).'));
  return body as Resource;
}

/** Conditional update/delete/patch and If-None-Exist need real criteria (http.html#cond-update). */
function requireCriteria(resourceType: string, query: Parameters<typeof parseSearchQuery>[1], what: string): void {
  if (!hasCriteria(parseSearchQuery(resourceType, query).request)) {
    fail(badRequest(`${what} needs search criteria, e.g. ?identifier=system|value.`));
  }
}

/** create: the server assigns the id and SHALL ignore one in the body (http.html#create). */
const createWrapper = (original: FhirRouteHandler): FhirRouteHandler => async (req, repo, router, options) => {
  const resourceType = requireResourceType(req.params.resourceType);
  const { id: _ignored, ...body } = requireBody(req);
  const ifNoneExist = req.headers?.['if-none-exist'];
  if (typeof ifNoneExist === 'string') requireCriteria(resourceType, toPairs(Object.fromEntries(new URLSearchParams(ifNoneExist))), 'If-None-Exist');
  const resource = options?.assignedId ? req.body : body;
  return original({ ...req, body: resource }, repo, router, options);
};

/** update: 201 when the update created the resource (http.html#update); medplum says 200. */
const updateWrapper = (ctx: SampleContext) => (original: FhirRouteHandler): FhirRouteHandler => async (req, repo, router, options) => {
  const resourceType = requireResourceType(req.params.resourceType);
  requireBody(req);
  const existed = ctx.repo.exists(resourceType, req.params.id ?? '');
  const response = await original(req, repo, router, options);
  const [outcome, resource] = response;
  return !existed && outcome.id === allOk.id && resource ? [created, resource] : response;
};

const conditionalWrapper = (what: string) => (original: FhirRouteHandler): FhirRouteHandler => async (req, repo, router, options) => {
  const resourceType = requireResourceType(req.params.resourceType);
  requireCriteria(resourceType, req.query, what);
  return original(req, repo, router, options);
};

/**
 * medplum's outcomes say only "Not found", "Gone", "Precondition Failed"; a client (and a
 * gateway author reading logs) deserves to know which resource and why. Status ids are kept.
 */
const explainInstanceOutcome = (original: FhirRouteHandler): FhirRouteHandler => async (req, repo, router, options) => {
  const resourceType = requireResourceType(req.params.resourceType);
  if (req.params.id?.startsWith('$')) fail(unknownOperation(req.params.id, resourceType));
  // medplum's handlers throw their outcomes; its router turns them into responses afterwards.
  const response: FhirResponse = await original(req, repo, router, options).catch((err: unknown) => [normalizeOperationOutcome(err)]);
  const [outcome] = response;
  const target = `${resourceType}/${req.params.id ?? ''}`;
  const text: Record<string, string> = {
    'not-found': `${target} is not known to this server.`,
    gone: `${target} has been deleted.`,
    'precondition-failed': `If-Match does not match the current version of ${target}; read it again to get its ETag.`,
  };
  const explanation = outcome.id ? text[outcome.id] : undefined;
  if (!explanation || response.length > 1) return response;
  return [{ ...outcome, issue: (outcome.issue ?? []).map((issue, i) => (i === 0 ? { ...issue, details: { text: explanation } } : issue)) }];
};

/** POST to a path that is neither `_search` nor a known operation. */
const unknownPost = async (req: FhirRequest): Promise<FhirResponse> => {
  const { resourceType, id, operation = '' } = req.params;
  if (operation.startsWith('$')) fail(unknownOperation(operation, id ? `${resourceType}/{id}` : String(resourceType)));
  fail(methodNotAllowed('POST', req.pathname));
};

export function createSampleRouter(ctx: SampleContext): FhirRouter {
  const router = new FhirRouter();
  replace(router, 'GET', '', searchSystemHandler(ctx));
  replace(router, 'GET', ':resourceType', searchTypeHandler(ctx));
  replace(router, 'POST', ':resourceType/_search', searchTypeHandler(ctx));
  replace(router, 'GET', ':resourceType/:id/_history', historyInstanceHandler(ctx));
  wrap(router, 'POST', '', wrapBatch(ctx));
  wrap(router, 'POST', ':resourceType', createWrapper);
  wrap(router, 'GET', ':resourceType/:id', explainInstanceOutcome);
  wrap(router, 'GET', ':resourceType/:id', binaryReadWrapper);
  wrap(router, 'GET', ':resourceType/:id/_history/:vid', explainInstanceOutcome);
  wrap(router, 'PUT', ':resourceType/:id', updateWrapper(ctx));
  wrap(router, 'PUT', ':resourceType/:id', explainInstanceOutcome);
  wrap(router, 'PATCH', ':resourceType/:id', explainInstanceOutcome);
  wrap(router, 'DELETE', ':resourceType/:id', explainInstanceOutcome);
  wrap(router, 'PUT', ':resourceType', conditionalWrapper('A conditional update'));
  wrap(router, 'DELETE', ':resourceType', conditionalWrapper('A conditional delete'));
  wrap(router, 'PATCH', ':resourceType', conditionalWrapper('A conditional patch'));

  let capabilities: { baseUrl: string; statement: Resource } | undefined;
  const startedAt = new Date().toISOString();
  router.add('GET', 'metadata', async () => {
    if (capabilities?.baseUrl !== ctx.baseUrl) {
      capabilities = { baseUrl: ctx.baseUrl, statement: buildCapabilityStatement(ctx.baseUrl, startedAt) };
    }
    return [allOk, capabilities.statement];
  }, 'read');
  // Interactions named as medplum's batch processor knows them ('read', 'search-type', ...).
  router.add('POST', '_search', searchSystemHandler(ctx), 'search-system');
  router.add('GET', '_history', historySystemHandler(ctx), 'history-system');
  router.add('GET', ':resourceType/_history', historyTypeHandler(ctx), 'history-type');
  router.add('GET', ':resourceType/:id/:compartmentType', compartmentSearchHandler(ctx), 'search-type');
  router.add('GET', ':resourceType/:id/$everything', everythingHandler(ctx), 'operation');
  router.add('POST', ':resourceType/:id/$everything', everythingHandler(ctx), 'operation');
  router.add('POST', ':resourceType/$validate', validateHandler(ctx), 'operation');
  router.add('POST', ':resourceType/:id/$validate', validateHandler(ctx), 'operation');
  router.add('GET', ':resourceType/:id/$validate', validateHandler(ctx), 'operation');
  registerBulkExport(router, ctx);
  registerGraphql(router);
  router.add('POST', ':resourceType/:operation', unknownPost, 'operation');
  router.add('POST', ':resourceType/:id/:operation', unknownPost, 'operation');
  return router;
}
