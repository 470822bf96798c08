import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasSearchCriteria, parseQuery, serializeQuery } from '../../src/fhir/query.js';

describe('query strings', () => {
  it('parses, strips _format and re-serialises canonically, keeping FHIR syntax readable', () => {
    const q = parseQuery('name=Ann%20Lee&code=http://loinc.org|8867-4,http://loinc.org|2708-6&_format=json&date=ge2020-01-01');
    assert.equal(q.format, 'json');
    assert.equal(serializeQuery(q.params), '?name=Ann%20Lee&code=http://loinc.org|8867-4,http://loinc.org|2708-6&date=ge2020-01-01');
  });

  it('keeps repeated parameters in order and decodes "+" as a space', () => {
    const q = parseQuery('given=a+b&given=c');
    assert.deepEqual(q.params, [['given', 'a b'], ['given', 'c']]);
  });

  it('refuses invalid percent-encodings and nameless parameters', () => {
    assert.throws(() => parseQuery('name=%E0%A4%A'), /invalid percent-encoding/);
    assert.throws(() => parseQuery('=x'), /empty name/);
  });

  it('tells search criteria from result parameters', () => {
    assert.equal(hasSearchCriteria(parseQuery('_count=5&_sort=date').params), false);
    assert.equal(hasSearchCriteria(parseQuery('identifier=x|1').params), true);
  });
});
