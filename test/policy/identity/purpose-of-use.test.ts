import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkPurposeOfUsePolicy,
  isPurposeOfUse,
  purposeOfUseFromClaims,
  resolvePurposeOfUse,
  type PurposeOfUsePolicy,
} from '../../../src/policy/identity/purpose-of-use.js';

const fails = (code: string, pattern: RegExp) => (error: unknown) => {
  assert.equal((error as { code?: string }).code, code);
  assert.match((error as Error).message, pattern);
  return true;
};

const open: PurposeOfUsePolicy = { acceptHeader: true, default: 'TREAT' };
const strict: PurposeOfUsePolicy = { acceptHeader: false };

describe('purpose of use', () => {
  it('accepts exactly the HL7 v3 PurposeOfUse codes a consent can name', () => {
    for (const code of ['TREAT', 'ETREAT', 'HPAYMT', 'HRESCH', 'PUBHLTH', 'BTG']) assert.ok(isPurposeOfUse(code), code);
    for (const code of ['treat', 'TREATMENT', '', 'X']) assert.ok(!isPurposeOfUse(code), code);
  });

  it('reads the token claim: purpose_of_use or pou, a code, system|code, or a one-element array', () => {
    assert.equal(purposeOfUseFromClaims({}), undefined);
    assert.equal(purposeOfUseFromClaims({ purpose_of_use: 'TREAT' }), 'TREAT');
    assert.equal(purposeOfUseFromClaims({ pou: ['HPAYMT'] }), 'HPAYMT');
    assert.equal(purposeOfUseFromClaims({ pou: 'http://terminology.hl7.org/CodeSystem/v3-ActReason|HRESCH' }), 'HRESCH');
    assert.equal(purposeOfUseFromClaims({ pou: [] }), undefined, 'an empty array states no purpose');
    assert.equal(purposeOfUseFromClaims({ purpose_of_use: ['TREAT', 'TREAT'], pou: 'TREAT' }), 'TREAT', 'repeating one code is one purpose');
  });

  it('refuses a token that states several purposes or an unknown one (403, saying what to do)', () => {
    assert.throws(() => purposeOfUseFromClaims({ purpose_of_use: ['TREAT', 'HPAYMT'] }), fails('FORBIDDEN', /several purposes of use \(TREAT, HPAYMT\).*exactly one/));
    assert.throws(() => purposeOfUseFromClaims({ purpose_of_use: 'TREAT', pou: 'HRESCH' }), fails('FORBIDDEN', /several purposes/));
    assert.throws(() => purposeOfUseFromClaims({ pou: 'MARKETING' }), fails('FORBIDDEN', /"MARKETING".*not a PurposeOfUse code.*TREAT/));
    assert.throws(() => purposeOfUseFromClaims({ pou: 'http://example.org/other|TREAT' }), fails('FORBIDDEN', /not a PurposeOfUse code/));
    assert.throws(() => purposeOfUseFromClaims({ pou: 7 }), fails('FORBIDDEN', /non-string/));
    assert.throws(() => purposeOfUseFromClaims({ pou: '<script>alert(1)</script>' }), (e: Error) => !e.message.includes('<script>'), 'arbitrary text is not echoed');
  });

  it('takes the token first, then the header (when allowed), then the default', () => {
    assert.deepEqual(resolvePurposeOfUse('HPAYMT', undefined, open), { purposeOfUse: 'HPAYMT', source: 'token' });
    assert.deepEqual(resolvePurposeOfUse('HPAYMT', 'HPAYMT', open), { purposeOfUse: 'HPAYMT', source: 'token' });
    assert.deepEqual(resolvePurposeOfUse(undefined, 'HRESCH', open), { purposeOfUse: 'HRESCH', source: 'header' });
    assert.deepEqual(resolvePurposeOfUse(undefined, ' http://terminology.hl7.org/CodeSystem/v3-ActReason|PUBHLTH ', open), { purposeOfUse: 'PUBHLTH', source: 'header' });
    assert.deepEqual(resolvePurposeOfUse(undefined, undefined, open), { purposeOfUse: 'TREAT', source: 'default' });
    assert.equal(resolvePurposeOfUse(undefined, undefined, strict), undefined, 'no default: no purpose');
  });

  it('refuses a header that contradicts the token instead of picking one', () => {
    assert.throws(() => resolvePurposeOfUse('TREAT', 'HRESCH', open), fails('FORBIDDEN', /X-Purpose-Of-Use \(HRESCH\) contradicts .* \(TREAT\)/));
  });

  it('refuses the header when configuration does not accept it, and bad header values (400)', () => {
    assert.throws(() => resolvePurposeOfUse(undefined, 'TREAT', strict), fails('INVALID_REQUEST', /does not accept the X-Purpose-Of-Use header/));
    assert.throws(() => resolvePurposeOfUse('TREAT', 'TREAT', strict), fails('INVALID_REQUEST', /does not accept/));
    assert.throws(() => resolvePurposeOfUse(undefined, 'TREAT, HPAYMT', open), fails('INVALID_REQUEST', /exactly one code/));
    assert.throws(() => resolvePurposeOfUse(undefined, 'nope', open), fails('INVALID_REQUEST', /"nope" is not a PurposeOfUse code/));
  });

  it('checks the configured default at start', () => {
    assert.deepEqual(checkPurposeOfUsePolicy(open), open);
    assert.throws(() => checkPurposeOfUsePolicy({ acceptHeader: false, default: 'treat' }), fails('CONFIG_INVALID', /identity\.purposeOfUse\.default: "treat"/));
  });
});
