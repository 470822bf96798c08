/**
 * Reads every checkpoint of an AuditAnchor contract with a read-only provider: all a verifier
 * needs from the chain (no key, no gateway, no database), e.g. a regulator checking an export.
 */
import { Contract, JsonRpcProvider, Network, type Result } from 'ethers';
import type { ChainCheckpoint } from '../../audit/anchor.js';
import { CustosError } from '../../errors.js';
import { askChainId } from './chain-connection.js';
import { contractInterface } from './contract-artifacts.js';
import { toCheckpoint } from './ethers-audit-anchor.js';

export interface AnchoredLog {
  readonly chainId: number;
  readonly contract: string;
  readonly checkpoints: readonly ChainCheckpoint[];
}

const PAGE = 500;

export async function readAnchoredCheckpoints(rpcUrl: string, contractAddress: string): Promise<AnchoredLog> {
  const chainId = await askChainId(rpcUrl).catch(() => {
    throw new CustosError('LEDGER_UNAVAILABLE', `cannot reach the chain at ${safeUrl(rpcUrl)}`);
  });
  const provider = new JsonRpcProvider(rpcUrl, Network.from(chainId), { staticNetwork: true, batchMaxCount: 1 });
  try {
    const code = await provider.getCode(contractAddress);
    if (code === '0x') throw new CustosError('NOT_FOUND', `no contract at ${contractAddress} on chain ${chainId}: check --contract and --rpc`);
    const contract = new Contract(contractAddress, contractInterface('AuditAnchor'), provider);
    const count = Number(await contract.getFunction('checkpointCount').staticCall());
    const checkpoints: ChainCheckpoint[] = [];
    for (let from = 0; from < count; from += PAGE) {
      const range = (await contract.getFunction('checkpointRange').staticCall(from, Math.min(count, from + PAGE))) as Result;
      Array.from(range).forEach((raw, i) => checkpoints.push(toCheckpoint(from + i, raw as Result)));
    }
    return { chainId, contract: contractAddress, checkpoints };
  } catch (error) {
    if (error instanceof CustosError) throw error;
    // ethers' messages quote the request, URL included (which may carry an API key): say what failed, not that.
    throw new CustosError('LEDGER_UNAVAILABLE', `reading the anchored checkpoints from ${safeUrl(rpcUrl)} failed (${(error as { code?: unknown }).code ?? 'error'}); is ${contractAddress} the AuditAnchor contract?`);
  } finally {
    provider.destroy();
  }
}

/** An RPC URL without credentials, for messages. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return 'the configured RPC URL';
  }
}
