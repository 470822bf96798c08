/**
 * The HTTP server. FHIR traffic under the mount path goes straight from node:http to the FHIR
 * pipeline; everything else goes to the express app. (Express routing every FHIR request costs a
 * measurable share of throughput on the hot path; see the closing note of issue 2 and bench/.)
 *
 * Graceful shutdown: stop accepting, let in-flight requests finish (bounded), close idle
 * keep-alive connections, then resolve.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from './fhir-pipeline.js';

export interface GatewayServerOptions {
  readonly host: string;
  readonly port: number;
  readonly mountPath: string;
  readonly fhir: RequestHandler;
  /** Every source's own FHIR base, `/sources/{id}/fhir`, by source id. */
  readonly sources?: ReadonlyMap<string, RequestHandler>;
  readonly other: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface RunningGatewayServer {
  readonly server: Server;
  readonly port: number;
  readonly inFlight: () => number;
  /** Stops accepting and waits for in-flight requests, at most `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
}

const SOURCES = '/sources/';

/** The path continues with `/`, `?` or ends: `/fhirX` is not under `/fhir`. */
function isBoundary(url: string, at: number): boolean {
  const next = url.charCodeAt(at);
  return Number.isNaN(next) || next === 0x2f || next === 0x3f;
}

/** `/sources/{id}/fhir...` → that source's pipeline. */
function sourceHandler(url: string, sources: ReadonlyMap<string, RequestHandler>): RequestHandler | undefined {
  const end = url.indexOf('/', SOURCES.length);
  if (end < 0 || !url.startsWith('/fhir', end) || !isBoundary(url, end + 5)) return undefined;
  return sources.get(url.slice(SOURCES.length, end));
}

export async function startGatewayServer(options: GatewayServerOptions): Promise<RunningGatewayServer> {
  const { mountPath } = options;
  let inFlight = 0;
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 300_000 }, (req, res) => {
    inFlight++;
    res.on('close', () => inFlight--);
    const url = req.url ?? '';
    if (url.startsWith(mountPath) && isBoundary(url, mountPath.length)) return options.fhir(req, res);
    const source = options.sources && url.startsWith(SOURCES) ? sourceHandler(url, options.sources) : undefined;
    (source ?? options.other)(req, res);
  });
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    inFlight: () => inFlight,
    async close(timeoutMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + timeoutMs;
      while (inFlight > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 25));
        server.closeIdleConnections();
      }
      server.closeAllConnections();
      await closed;
    },
  };
}
