/**
 * Patient-signed grants and revocations (EIP-712), relayed by the gateway's account: the patient
 * signs, holds no ether and sends nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BaseWallet, Contract, TypedDataEncoder, Wallet } from 'ethers';
import { contractInterface } from '../../../src/adapters/ledger/contract-artifacts.js';
import { recoverTypedDataSigner, signTypedData } from '../../../src/adapters/ledger/eip712.js';
import { EthersConsentLedger, type SignedRevoke } from '../../../src/adapters/ledger/ethers-consent-ledger.js';
import type { GrantInput } from '../../../src/policy/consent-model.js';
import type { SignedGrant } from '../../../src/policy/consents.js';
import { chainNow, rejectsWith, sampleGrant, useLedgerFixture } from './chain-fixture.js';

const fx = useLedgerFixture();

async function signGrant(patient: BaseWallet, grant: GrantInput, options: { nonce?: bigint; deadline?: number } = {}): Promise<SignedGrant> {
  const nonce = options.nonce ?? (await fx.ledger.nonceOf(patient.address));
  const deadline = options.deadline ?? (await chainNow(fx.gateway)) + 3600;
  const signature = await signTypedData(patient, fx.ledger.grantTypedData(grant, nonce, deadline));
  return { grant, signer: patient.address, nonce, deadline, signature };
}

async function signRevoke(patient: BaseWallet, grantId: string, options: { nonce?: bigint; deadline?: number } = {}): Promise<SignedRevoke> {
  const nonce = options.nonce ?? (await fx.ledger.nonceOf(patient.address));
  const deadline = options.deadline ?? (await chainNow(fx.gateway)) + 3600;
  const signature = await signTypedData(patient, fx.ledger.revokeTypedData(grantId, nonce, deadline));
  return { grantId, signer: patient.address, nonce, deadline, signature };
}

describe('EIP-712 typed data', () => {
  it('uses the domain the contract checks against', async () => {
    const registry = new Contract(fx.record.consentRegistry, contractInterface('ConsentRegistry'), fx.gateway.provider);
    assert.equal(await registry.getFunction('DOMAIN_SEPARATOR').staticCall(), TypedDataEncoder.hashDomain(fx.ledger.domain()));
  });

  it('is JSON for eth_signTypedData_v4 and recovers to its signer', async () => {
    const patient = Wallet.createRandom();
    const typed = fx.ledger.grantTypedData(sampleGrant(), 0n, 2_000_000_000);
    const json = JSON.parse(JSON.stringify(typed));
    assert.equal(json.primaryType, 'Grant');
    assert.ok(json.types.EIP712Domain);
    assert.equal(typeof json.message.resourceTypes, 'string');
    assert.equal(recoverTypedDataSigner(typed, await signTypedData(patient, typed)), patient.address);
  });
});

describe('ConsentRegistry: patient-signed grants', () => {
  it('records a valid signed grant, binding the subject to the patient and using her nonce', async (t) => {
    const patient = Wallet.createRandom();
    const grant = sampleGrant();
    assert.equal(await fx.ledger.subjectAccount(grant.subject), null);
    const receipt = await fx.ledger.grantBySignature(await signGrant(patient, grant));
    assert.ok(receipt.grantId);
    assert.equal(await fx.ledger.subjectAccount(grant.subject), patient.address);
    assert.equal(await fx.ledger.nonceOf(patient.address), 1n);

    const [event] = (await fx.ledger.events(receipt.blockNumber, receipt.blockNumber)).filter((e) => e.kind === 'granted');
    assert.ok(event && event.kind === 'granted');
    assert.equal(event.grant.recordedBy, patient.address, 'the patient recorded it, not the relayer');
    assert.equal(event.grant.via, 'patient-signature');

    // a second signed grant for the same subject by the same patient, with the next nonce
    const second = await fx.ledger.grantBySignature(await signGrant(patient, sampleGrant({ subject: grant.subject })));
    assert.equal(await fx.ledger.nonceOf(patient.address), 2n);
    t.diagnostic(`signed grant gas: first (binds subject) ${receipt.gasUsed}, next ${second.gasUsed}`);
  });

  it('refuses a signature by another account than the named signer', async () => {
    const patient = Wallet.createRandom();
    const impostor = Wallet.createRandom();
    const signed = await signGrant(impostor, sampleGrant(), { nonce: 0n });
    const error = await rejectsWith(fx.ledger.grantBySignature({ ...signed, signer: patient.address }), 'FORBIDDEN', 'WrongSigner');
    assert.match(error.message, new RegExp(`recovers to ${impostor.address}`));
  });

  it('refuses a signature over other grant fields (tampered relay)', async () => {
    const patient = Wallet.createRandom();
    const signed = await signGrant(patient, sampleGrant({ actions: 1n }));
    await rejectsWith(fx.ledger.grantBySignature({ ...signed, grant: { ...signed.grant, actions: 3n } }), 'FORBIDDEN', 'WrongSigner');
  });

  it('refuses a replayed signature (nonce used)', async () => {
    const patient = Wallet.createRandom();
    const signed = await signGrant(patient, sampleGrant());
    await fx.ledger.grantBySignature(signed);
    const error = await rejectsWith(fx.ledger.grantBySignature(signed), 'CONFLICT', 'InvalidNonce');
    assert.match(error.message, /nonce 0 .* expects 1/);
  });

  it('refuses a nonce from the future', async () => {
    const patient = Wallet.createRandom();
    await rejectsWith(fx.ledger.grantBySignature(await signGrant(patient, sampleGrant(), { nonce: 5n })), 'CONFLICT', 'InvalidNonce');
  });

  it('refuses an expired deadline', async () => {
    const patient = Wallet.createRandom();
    const deadline = (await chainNow(fx.gateway)) - 1;
    await rejectsWith(fx.ledger.grantBySignature(await signGrant(patient, sampleGrant(), { deadline })), 'INVALID_REQUEST', 'SignatureExpired');
  });

  it('refuses a signed grant for a subject bound to another account', async () => {
    const alice = Wallet.createRandom();
    const mallory = Wallet.createRandom();
    const subject = sampleGrant().subject;
    await fx.ledger.grantBySignature(await signGrant(alice, sampleGrant({ subject })));
    const error = await rejectsWith(fx.ledger.grantBySignature(await signGrant(mallory, sampleGrant({ subject }))), 'FORBIDDEN', 'SubjectBoundToOtherAccount');
    assert.match(error.message, new RegExp(alice.address));
  });

  it('lets only a registrar relay the first, binding grant; then anyone may relay', async () => {
    const patient = Wallet.createRandom();
    const stranger = new EthersConsentLedger({ connection: await fx.connect(4), registryAddress: fx.record.consentRegistry });
    const subject = sampleGrant().subject;
    const first = await signGrant(patient, sampleGrant({ subject }));
    const error = await rejectsWith(stranger.grantBySignature(first), 'FORBIDDEN', 'BindingNeedsRegistrar');
    assert.match(error.message, /needs a registrar/);
    assert.equal(await fx.ledger.subjectAccount(subject), null);
    await fx.ledger.grantBySignature(first);
    const { grantId } = await stranger.grantBySignature(await signGrant(patient, sampleGrant({ subject })));
    await stranger.revokeBySignature(await signRevoke(patient, grantId!));
  });

  it('refuses malformed signatures', async () => {
    const patient = Wallet.createRandom();
    const signed = await signGrant(patient, sampleGrant());
    await rejectsWith(fx.ledger.grantBySignature({ ...signed, signature: signed.signature.slice(0, 130) }), 'FORBIDDEN', 'InvalidSignature');
    const badV = `${signed.signature.slice(0, 130)}05`;
    await rejectsWith(fx.ledger.grantBySignature({ ...signed, signature: badV }), 'FORBIDDEN', 'InvalidSignature');
  });

  it('validates the grant itself like a registrar grant', async () => {
    const patient = Wallet.createRandom();
    await rejectsWith(fx.ledger.grantBySignature(await signGrant(patient, sampleGrant({ notBefore: 10, notAfter: 5 }))), 'INVALID_REQUEST', 'InvalidWindow');
  });
});

describe('ConsentRegistry: patient self-revocation by signature', () => {
  it('revokes her own grant', async () => {
    const patient = Wallet.createRandom();
    const { grantId } = await fx.ledger.grantBySignature(await signGrant(patient, sampleGrant()));
    const receipt = await fx.ledger.revokeBySignature(await signRevoke(patient, grantId!));
    const events = await fx.ledger.events(receipt.blockNumber, receipt.blockNumber);
    assert.deepEqual(events.map((e) => e.kind === 'revoked' && e.grantId), [grantId]);
    await rejectsWith(fx.ledger.revokeBySignature(await signRevoke(patient, grantId!)), 'CONFLICT', 'AlreadyRevoked');
  });

  it("revokes a registrar's grant about her subject once she is bound to it", async () => {
    const patient = Wallet.createRandom();
    const subject = sampleGrant().subject;
    await fx.ledger.grantBySignature(await signGrant(patient, sampleGrant({ subject })));
    const { grantId } = await fx.ledger.grant(sampleGrant({ subject }));
    await fx.ledger.revokeBySignature(await signRevoke(patient, grantId!));
  });

  it("refuses to revoke someone else's grant, an unknown grant, a replayed or expired signature", async () => {
    const alice = Wallet.createRandom();
    const bob = Wallet.createRandom();
    const { grantId } = await fx.ledger.grantBySignature(await signGrant(alice, sampleGrant()));
    await rejectsWith(fx.ledger.revokeBySignature(await signRevoke(bob, grantId!)), 'FORBIDDEN', 'NotSubjectAccount');
    await rejectsWith(fx.ledger.revokeBySignature(await signRevoke(alice, '999999')), 'NOT_FOUND', 'UnknownGrant');
    const deadline = (await chainNow(fx.gateway)) - 1;
    await rejectsWith(fx.ledger.revokeBySignature(await signRevoke(alice, grantId!, { deadline })), 'INVALID_REQUEST', 'SignatureExpired');
    const forged = await signRevoke(bob, grantId!, { nonce: await fx.ledger.nonceOf(alice.address) });
    await rejectsWith(fx.ledger.revokeBySignature({ ...forged, signer: alice.address }), 'FORBIDDEN', 'WrongSigner');
    const used = await signRevoke(alice, grantId!);
    await fx.ledger.revokeBySignature(used);
    await rejectsWith(fx.ledger.revokeBySignature(used), 'CONFLICT', 'InvalidNonce');
  });

  it('cannot revoke a registrar grant for a subject she is not bound to', async () => {
    const patient = Wallet.createRandom();
    const { grantId } = await fx.ledger.grant(sampleGrant());
    await rejectsWith(fx.ledger.revokeBySignature(await signRevoke(patient, grantId!)), 'FORBIDDEN', 'NotSubjectAccount');
  });
});
