/**
 * The express app for everything that is not FHIR traffic: `/healthz`, `/readyz` (and `/admin`,
 * `/metrics`, `/console` in later issues). Every error, including express's own (bad JSON, unknown
 * route), becomes a JSON problem document; express's HTML error page with a stack trace never
 * reaches a client.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import { CustosError } from '../errors.js';
import { mapError, sendProblem } from './error-mapper.js';
import { saneRequestId } from './request-context.js';

export interface ReadinessCheck {
  readonly name: string;
  /** true/false, or a verdict with the reason it fails (shown to operators; never PHI). */
  check(signal: AbortSignal): Promise<boolean | { readonly ok: boolean; readonly reason?: string }>;
}

export interface OpsAppOptions {
  readonly readiness: readonly ReadinessCheck[];
  readonly isShuttingDown: () => boolean;
  /** Further routers by mount path, e.g. ['/admin/consents', router]. */
  readonly routers?: ReadonlyArray<readonly [string, express.Router]>;
}

export function createOpsApp(options: OpsAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.status(200).type('application/json').send(JSON.stringify({ status: 'ok' }));
  });

  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    if (!options.isShuttingDown()) {
      await Promise.all(options.readiness.map(async (r) => {
        const signal = AbortSignal.timeout(2000);
        const verdict = await r.check(signal).catch(() => false);
        const ok = typeof verdict === 'boolean' ? verdict : verdict.ok;
        const reason = typeof verdict === 'boolean' ? undefined : verdict.reason;
        checks[r.name] = ok ? 'ok' : reason ? `failing: ${reason}` : 'failing';
      }));
    }
    const ready = !options.isShuttingDown() && Object.values(checks).every((v) => v === 'ok');
    res.status(ready ? 200 : 503).type('application/json')
      .send(JSON.stringify({ status: ready ? 'ready' : options.isShuttingDown() ? 'shutting-down' : 'not-ready', checks }));
  });

  for (const [path, router] of options.routers ?? []) app.use(path, router);

  app.use((req: Request, res: Response) => {
    const requestId = requestIdOf(req);
    sendProblem(res, mapError(new CustosError('NOT_FOUND', `no route for ${req.method} ${req.path.slice(0, 100)}; FHIR is served under /fhir`), requestId), requestId);
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = requestIdOf(req);
    sendProblem(res, mapError(fromBodyParser(error), requestId), requestId);
  });
  return app;
}

/** express.json() failures carry a `type`; turn them into errors that say what to fix. */
function fromBodyParser(error: unknown): unknown {
  switch ((error as { type?: string } | null)?.type) {
    case 'entity.parse.failed':
      return new CustosError('MALFORMED_JSON', 'the request body is not valid JSON');
    case 'entity.too.large':
      return new CustosError('PAYLOAD_TOO_LARGE', 'the request body is too large for this endpoint');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new CustosError('UNSUPPORTED_MEDIA_TYPE', 'send the body as UTF-8 JSON');
    default:
      return error;
  }
}

function requestIdOf(req: Request): string {
  return saneRequestId(req.headers['x-request-id']) ?? randomUUID();
}
