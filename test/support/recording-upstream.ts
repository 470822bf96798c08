/**
 * A test spy, not a FHIR server: a pass-through placed between Custos and the real sample FHIR
 * server that records exactly what Custos sent upstream (method, raw path, headers, body), so
 * tests can assert what was (and was not) forwarded. Responses are relayed byte for byte.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface RecordingUpstream {
  /** Base URL to configure as Custos' upstream, e.g. http://127.0.0.1:1234/fhir */
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startRecordingUpstream(targetBaseUrl: string): Promise<RecordingUpstream> {
  const target = new URL(targetBaseUrl);
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: body.toString() });
    const headers = { ...req.headers };
    delete headers.host;
    delete headers.connection;
    delete headers['content-length'];
    try {
      const upstream = await request(target.origin + (req.url ?? ''), {
        method: req.method as 'GET',
        headers: headers as Record<string, string>,
        body: body.length ? body : null,
      });
      const out = { ...upstream.headers };
      delete out['transfer-encoding'];
      delete out['connection'];
      delete out['keep-alive'];
      res.writeHead(upstream.statusCode, out);
      for await (const chunk of upstream.body) res.write(chunk);
      res.end();
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${target.pathname.replace(/\/$/, '')}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
