/**
 * FHIR GraphQL (https://hl7.org/fhir/R4/graphql.html): `POST [base]/$graphql` with
 * `{ query, variables?, operationName? }` and `GET [base]/$graphql?query=…`.
 *
 * medplum's fhir-router ships the resolver (queries such as `Patient(id: "…")` and
 * `ObservationList(subject: "Patient/…")`, reverse references, mutations) and routes only POST;
 * it runs unchanged on the MemoryRepository. We add what a client of a real server expects:
 * - GET, which graphql.html defines and clients use for read-only queries; a mutation by GET is
 *   refused (405), since GET must not change data (GraphQL over HTTP, RFC 9110 §9.2.1);
 * - 400 instead of a 500 when the POST body is not a JSON object.
 * The answer is `application/json` (a GraphQL response, not a FHIR resource), with HTTP 200 even
 * when `errors` is present, as GraphQL servers answer.
 *
 * Searches inside GraphQL go straight to medplum's search, so they lack the fixes of
 * `search-query.ts`: a bare id in a reference argument matches nothing (use `Patient/pat-001`), and
 * string arguments match by "contains".
 */
import type { FhirRouteHandler } from '@medplum/fhir-router';
import { badRequest, type FhirRouter } from './medplum.js';
import { fail, methodNotAllowed } from './outcomes.js';

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.at(-1) : value);

/** Crude on purpose (as medplum's own check): a query that names a mutation is not sent by GET. */
const MUTATION = /\bmutation\b/;

function getHandler(post: FhirRouteHandler): FhirRouteHandler {
  return async (req, repo, router, options) => {
    const query = single(req.query.query);
    if (!query) fail(badRequest('GET $graphql needs the GraphQL query in the "query" parameter.', 'query'));
    if (MUTATION.test(query)) {
      const outcome = methodNotAllowed('GET', '/$graphql');
      fail({ ...outcome, issue: [{ severity: 'error', code: 'not-supported', details: { text: 'A GraphQL mutation changes data: send it by POST [base]/$graphql, not GET.' } }] });
    }
    const rawVariables = single(req.query.variables);
    let variables: unknown;
    try {
      variables = rawVariables === undefined ? undefined : JSON.parse(rawVariables);
    } catch {
      fail(badRequest('The "variables" parameter must be a JSON object.', 'variables'));
    }
    const operationName = single(req.query.operationName);
    return post({ ...req, body: { query, variables, operationName } }, repo, router, options);
  };
}

const requireObjectBody = (post: FhirRouteHandler): FhirRouteHandler => async (req, repo, router, options) => {
  const body = req.body as unknown;
  if (!body || typeof body !== 'object' || Array.isArray(body)) fail(badRequest('POST $graphql takes a JSON object: {"query": "…", "variables": {…}}.'));
  return post(req, repo, router, options);
};

/** Makes medplum's POST `$graphql` route safe for bad bodies and adds the GET form. */
export function registerGraphql(router: FhirRouter): void {
  const route = router.router.routes.find((r) => r.method === 'POST' && r.path.length === 1 && r.path[0]?.value === '$graphql');
  if (!route) throw new Error('medplum FhirRouter has no POST $graphql route; was it renamed?');
  route.handler = requireObjectBody(route.handler);
  router.add('GET', '$graphql', getHandler(route.handler), 'operation');
}
