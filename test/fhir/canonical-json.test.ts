import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from '../../src/fhir/canonical-json.js';

describe('RFC 8785 canonical JSON', () => {
  it('sorts members by UTF-16 code units and drops whitespace (RFC 8785 §3.2.3 example)', () => {
    // The sorting example of RFC 8785 §3.2.3.
    const input = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    // (Read the order off the text: a parsed JS object would list the integer-like key "1" first.)
    const text = canonicalJson(input);
    const order = ['Carriage Return', 'One', 'Control', 'Latin Small', 'Euro Sign', 'Emoji', 'Hebrew'].map((v) => text.indexOf(v));
    assert.deepEqual([...order].sort((x, y) => x - y), order);
    assert.ok(text.startsWith('{"\\r":"Carriage Return","1":"One",'));
  });

  it('serialises numbers as ECMAScript does (RFC 8785 §3.2.2.3 samples)', () => {
    const cases: Array<[number, string]> = [[0, '0'], [-0, '0'], [1e21, '1e+21'], [1e-7, '1e-7'], [333333333.3333333, '333333333.3333333'], [4.5, '4.5'], [0.000001, '0.000001'], [-1.5e300, '-1.5e+300']];
    for (const [n, text] of cases) assert.equal(canonicalJson(n), text);
    assert.throws(() => canonicalJson(Number.NaN), /non-finite/);
  });

  it('is independent of member order, nesting included', () => {
    const a = { b: [1, { y: 'x', x: true }], a: null, c: 'é\u2028' };
    const b = { c: 'é\u2028', a: null, b: [1, { x: true, y: 'x' }] };
    assert.equal(canonicalJson(a), canonicalJson(b));
    assert.equal(canonicalJson(a), '{"a":null,"b":[1,{"x":true,"y":"x"}],"c":"é\u2028"}');
  });
});
