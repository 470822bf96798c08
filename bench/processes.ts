/**
 * Child-process management for the benchmark: start each server (and the load generator) in its
 * own process, optionally pinned to CPU cores with `taskset`, wait until it is ready, and make sure
 * every one of them is gone when the harness ends, whether normally, by error or by Ctrl-C.
 *
 * Each child gets its own process group (`detached`), so stopping it also stops whatever it
 * spawned (Custos may start a local chain); we signal only groups we created, by id.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, createWriteStream, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** How the harness knows a child is ready to take load. */
export type Readiness =
  /** The child prints one JSON object line on stdout (our servers, the sample server). */
  | { kind: 'stdout-json' }
  /** The child answers 200 on this URL (Custos: `GET /healthz`). */
  | { kind: 'http-ok'; url: string };

export interface StartSpec {
  /** Short name, used in messages and as the log file's name. */
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Cores to pin to; undefined = no pinning. Only pass cores when `tasksetStatus().ok`. */
  cpus?: readonly number[] | undefined;
  readiness: Readiness;
  timeoutMs: number;
  /** Child stderr (and stdout, once ready) goes here, not through the harness. */
  logFile: string;
  /** Open an IPC channel (the load generator talks to the harness over it). */
  ipc?: boolean;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** The parsed readiness line for `stdout-json`, `{ url }` for `http-ok`. */
  readonly ready: Record<string, unknown>;
  readonly logFile: string;
  stop(): Promise<void>;
}

const live = new Set<ManagedProcess>();

/** Is `taskset` usable here, and are there at least two cores to separate load from server? */
export function tasksetStatus(cores: number): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `not Linux (${process.platform})` };
  if (cores < 2) return { ok: false, reason: `only ${cores} core available` };
  const probe = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore', timeout: 5_000 });
  if (probe.error) return { ok: false, reason: `taskset not found (${probe.error.message}); install util-linux` };
  if (probe.status !== 0) return { ok: false, reason: `taskset -c 0 failed with status ${probe.status}` };
  return { ok: true };
}

/** Re-pins a running process (all its threads) to `cpus`. Returns false if taskset refused. */
export function pinProcess(pid: number, cpus: readonly number[]): boolean {
  const result = spawnSync('taskset', ['-a', '-p', '-c', cpus.join(','), String(pid)], { stdio: 'ignore', timeout: 5_000 });
  return result.status === 0;
}

/** A port that was free a moment ago, for children that must be told their port up front. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a child and resolves once it is ready; rejects (and kills it) on exit or timeout. */
export async function startProcess(spec: StartSpec): Promise<ManagedProcess> {
  writeFileSync(spec.logFile, '');
  const logFd = openSync(spec.logFile, 'a');
  const stdoutToLog = spec.readiness.kind === 'http-ok';
  // Our own servers watch stdin and exit when it closes: the harness's death closes it.
  const stdio: StdioOptions = ['pipe', stdoutToLog ? logFd : 'pipe', logFd];
  if (spec.ipc) stdio.push('ipc');
  const [command, args] = spec.cpus
    ? ['taskset', ['-c', spec.cpus.join(','), spec.command, ...spec.args]]
    : [spec.command, [...spec.args]];
  const child = spawn(command, args, { stdio, detached: true, env: spec.env ?? process.env, cwd: spec.cwd });
  closeSync(logFd);

  const managed = manage(spec, child);
  try {
    const ready = await waitReady(spec, child);
    Object.assign(managed.ready, ready);
    return managed;
  } catch (error) {
    await managed.stop();
    throw error;
  }
}

function manage(spec: StartSpec, child: ChildProcess): ManagedProcess {
  let exited = child.exitCode !== null;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  const managed: ManagedProcess = {
    name: spec.name,
    pid: child.pid ?? -1,
    child,
    ready: {},
    logFile: spec.logFile,
    async stop() {
      live.delete(managed);
      if (!exited) {
        signalGroup(managed.pid, 'SIGTERM');
        if (!(await within(exit, 3_000))) signalGroup(managed.pid, 'SIGKILL');
        await within(exit, 2_000);
      }
      // Whatever the leader left behind in its group (a local chain, say) goes too.
      signalGroup(managed.pid, 'SIGKILL');
      child.stdin?.destroy();
      child.stdout?.destroy();
      if (child.connected) child.disconnect();
    },
  };
  if (managed.pid > 0) live.add(managed);
  return managed;
}

function waitReady(spec: StartSpec, child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, value?: Record<string, unknown>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value ?? {});
    };
    const timer = setTimeout(
      () => finish(new Error(`${spec.name}: not ready after ${spec.timeoutMs} ms (log: ${spec.logFile})`)),
      spec.timeoutMs,
    );
    child.once('error', (error) => finish(new Error(`${spec.name}: could not start: ${error.message}`)));
    child.once('exit', (code, signal) =>
      finish(new Error(`${spec.name}: exited (${signal ?? `code ${code}`}) before it was ready.${logTail(spec.logFile)}`)),
    );
    const readiness = spec.readiness;
    if (readiness.kind === 'stdout-json') {
      watchStdout(spec, child, (line) => finish(undefined, line));
    } else {
      void pollHttp(readiness.url, () => settled).then((ok) => ok && finish(undefined, { url: readiness.url }));
    }
  });
}

/** Looks for the first JSON-object line on stdout; everything (before and after) goes to the log. */
function watchStdout(spec: StartSpec, child: ChildProcess, onReady: (line: Record<string, unknown>) => void): void {
  const log = createWriteStream(spec.logFile, { flags: 'a' });
  let pending = '';
  let ready = false;
  child.stdout?.on('data', (chunk: Buffer) => {
    log.write(chunk);
    if (ready) return;
    pending += chunk.toString('utf8');
    let newline: number;
    while (!ready && (newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      const parsed = parseJsonObject(line);
      if (parsed) {
        ready = true;
        pending = '';
        onReady(parsed);
      }
    }
  });
  child.stdout?.once('close', () => log.end());
}

function parseJsonObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Polls until 200, or until `stopped()` says the caller gave up (the outer timeout bounds it). */
async function pollHttp(url: string, stopped: () => boolean): Promise<boolean> {
  while (!stopped()) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

function logTail(logFile: string): string {
  try {
    const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-8).join('\n  ');
    return lines ? `\n  ${lines}` : ` (log ${logFile} is empty)`;
  } catch {
    return '';
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const result = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}

/** Stops every child still running (in parallel, each bounded by `stop()`'s own timeouts). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((managed) => managed.stop()));
}

/**
 * Ctrl-C, SIGTERM or a crash must not leave servers behind: stop them all, then exit. The
 * synchronous `exit` hook is the last resort (it cannot wait, so it sends SIGKILL).
 */
export function installCleanup(log: (message: string) => void): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: stopping ${live.size} child process(es)…`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => {
    for (const managed of live) signalGroup(managed.pid, 'SIGKILL');
  });
}
