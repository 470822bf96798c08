/**
 * What every ConsentLedger must do, as node:test tests: the in-memory ledger runs it
 * (test/policy/consent-index/memory-ledger.test.ts) and so does the ethers adapter against the
 * real ConsentRegistry on anvil. The rules come from contracts/ConsentRegistry.sol.
 *
 * The suite shares one ledger across its tests (deploying a contract per test is slow), so each
 * test uses fresh random pseudonyms and never assumes what other transactions exist, nor that a
 * transaction gets a block of its own.
 *
 * Error codes the adapters map the registry's reverts to (pinned here so both agree):
 *   UnknownGrant → NOT_FOUND; AlreadyRevoked → CONFLICT; InvalidWindow, WindowInPast, EmptyScope,
 *   InvalidPseudonym, InvalidEffect, ActionsOutOfRange, SignatureExpired → INVALID_REQUEST;
 *   InvalidNonce → CONFLICT; InvalidSignature, WrongSigner, SubjectBoundToOtherAccount → FORBIDDEN.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Bytes32, ConsentEvent, GrantInput } from '../../src/policy/consent-model.js';
import type { ConsentLedger, SignedGrant } from '../../src/policy/consents.js';
import { rejectsWithCode } from './custos-rejection.js';

/** A patient key the fixture can sign with (EIP-712 for the real registry). */
export interface TestPatient {
  readonly account: string;
  sign(grant: GrantInput, nonce: bigint, deadline: number): Promise<SignedGrant>;
}

export interface ConsentLedgerFixture {
  readonly ledger: ConsentLedger;
  close(): Promise<void>;
  /** At least two distinct patients; when present, the grantBySignature tests run too. */
  readonly patients?: readonly TestPatient[];
}

export function randomPseudonym(): Bytes32 {
  return '0x' + randomBytes(32).toString('hex');
}

export function grantInput(overrides: Partial<GrantInput> = {}): GrantInput {
  return {
    subject: randomPseudonym(),
    grantee: randomPseudonym(),
    effect: 'permit',
    resourceTypes: (1n << 50n) | 1n, // Observation, Account
    actions: 1n,
    purposes: 1n,
    notBefore: 0,
    notAfter: 0,
    policyHash: '0x' + '00'.repeat(32),
    ...overrides,
  };
}

/** Asserts that `promise` rejects with a CustosError of `code`. */
export { rejectsWithCode };

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function ordinal(event: ConsentEvent): [number, number] {
  return [event.position.blockNumber, event.position.logIndex];
}

export function consentLedgerConformance(
  name: string,
  make: () => Promise<ConsentLedgerFixture>,
): void {
  describe(`ConsentLedger conformance: ${name}`, () => {
    let fixture: ConsentLedgerFixture;
    let ledger: ConsentLedger;
    before(async () => {
      fixture = await make();
      ledger = fixture.ledger;
    });
    after(async () => fixture?.close());

    const eventsAbout = async (subject: Bytes32, from: number, to: number): Promise<ConsentEvent[]> =>
      (await ledger.events(from, to)).filter((e) => (e.kind === 'granted' ? e.grant.subject : e.subject) === subject);

    it('reports its consent model', async () => {
      assert.ok(['opt-in', 'opt-out'].includes(await ledger.model()));
    });

    it('agrees with itself on the head and its hash, and has no hash beyond the head', async () => {
      const head = await ledger.head();
      assert.match(head.hash, /^0x[0-9a-f]{64}$/);
      assert.equal(await ledger.blockHash(head.number), head.hash);
      assert.equal(await ledger.blockHash(head.number + 1000), null);
      if (head.number > 0) assert.notEqual(await ledger.blockHash(head.number - 1), head.hash);
    });

    it('records a grant as one event carrying every field, at the position of its receipt', async () => {
      const input = grantInput({
        effect: 'deny',
        resourceTypes: (1n << 66n) | (1n << 31n) | (1n << 32n), // bits across 32-bit words survive
        actions: 3n,
        purposes: (1n << 24n) - 1n,
        notBefore: 1_000,
        notAfter: nowSeconds() + 86_400,
        policyHash: randomPseudonym(),
      });
      const receipt = await ledger.grant(input);
      assert.match(receipt.grantId ?? '', /^[1-9][0-9]*$/);
      assert.match(receipt.transactionHash, /^0x[0-9a-f]{64}$/);
      assert.ok((await ledger.head()).number >= receipt.blockNumber);

      const events = await eventsAbout(input.subject, receipt.blockNumber, receipt.blockNumber);
      assert.equal(events.length, 1);
      const event = events[0]!;
      assert.equal(event.kind, 'granted');
      if (event.kind !== 'granted') return;
      const { id, recordedBy, via, granted, ...fields } = event.grant;
      assert.deepEqual(fields, input);
      assert.equal(id, receipt.grantId);
      assert.equal(via, 'registrar');
      assert.match(recordedBy, /^0x[0-9a-fA-F]{40}$/);
      assert.deepEqual(granted, event.position);
      assert.equal(event.position.blockNumber, receipt.blockNumber);
      assert.equal(event.position.transactionHash, receipt.transactionHash);
      assert.equal(event.position.blockHash, await ledger.blockHash(receipt.blockNumber));
    });

    it('numbers grants with increasing ids', async () => {
      const ids: bigint[] = [];
      for (let i = 0; i < 3; i++) ids.push(BigInt((await ledger.grant(grantInput())).grantId!));
      assert.ok(ids[0]! < ids[1]! && ids[1]! < ids[2]!, ids.join(' < '));
    });

    it('records a revocation as an event naming the grant and its subject', async () => {
      const input = grantInput();
      const granted = await ledger.grant(input);
      const revoked = await ledger.revoke(granted.grantId!);
      assert.ok(revoked.blockNumber >= granted.blockNumber);
      const events = await eventsAbout(input.subject, revoked.blockNumber, revoked.blockNumber);
      const revocation = events.find((e) => e.kind === 'revoked');
      assert.ok(revocation && revocation.kind === 'revoked');
      assert.equal(revocation.grantId, granted.grantId);
      assert.equal(revocation.subject, input.subject);
      assert.equal(revocation.position.transactionHash, revoked.transactionHash);
      assert.equal(revocation.position.blockHash, await ledger.blockHash(revoked.blockNumber));
    });

    it('refuses to revoke twice (CONFLICT) and records only the first revocation', async () => {
      const input = grantInput();
      const granted = await ledger.grant(input);
      await ledger.revoke(granted.grantId!);
      await rejectsWithCode(ledger.revoke(granted.grantId!), 'CONFLICT');
      const events = await eventsAbout(input.subject, granted.blockNumber, (await ledger.head()).number);
      assert.deepEqual(events.map((e) => e.kind), ['granted', 'revoked']);
    });

    it('refuses to revoke a grant that does not exist (NOT_FOUND)', async () => {
      await rejectsWithCode(ledger.revoke('987654321987654321'), 'NOT_FOUND');
    });

    it('refuses grants the registry would revert (INVALID_REQUEST)', async () => {
      const now = nowSeconds();
      const bad: Array<[string, Partial<GrantInput>]> = [
        ['notAfter before notBefore', { notBefore: now + 7200, notAfter: now + 3600 }],
        ['notAfter equal to notBefore', { notBefore: now + 3600, notAfter: now + 3600 }],
        ['notAfter in the past', { notAfter: now - 60 }],
        ['notAfter long past', { notAfter: 1 }],
        ['empty resource types', { resourceTypes: 0n }],
        ['empty purposes', { purposes: 0n }],
        ['actions beyond the uint8 the registry stores', { actions: 1n << 8n }],
        ['zero subject', { subject: '0x' + '00'.repeat(32) }],
      ];
      for (const [why, overrides] of bad) {
        await rejectsWithCode(ledger.grant(grantInput(overrides)), 'INVALID_REQUEST').catch((error: unknown) => {
          throw new Error(`${why}: ${String(error)}`);
        });
      }
    });

    it('returns events in chain order, exactly the blocks asked for, and nothing for an empty range', async () => {
      const subject = randomPseudonym();
      const a = await ledger.grant(grantInput({ subject }));
      const b = await ledger.grant(grantInput({ subject, effect: 'deny' }));
      const r = await ledger.revoke(a.grantId!);
      const c = await ledger.grant(grantInput({ subject }));

      const all = await ledger.events(a.blockNumber, c.blockNumber);
      for (let i = 1; i < all.length; i++) {
        const [pb, pl] = ordinal(all[i - 1]!);
        const [nb, nl] = ordinal(all[i]!);
        assert.ok(nb > pb || (nb === pb && nl > pl), `event ${i} is out of chain order`);
      }
      for (const e of all) assert.ok(e.position.blockNumber >= a.blockNumber && e.position.blockNumber <= c.blockNumber);
      const mine = all.filter((e) => (e.kind === 'granted' ? e.grant.subject : e.subject) === subject);
      assert.deepEqual(
        mine.map((e) => (e.kind === 'granted' ? `granted ${e.grant.id}` : `revoked ${e.grantId}`)),
        [`granted ${a.grantId}`, `granted ${b.grantId}`, `revoked ${a.grantId}`, `granted ${c.grantId}`],
      );

      const first = await ledger.events(a.blockNumber, a.blockNumber);
      assert.ok(first.every((e) => e.position.blockNumber === a.blockNumber));
      assert.ok(first.some((e) => e.kind === 'granted' && e.grant.id === a.grantId));
      const tail = await eventsAbout(subject, r.blockNumber, c.blockNumber);
      assert.ok(tail.every((e) => e.position.blockNumber >= r.blockNumber));
      assert.ok(tail.some((e) => e.kind === 'revoked') && tail.some((e) => e.kind === 'granted' && e.grant.id === c.grantId));
      if (b.blockNumber > a.blockNumber) assert.ok(!tail.some((e) => e.kind === 'granted' && e.grant.id === a.grantId));
      assert.deepEqual(await ledger.events(c.blockNumber + 1, c.blockNumber), []);
    });

    describe('grants signed by the patient', () => {
      const patients = (): readonly TestPatient[] | undefined => fixture?.patients;
      const deadline = (): number => nowSeconds() + 3600;
      const skip = (t: { skip(message: string): void }): boolean => {
        if ((patients()?.length ?? 0) >= 2) return false;
        t.skip('the fixture provides no patient keys');
        return true;
      };

      it('records the patient as the recorder, consumes her nonce and refuses a replay (CONFLICT)', async (t) => {
        if (skip(t)) return;
        const patient = patients()![0]!;
        const input = grantInput();
        const nonce = await ledger.nonceOf(patient.account);
        const signed = await patient.sign(input, nonce, deadline());
        const receipt = await ledger.grantBySignature(signed);
        assert.equal(await ledger.nonceOf(patient.account), nonce + 1n);
        const [event] = await eventsAbout(input.subject, receipt.blockNumber, receipt.blockNumber);
        assert.ok(event && event.kind === 'granted');
        assert.equal(event.grant.via, 'patient-signature');
        assert.equal(event.grant.recordedBy.toLowerCase(), patient.account.toLowerCase());
        assert.equal(event.grant.id, receipt.grantId);
        await rejectsWithCode(ledger.grantBySignature(signed), 'CONFLICT');
      });

      it('refuses a tampered grant (FORBIDDEN) and an expired signature (INVALID_REQUEST)', async (t) => {
        if (skip(t)) return;
        const patient = patients()![0]!;
        const input = grantInput();
        const signed = await patient.sign(input, await ledger.nonceOf(patient.account), deadline());
        await rejectsWithCode(ledger.grantBySignature({ ...signed, grant: { ...input, grantee: randomPseudonym() } }), 'FORBIDDEN');
        const expired = await patient.sign(input, await ledger.nonceOf(patient.account), nowSeconds() - 60);
        await rejectsWithCode(ledger.grantBySignature(expired), 'INVALID_REQUEST');
      });

      it('binds the subject to the first patient who signs for it (FORBIDDEN for another)', async (t) => {
        if (skip(t)) return;
        const [first, other] = [patients()![0]!, patients()![1]!];
        const subject = randomPseudonym();
        await ledger.grantBySignature(await first.sign(grantInput({ subject }), await ledger.nonceOf(first.account), deadline()));
        const intruder = await other.sign(grantInput({ subject }), await ledger.nonceOf(other.account), deadline());
        await rejectsWithCode(ledger.grantBySignature(intruder), 'FORBIDDEN');
      });
    });
  });
}
