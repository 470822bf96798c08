/**
 * A named mock, for failure modes a real FHIR server cannot be made to produce on demand: an
 * upstream that answers XML, hangs, sends hop-by-hop headers, streams slowly. Each test scripts
 * the answer. Everything a real server can do is tested against the real sample server instead.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedUpstream {
  readonly url: string;
  readonly hits: () => number;
  close(): Promise<void>;
}

export async function startScriptedUpstream(script: (req: IncomingMessage, res: ServerResponse) => void): Promise<ScriptedUpstream> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    script(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/fhir`,
    hits: () => hits,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
