/**
 * The compliance officers' web console (`/console`): one HTML page, its ES modules and stylesheet
 * (compiled into `src/console/assets/*.ts` as strings, so `dist/` alone serves them: the runtime
 * image ships no `src/`), plus two endpoints of its own:
 *
 * - `POST /console/dev-login` `{user}`: a short-lived `custos/auditor` token from the embedded dev
 *   issuer for `Practitioner/<user>`; 404 unless `identity.devIssuer.enabled`.
 * - `POST /console/api/activity` `{from, to, buckets}`: request counts per time bucket for the
 *   chart (auditor scope; see src/console/activity.ts for its cost).
 *
 * Everything else the console shows comes from the admin API (`/admin/audit`, `/admin/reports`,
 * `/admin/consents`) called from the browser with the officer's bearer token. No patient or actor id
 * ever travels in a URL: the page keeps its state in memory and sends criteria in POST bodies.
 */
import express, { type Request, type Response, type Router } from 'express';
import { countActivity } from '../../console/activity.js';
import { consoleAsset, consoleIndexHtml } from '../../console/console-assets.js';
import type { AuditSearch, StoredAuditEvent } from '../../audit/store.js';
import { CustosError } from '../../errors.js';
import { AUDITOR_SCOPES } from './audit-routes.js';
import { validateBody } from './json-body-validator.js';

/** How long a dev-login token lives: a working session, not a standing credential. */
export const DEV_LOGIN_TTL_SECONDS = 15 * 60;
export const DEV_LOGIN_SCOPE = 'custos/auditor';

export interface ConsoleRouteDeps {
  /** The caller's raw scopes, once authenticated (the same function the audit router gets). */
  authenticate(authorization: string | undefined): Promise<{ readonly scopes: readonly string[] }>;
  readonly store: { search(filter: AuditSearch): Promise<StoredAuditEvent[]> };
  /** The embedded dev issuer; pass it only when `identity.devIssuer.enabled` (else dev login is 404). */
  readonly devIssuer?: { mint(request: { fhirUser: string; scope: string; ttlSeconds: number }): Promise<string> } | undefined;
}

/**
 * The page may run only its own scripts and styles and talk only to this origin; it is never
 * framed; it sends no Referer (a report download or an explorer link carries nothing along).
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

const DATE_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$';

const devLoginSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['user'],
  properties: { user: { type: 'string', pattern: '^[A-Za-z0-9\\-.]{1,64}$' } },
} as const;

const activitySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: {
    from: { type: 'string', pattern: DATE_TIME },
    to: { type: 'string', pattern: DATE_TIME },
    buckets: { type: 'integer', minimum: 1, maximum: 240 },
  },
} as const;

/** At most one year per chart: beyond that a bucket per day is all a 240-bar chart can show anyway. */
const MAX_ACTIVITY_RANGE_MS = 366 * 24 * 3600 * 1000;

export function createConsoleRouter(deps: ConsoleRouteDeps): Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  });
  router.use(express.json({ limit: '4kb', type: ['application/json'] }));

  router.get('/', (_req: Request, res: Response) => {
    res.status(200).type('text/html; charset=utf-8').set('cache-control', 'no-store').send(consoleIndexHtml({ devLogin: deps.devIssuer !== undefined }));
  });

  router.get('/assets/:name', (req: Request, res: Response) => {
    const asset = consoleAsset(String(req.params['name'] ?? ''));
    if (!asset) throw new CustosError('NOT_FOUND', 'no such console asset');
    res.status(200).type(asset.contentType).set('cache-control', 'no-cache').send(asset.body);
  });

  router.post('/dev-login', async (req: Request, res: Response) => {
    const issuer = deps.devIssuer;
    if (!issuer) throw new CustosError('NOT_FOUND', 'dev login is available only in embedded mode (identity.devIssuer.enabled); paste a token from your identity provider instead');
    // A page on another site cannot read the answer (no CORS), nor send JSON without a preflight;
    // a DNS-rebound name is refused here: the dev issuer listens on loopback only.
    if (!isLoopbackName(req.hostname)) throw new CustosError('FORBIDDEN', 'dev login answers only on a loopback host name (localhost, 127.0.0.1, [::1])');
    requireJson(req);
    const { user } = validateBody<{ user: string }>(devLoginSchema, req.body);
    const fhirUser = `Practitioner/${user}`;
    const token = await issuer.mint({ fhirUser, scope: DEV_LOGIN_SCOPE, ttlSeconds: DEV_LOGIN_TTL_SECONDS });
    res.status(200).set('cache-control', 'no-store').json({ token, fhirUser, scope: DEV_LOGIN_SCOPE, expiresIn: DEV_LOGIN_TTL_SECONDS });
  });

  router.post('/api/activity', async (req: Request, res: Response) => {
    const who = await deps.authenticate(req.headers.authorization);
    if (!AUDITOR_SCOPES.some((s) => who.scopes.includes(s))) {
      throw new CustosError('INSUFFICIENT_SCOPE', `the activity chart reads the audit log: it needs the scope ${AUDITOR_SCOPES.join(' or ')}`);
    }
    requireJson(req);
    const body = validateBody<{ from: string; to: string; buckets?: number }>(activitySchema, req.body);
    const from = Date.parse(body.from);
    const to = Date.parse(body.to);
    if (!(from < to)) throw new CustosError('INVALID_REQUEST', 'from must be earlier than to');
    if (to - from > MAX_ACTIVITY_RANGE_MS) throw new CustosError('INVALID_REQUEST', 'chart at most one year at a time');
    res.set('cache-control', 'no-store').json(await countActivity(deps.store, { from, to, buckets: body.buckets ?? 30 }));
  });

  return router;
}

function requireJson(req: Request): void {
  if (!req.is('application/json')) throw new CustosError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
}

function isLoopbackName(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
