/**
 * The yardstick: the fastest honest reverse proxy we know how to write in Node (field notes:
 * node:http + undici Pool ≈ 60–90 µs CPU per request). It does what any correct proxy must do
 * and nothing more: map the base path, drop hop-by-hop headers (RFC 9110 §7.6.1) both ways, keep
 * upstream connections alive, and stream the body through without buffering it. No auth, no
 * consent, no audit: "Custos ÷ this" is the price of everything Custos adds.
 *
 *   node dist/bench/reference-proxy.js --upstream http://127.0.0.1:9000/fhir --port 0
 *
 * Prints `{"url":"http://127.0.0.1:<port>/fhir"}` on stdout when listening.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Pool, type Dispatcher } from 'undici';
import { listenAndAnnounce } from './child-lifetime.js';

/** The proxy's own FHIR base path, mapped onto the upstream's base path. */
const BASE_PATH = '/fhir';

/** RFC 9110 §7.6.1 connection-specific fields, plus `host` (undici sets it for the upstream). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

type HeaderValue = string | string[] | undefined;

/**
 * Copies end-to-end headers only. Fields the sender lists in `Connection` are hop-by-hop too
 * (RFC 9110 §7.6.1), so they are dropped as well.
 */
export function endToEndHeaders(headers: Record<string, HeaderValue>, dropAlso?: string): Record<string, string | string[]> {
  const listed = connectionListed(headers['connection']);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || name === dropAlso || listed?.has(name)) continue;
    out[name] = value;
  }
  return out;
}

function connectionListed(value: HeaderValue): Set<string> | undefined {
  if (value === undefined) return undefined;
  const joined = Array.isArray(value) ? value.join(',') : value;
  // "keep-alive" / "close" are the common case and are already in HOP_BY_HOP.
  if (joined === 'keep-alive' || joined === 'close') return undefined;
  return new Set(joined.split(',').map((token) => token.trim().toLowerCase()).filter(Boolean));
}

function badGateway(res: ServerResponse, status: number, diagnostics: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: status === 404 ? 'not-found' : 'transient', diagnostics }],
  });
  res.writeHead(status, { 'content-type': 'application/fhir+json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function createReferenceProxy(upstream: URL, connections: number) {
  const pool = new Pool(upstream.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const upstreamBase = upstream.pathname.replace(/\/$/, '');

  const server = createServer({ keepAliveTimeout: 65_000 }, (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (url !== BASE_PATH && !url.startsWith(`${BASE_PATH}/`) && !url.startsWith(`${BASE_PATH}?`)) {
      return badGateway(res, 404, `Only ${BASE_PATH} is proxied`);
    }
    const method = req.method ?? 'GET';
    const hasBody = method !== 'GET' && method !== 'HEAD';
    // `stream` (not `request`) writes straight into `res`: no intermediate Readable per request.
    // If the client goes away, undici sees `res` close early and aborts the upstream request.
    pool.stream(
      {
        method: method as Dispatcher.HttpMethod,
        path: upstreamBase + url.slice(BASE_PATH.length),
        headers: endToEndHeaders(req.headers as IncomingHttpHeaders, 'host'),
        body: hasBody ? req : null,
      },
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, endToEndHeaders(headers as Record<string, HeaderValue>));
        return res;
      },
      (err) => {
        if (err) badGateway(res, 502, 'Upstream request failed');
      },
    );
  });
  return { server, pool };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      upstream: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      connections: { type: 'string', default: '256' },
      'watch-stdin': { type: 'boolean', default: false },
    },
  });
  if (!values.upstream) {
    process.stderr.write('reference-proxy: --upstream <FHIR base URL> is required\n');
    process.exit(2);
  }
  const { server, pool } = createReferenceProxy(new URL(values.upstream), Number(values.connections));
  listenAndAnnounce(server, values.host, Number(values.port), BASE_PATH, values['watch-stdin']);
  process.on('exit', () => void pool.destroy());
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
