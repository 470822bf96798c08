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
  readonly other: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface RunningGatewayServer {
  readonly server: Server;
  readonly port: number;
  readonly inFlight: () => number;
  /** Stops accepting and waits for in-flight requests, at most `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
}

export async function startGatewayServer(options: GatewayServerOptions): Promise<RunningGatewayServer> {
  const { mountPath } = options;
  let inFlight = 0;
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 300_000 }, (req, res) => {
    inFlight++;
    res.on('close', () => inFlight--);
    const url = req.url ?? '';
    const next = url.charCodeAt(mountPath.length);
    const isFhir = url.startsWith(mountPath) && (Number.isNaN(next) || next === 0x2f || next === 0x3f);
    (isFhir ? options.fhir : options.other)(req, res);
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
