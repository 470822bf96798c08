/**
 * ConsentRegistry through the ethers adapter, as a registrar: grants, revocation, scope and window
 * validation, roles. Every rejection is checked for its CustosError code and decoded custom error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Contract } from 'ethers';
import { contractInterface } from '../../../src/adapters/ledger/contract-artifacts.js';
import { EthersAuditAnchor } from '../../../src/adapters/ledger/ethers-audit-anchor.js';
import { EthersConsentLedger } from '../../../src/adapters/ledger/ethers-consent-ledger.js';
import { ANCHORER_ROLE } from '../../../src/adapters/ledger/roles.js';
import { chainNow, median, rejectsWith, sampleGrant, useLedgerFixture } from './chain-fixture.js';

const fx = useLedgerFixture();

describe('ConsentRegistry: registrar grants', () => {
  it('reports the consent model fixed at deployment', async () => {
    assert.equal(await fx.ledger.model(), 'opt-in');
  });

  it('records a grant with sequential ids, storing every field', async () => {
    const input = sampleGrant({ effect: 'deny', actions: 3n, purposes: 0b101n, resourceTypes: 1n << 50n, notBefore: 1_000, notAfter: 4_000_000_000 });
    const first = await fx.ledger.grant(input);
    const second = await fx.ledger.grant(sampleGrant());
    assert.equal(BigInt(second.grantId!), BigInt(first.grantId!) + 1n);
    assert.match(first.transactionHash, /^0x[0-9a-f]{64}$/);

    const registry = new Contract(fx.record.consentRegistry, contractInterface('ConsentRegistry'), fx.gateway.provider);
    const stored = await registry.getFunction('getGrant').staticCall(BigInt(first.grantId!));
    assert.equal(stored.subject, input.subject);
    assert.equal(stored.grantee, input.grantee);
    assert.equal(stored.effect, 1n);
    assert.equal(stored.resourceTypes, 1n << 50n);
    assert.equal(stored.actions, 3n);
    assert.equal(stored.purposes, 0b101n);
    assert.equal(stored.notBefore, 1_000n);
    assert.equal(stored.notAfter, 4_000_000_000n);
    assert.equal(stored.policyHash, input.policyHash);
    assert.equal(stored.recordedBy, fx.gateway.address);
    assert.equal(stored.status, 1n, 'active');
    assert.equal(stored.via, 0n, 'registrar');
  });

  it('revokes by changing the status, keeping the grant (never a deletion)', async () => {
    const { grantId } = await fx.ledger.grant(sampleGrant());
    const receipt = await fx.ledger.revoke(grantId!);
    assert.equal(receipt.grantId, grantId);
    const registry = new Contract(fx.record.consentRegistry, contractInterface('ConsentRegistry'), fx.gateway.provider);
    const stored = await registry.getFunction('getGrant').staticCall(BigInt(grantId!));
    assert.equal(stored.status, 2n, 'revoked');
    const block = await fx.gateway.provider.getBlock(receipt.blockNumber);
    assert.equal(stored.revokedAt, BigInt(block!.timestamp));
  });

  it('refuses to revoke twice (CONFLICT) and to revoke an unknown grant (NOT_FOUND)', async () => {
    const { grantId } = await fx.ledger.grant(sampleGrant());
    await fx.ledger.revoke(grantId!);
    const error = await rejectsWith(fx.ledger.revoke(grantId!), 'CONFLICT', 'AlreadyRevoked');
    assert.match(error.message, new RegExp(`grant ${grantId} was already revoked`));
    await rejectsWith(fx.ledger.revoke('999999'), 'NOT_FOUND', 'UnknownGrant');
    await rejectsWith(fx.ledger.revoke('12ab'), 'INVALID_REQUEST');
  });

  it('keeps nonces straight under concurrent grants from one account', async () => {
    const receipts = await Promise.all(Array.from({ length: 8 }, () => fx.ledger.grant(sampleGrant())));
    const ids = receipts.map((r) => BigInt(r.grantId!)).sort((a, b) => (a < b ? -1 : 1));
    for (let i = 1; i < ids.length; i++) assert.equal(ids[i], ids[i - 1]! + 1n);
    // and a reverted call in between leaves no nonce gap behind
    await rejectsWith(fx.ledger.revoke('999999'), 'NOT_FOUND', 'UnknownGrant');
    await fx.ledger.grant(sampleGrant());
  });

  it('decodes a revert that happens after mining (another registrar revoked first, same block)', async () => {
    const other = await fx.connect(5);
    await fx.ledger.addRegistrar(other.address);
    const { grantId } = await fx.ledger.grant(sampleGrant());
    const provider = fx.gateway.provider;
    await provider.send('evm_setAutomine', [false]);
    try {
      // ours passes gas estimation (nothing revoked yet) and waits in the pool ...
      const ours = rejectsWith(fx.ledger.revoke(grantId!), 'CONFLICT', 'AlreadyRevoked');
      while (Number(await provider.send('eth_getTransactionCount', [fx.gateway.address, 'pending'])) === (await provider.getTransactionCount(fx.gateway.address, 'latest'))) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // ... then another registrar's revocation, unestimated and better paid, is mined before it
      const registry = new Contract(fx.record.consentRegistry, contractInterface('ConsentRegistry'), other.signer);
      const fee = 50_000_000_000n;
      const theirs = await registry.getFunction('revoke').send(BigInt(grantId!), { gasLimit: 100_000n, maxFeePerGas: fee, maxPriorityFeePerGas: fee });
      await provider.send('evm_mine', []);
      assert.equal((await theirs.wait())?.status, 1);
      await ours;
    } finally {
      await provider.send('evm_setAutomine', [true]);
    }
  });

  it('measures gas and latency per grant and revoke', async (t) => {
    const latencies: number[] = [];
    const grantGas: bigint[] = [];
    const revokeGas: bigint[] = [];
    for (let i = 0; i < 15; i++) {
      const started = performance.now();
      const receipt = await fx.ledger.grant(sampleGrant());
      latencies.push(performance.now() - started);
      grantGas.push(receipt.gasUsed);
      revokeGas.push((await fx.ledger.revoke(receipt.grantId!)).gasUsed);
    }
    t.diagnostic(`grant gas ${grantGas[1]} (policyHash set, no window), revoke gas ${revokeGas[1]}`);
    t.diagnostic(`grant call -> receipt: median ${median(latencies).toFixed(1)} ms over ${latencies.length}`);
    assert.ok(grantGas.every((g) => g > 0n && g < 300_000n));
  });
});

describe('ConsentRegistry: scope and window validation', () => {
  it('refuses notAfter not later than notBefore', async () => {
    const error = await rejectsWith(fx.ledger.grant(sampleGrant({ notBefore: 4_000_000_000, notAfter: 4_000_000_000 })), 'INVALID_REQUEST', 'InvalidWindow');
    assert.match(error.message, /notAfter \(4000000000\) must be later than notBefore \(4000000000\)/);
    await rejectsWith(fx.ledger.grant(sampleGrant({ notBefore: 4_000_000_001, notAfter: 4_000_000_000 })), 'INVALID_REQUEST', 'InvalidWindow');
  });

  it('refuses a notAfter in the past, accepts open bounds and a future start', async () => {
    const now = await chainNow(fx.gateway);
    await rejectsWith(fx.ledger.grant(sampleGrant({ notAfter: now - 10 })), 'INVALID_REQUEST', 'WindowInPast');
    await fx.ledger.grant(sampleGrant({ notBefore: now + 3600 }));
    await fx.ledger.grant(sampleGrant({ notAfter: now + 3600 }));
    await fx.ledger.grant(sampleGrant({ notBefore: now - 3600, notAfter: now + 3600 }));
  });

  it('refuses empty scopes, out-of-range actions, zero pseudonyms', async () => {
    await rejectsWith(fx.ledger.grant(sampleGrant({ resourceTypes: 0n })), 'INVALID_REQUEST', 'EmptyScope');
    await rejectsWith(fx.ledger.grant(sampleGrant({ actions: 0n })), 'INVALID_REQUEST', 'EmptyScope');
    await rejectsWith(fx.ledger.grant(sampleGrant({ purposes: 0n })), 'INVALID_REQUEST', 'EmptyScope');
    await rejectsWith(fx.ledger.grant(sampleGrant({ actions: 256n })), 'INVALID_REQUEST', 'ActionsOutOfRange');
    await rejectsWith(fx.ledger.grant(sampleGrant({ subject: `0x${'0'.repeat(64)}` })), 'INVALID_REQUEST', 'InvalidPseudonym');
    await rejectsWith(fx.ledger.grant(sampleGrant({ grantee: 'not-hex' })), 'INVALID_REQUEST');
  });
});

describe('ConsentRegistry: roles', () => {
  it('refuses grants and revocations from an account without the registrar role', async () => {
    const outsider = await fx.connect(1);
    const asOutsider = new EthersConsentLedger({ connection: outsider, registryAddress: fx.record.consentRegistry });
    const error = await rejectsWith(asOutsider.grant(sampleGrant()), 'FORBIDDEN', 'MissingRole');
    assert.match(error.message, new RegExp(`account ${outsider.address} lacks the registrar role`));
    const { grantId } = await fx.ledger.grant(sampleGrant());
    await rejectsWith(asOutsider.revoke(grantId!), 'FORBIDDEN', 'MissingRole');
  });

  it('lets only the admin add and remove registrars', async () => {
    const candidate = await fx.connect(2);
    const other = await fx.connect(3);
    const asCandidate = new EthersConsentLedger({ connection: candidate, registryAddress: fx.record.consentRegistry });
    const asOther = new EthersConsentLedger({ connection: other, registryAddress: fx.record.consentRegistry });

    await rejectsWith(asOther.addRegistrar(candidate.address), 'FORBIDDEN', 'NotAdmin');
    await rejectsWith(asCandidate.addRegistrar(candidate.address), 'FORBIDDEN', 'NotAdmin');
    assert.equal(await fx.ledger.isRegistrar(candidate.address), false);

    await fx.ledger.addRegistrar(candidate.address);
    assert.equal(await fx.ledger.isRegistrar(candidate.address), true);
    const { grantId } = await asCandidate.grant(sampleGrant());
    await asCandidate.revoke(grantId!);

    await rejectsWith(asOther.removeRegistrar(candidate.address), 'FORBIDDEN', 'NotAdmin');
    await fx.ledger.removeRegistrar(candidate.address);
    await rejectsWith(asCandidate.grant(sampleGrant()), 'FORBIDDEN', 'MissingRole');
  });

  it('keeps the anchorer role out of the registry', async () => {
    const registry = new Contract(fx.record.consentRegistry, contractInterface('ConsentRegistry'), fx.gateway.signer);
    await rejectsWith(
      fx.gateway.sender.call(registry, 'grantRole', [ANCHORER_ROLE, fx.gateway.address], 'grant a role'),
      'INVALID_REQUEST',
      'UnknownRole',
    );
    // and the anchorer role on AuditAnchor is not the registrar role
    const anchor = new EthersAuditAnchor({ connection: fx.gateway, anchorAddress: fx.record.auditAnchor });
    assert.equal(await anchor.isAnchorer(fx.gateway.address), true);
  });
});
