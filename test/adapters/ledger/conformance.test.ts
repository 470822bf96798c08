/**
 * The ethers adapter on a real anvil node passes the same ConsentLedger conformance suite as the
 * in-memory ledger (test/support/consent-ledger-conformance.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { connectChain } from '../../../src/adapters/ledger/chain-connection.js';
import { ensureDeployment } from '../../../src/adapters/ledger/deploy.js';
import { localDeploymentFile } from '../../../src/adapters/ledger/deployment-record.js';
import { signTypedData } from '../../../src/adapters/ledger/eip712.js';
import { EthersConsentLedger } from '../../../src/adapters/ledger/ethers-consent-ledger.js';
import { startLocalChain } from '../../../src/adapters/ledger/local-chain.js';
import { type TestPatient, consentLedgerConformance } from '../../support/consent-ledger-conformance.js';

consentLedgerConformance('ethers adapter on anvil', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'custos-conformance-'));
  const chain = await startLocalChain({ dataDir });
  const connection = await connectChain({ rpcUrl: chain.rpcUrl, privateKey: chain.devKey(0), chainId: chain.chainId });
  const { record } = await ensureDeployment({ connection, model: 'opt-in', file: localDeploymentFile(dataDir) });
  const ledger = new EthersConsentLedger({ connection, registryAddress: record.consentRegistry });
  const patient = (): TestPatient => {
    const wallet = Wallet.createRandom();
    return {
      account: wallet.address,
      sign: async (grant, nonce, deadline) => ({
        grant,
        signer: wallet.address,
        nonce,
        deadline,
        signature: await signTypedData(wallet, ledger.grantTypedData(grant, nonce, deadline)),
      }),
    };
  };
  return {
    ledger,
    patients: [patient(), patient()],
    close: async () => {
      connection.close();
      await chain.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
