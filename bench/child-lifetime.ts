/**
 * The two halves of the contract between the harness and the servers it starts (see
 * `processes.ts`): announce readiness with one JSON line on stdout, and die with the harness.
 */
import type { Server } from 'node:http';

/**
 * Prints `{"url": ...}` as one line on stdout: the readiness signal the harness waits for, the
 * same contract as the bundled sample server (`dist/src/sample-server/standalone.js`).
 */
export function announceReady(url: string): void {
  process.stdout.write(`${JSON.stringify({ url })}\n`);
}

/**
 * The harness holds our stdin open; when it goes away (even killed by SIGKILL, when no cleanup
 * handler can run) the pipe closes and we exit, so no benchmark server outlives its harness.
 */
export function exitWhenStdinCloses(): void {
  process.stdin.on('close', () => process.exit(0));
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

/** SIGTERM is how the harness stops us; exit at once, there is nothing to flush. */
export function exitOnSigterm(): void {
  process.on('SIGTERM', () => process.exit(0));
}

/**
 * Listens, then announces the server's FHIR base on stdout (the readiness contract), and wires the
 * shutdown signals every bench child honours.
 */
export function listenAndAnnounce(server: Server, host: string, port: number, basePath: string, watchStdin: boolean): void {
  server.listen(port, host, () => {
    const address = server.address();
    const actual = typeof address === 'object' && address ? address.port : port;
    announceReady(`http://${host}:${actual}${basePath}`);
  });
  if (watchStdin) exitWhenStdinCloses();
  exitOnSigterm();
}

