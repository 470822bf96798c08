/**
 * The embedded chain: an anvil node the gateway starts itself, persisting blocks, receipts, logs and
 * contract state in `<dataDir>/chain/anvil-state.json` so consents survive restarts.
 *
 * anvil 1.7: `--state <file>` loads the file if present and dumps to it on exit (SIGTERM/SIGINT);
 * `--state-interval <s>` also dumps periodically, bounding what a crash loses (the dump rewrites the
 * whole file every interval, even when idle, so keep it in seconds, not milliseconds). Blocks are
 * mined on demand, one per transaction (automine): no `--block-time` loop burning a core.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HDNodeWallet } from 'ethers';
import { CustosError } from '../../errors.js';
import { anvilBinary } from './anvil-binary.js';

/** anvil's own default mnemonic, passed explicitly so `devKey(i)` stays in step with the node. */
export const LOCAL_CHAIN_MNEMONIC = 'test test test test test test test test test test test junk';
export const LOCAL_CHAIN_ID = 31337;

export interface LocalChainOptions {
  /** The chain lives in `<dataDir>/chain/`. */
  readonly dataDir: string;
  readonly host?: string;
  /** 0 (the default) lets the OS pick a free port; anvil reports the one it bound. */
  readonly port?: number;
  readonly chainId?: number;
  /** Periodic state dump, in seconds (default 10); the state is always dumped on close. */
  readonly stateIntervalSeconds?: number;
  readonly startTimeoutMs?: number;
  /** How long close() waits after SIGTERM (dumping the state) before SIGKILL. */
  readonly stopTimeoutMs?: number;
  /** Path of an anvil executable; default: the one of `@foundry-rs/anvil`. */
  readonly binary?: string;
}

export interface LocalChain {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly statePath: string;
  /** Private key of anvil's funded dev account `index` (public test keys: local use only). */
  devKey(index: number): string;
  /** Stops the node, state dumped; resolves once the process has exited. Idempotent. */
  close(): Promise<void>;
}

export async function startLocalChain(options: LocalChainOptions): Promise<LocalChain> {
  const chainDir = join(options.dataDir, 'chain');
  mkdirSync(chainDir, { recursive: true });
  const statePath = join(chainDir, 'anvil-state.json');
  const chainId = options.chainId ?? LOCAL_CHAIN_ID;
  const args = [
    '--host', options.host ?? '127.0.0.1',
    '--port', String(options.port ?? 0),
    '--chain-id', String(chainId),
    '--mnemonic', LOCAL_CHAIN_MNEMONIC,
    '--state', statePath,
    '--state-interval', String(options.stateIntervalSeconds ?? 10),
  ];
  const child = spawn(options.binary ?? anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // If this process exits without close() (a crash, process.exit), still let anvil dump its state.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => process.off('exit', killOnExit), () => undefined);

  let rpcUrl: string;
  try {
    rpcUrl = await listeningUrl(child, options.startTimeoutMs ?? 15_000);
    await waitForRpc(rpcUrl, chainId, options.startTimeoutMs ?? 15_000);
  } catch (error) {
    await stop(child, exited, 2_000);
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    rpcUrl,
    chainId,
    statePath,
    devKey: (index) => HDNodeWallet.fromPhrase(LOCAL_CHAIN_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).privateKey,
    close: () => (closing ??= stop(child, exited, options.stopTimeoutMs ?? 10_000)),
  };
}

/** anvil prints `Listening on <host>:<port>` once bound; with port 0 it is the only way to learn it. */
function listeningUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(`anvil did not start listening within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4096);
      const match = /Listening on ([^\s:]+):(\d+)/.exec(output);
      if (!match) return;
      cleanup();
      // From now on anvil logs one line per RPC call: drain it so a full pipe never blocks the node.
      child.stdout?.resume();
      resolve(`http://${match[1]}:${match[2]}`);
    };
    const onExit = (code: number | null, signal: string | null) => fail(`anvil exited (${signal ?? `code ${code}`}) before listening: ${output.trim().split('\n').slice(-3).join(' | ')}`);
    const onError = (error: Error) => fail(`cannot run anvil: ${error.message}`);
    function fail(message: string) {
      cleanup();
      reject(new CustosError('LEDGER_UNAVAILABLE', message));
    }
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.stderr?.resume();
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

async function waitForRpc(rpcUrl: string, chainId: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      });
      const body = (await response.json()) as { result?: string };
      if (body.result !== undefined) {
        if (Number(body.result) !== chainId) throw new CustosError('CONFIG_INVALID', `local chain answers chain id ${Number(body.result)}, expected ${chainId}`);
        return;
      }
    } catch (error) {
      if (error instanceof CustosError) throw error;
    }
    if (Date.now() > deadline) throw new CustosError('LEDGER_UNAVAILABLE', `local chain at ${rpcUrl} did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stop(child: ChildProcess, exited: Promise<void>, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), timeoutMs);
  });
  const killed = await Promise.race([exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (killed) {
    child.kill('SIGKILL');
    await exited;
  }
}
