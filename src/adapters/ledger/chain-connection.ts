/**
 * One connection to an EVM JSON-RPC node for one account: the provider, the signer and the one
 * TransactionSender every client of that account must share (the consent ledger and the audit
 * anchor both send from the gateway's key; two senders would race for nonces).
 */
import { FetchRequest, JsonRpcProvider, Network, Wallet } from 'ethers';
import { CustosError } from '../../errors.js';
import { TransactionSender } from './tx-sender.js';

export interface ChainConnectionOptions {
  readonly rpcUrl: string;
  /** 0x-prefixed secp256k1 private key of the account that sends (registrar, anchorer, admin). */
  readonly privateKey: string;
  /** Known chain id (from the deployment record); asked from the node once when absent. */
  readonly chainId?: number;
  /** Per-RPC-request timeout (ethers' default is 5 minutes: far too long to fail closed on). */
  readonly requestTimeoutMs?: number;
  /** How often ethers polls for receipts and blocks when a transaction is not mined at once. */
  readonly pollingIntervalMs?: number;
  readonly confirmations?: number;
  readonly receiptTimeoutMs?: number;
}

export interface ChainConnection {
  readonly provider: JsonRpcProvider;
  readonly signer: Wallet;
  readonly sender: TransactionSender;
  readonly chainId: number;
  /** The account's address (checksummed). */
  readonly address: string;
  close(): void;
}

export async function connectChain(options: ChainConnectionOptions): Promise<ChainConnection> {
  const chainId = options.chainId ?? (await askChainId(options.rpcUrl, options.requestTimeoutMs));
  const request = new FetchRequest(options.rpcUrl);
  request.timeout = options.requestTimeoutMs ?? 10_000;
  // staticNetwork: never probe the network again (ethers otherwise retries detection forever, logging,
  // while the node is down). cacheTimeout -1: no cached 'pending' nonce reused across transactions.
  // batchStallTime 0: ethers otherwise holds every request 10 ms hoping to batch it, which made a
  // grant (5 sequential round trips) take ~80 ms instead of ~20 on a local node.
  const provider = new JsonRpcProvider(request, Network.from(chainId), {
    staticNetwork: true,
    cacheTimeout: -1,
    batchStallTime: 0,
    pollingInterval: options.pollingIntervalMs ?? 250,
  });
  let signer: Wallet;
  try {
    signer = new Wallet(options.privateKey, provider);
  } catch {
    provider.destroy();
    throw new CustosError('CONFIG_INVALID', 'the chain signer key is not a valid 0x-prefixed 32-byte hex private key');
  }
  const sender = new TransactionSender(signer, {
    ...(options.confirmations !== undefined ? { confirmations: options.confirmations } : {}),
    ...(options.receiptTimeoutMs !== undefined ? { receiptTimeoutMs: options.receiptTimeoutMs } : {}),
  });
  return { provider, signer, sender, chainId, address: signer.address, close: () => provider.destroy() };
}

/** A bare JSON-RPC call: an ethers provider without a network would retry detection forever. */
export async function askChainId(rpcUrl: string, timeoutMs = 10_000): Promise<number> {
  try {
    const response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as { result?: unknown };
    if (typeof body.result === 'string' && /^0x[0-9a-f]+$/i.test(body.result)) return Number(body.result);
  } catch (error) {
    throw new CustosError('LEDGER_UNAVAILABLE', 'cannot read the chain id: the chain node is unreachable', undefined, { cause: error });
  }
  throw new CustosError('LEDGER_UNAVAILABLE', 'cannot read the chain id: the node did not answer eth_chainId');
}
