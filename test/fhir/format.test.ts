import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRequestContentType, negotiateResponseFormat } from '../../src/fhir/format.js';

const fails = (code: string, fn: () => unknown) => assert.throws(fn, (e: { code?: string }) => e.code === code);

describe('format negotiation', () => {
  it('answers JSON for every JSON spelling, wildcards and no preference', () => {
    for (const f of ['json', 'application/json', 'application/fhir+json', 'application/fhir json']) assert.equal(negotiateResponseFormat(f, undefined), 'json');
    for (const a of ['application/fhir+json', 'application/json', '*/*', 'text/html,application/xhtml+xml,*/*;q=0.8', 'application/fhir+json; fhirVersion=4.0', 'application/*', '']) {
      assert.equal(negotiateResponseFormat(undefined, a), 'json', a);
    }
    assert.equal(negotiateResponseFormat(undefined, undefined), 'json');
  });

  it('answers XML for every XML spelling of _format', () => {
    for (const f of ['xml', 'text/xml', 'application/xml', 'application/fhir+xml', 'application/fhir xml', 'XML']) assert.equal(negotiateResponseFormat(f, undefined), 'xml', f);
  });

  it('answers XML only when Accept prefers it over JSON', () => {
    for (const a of ['application/fhir+xml', 'application/xml', 'text/xml', 'application/fhir+xml; fhirVersion=4.0', 'application/xml;q=1, application/json;q=0', 'application/fhir+json;q=0.5, application/fhir+xml', 'text/html,application/xml;q=0.9,*/*;q=0.8']) {
      assert.equal(negotiateResponseFormat(undefined, a), 'xml', a);
    }
    for (const a of ['application/fhir+xml, application/fhir+json', 'application/fhir+xml;q=0.9, application/fhir+json', 'application/xml;q=0.5, */*', 'application/fhir+xml;q=0, */*;q=0.1']) {
      assert.equal(negotiateResponseFormat(undefined, a), 'json', a);
    }
  });

  it('refuses Turtle, HTML and unknown formats with 406', () => {
    for (const f of ['ttl', 'text/turtle', 'html', 'text/html', 'yaml']) fails('NOT_ACCEPTABLE', () => negotiateResponseFormat(f, undefined));
    for (const a of ['text/turtle', 'text/html', 'application/fhir+json;q=0', 'application/fhir+xml;q=0', 'application/xml;q=oops']) {
      fails('NOT_ACCEPTABLE', () => negotiateResponseFormat(undefined, a));
    }
  });

  it('lets _format win over Accept', () => {
    assert.equal(negotiateResponseFormat('xml', 'application/fhir+json'), 'xml');
    assert.equal(negotiateResponseFormat('json', 'application/fhir+xml'), 'json');
    fails('NOT_ACCEPTABLE', () => negotiateResponseFormat('ttl', 'application/fhir+json'));
  });

  it('says which format a request body is in', () => {
    assert.equal(checkRequestContentType('json', 'POST', 'application/fhir+json; charset=utf-8', true), 'json');
    assert.equal(checkRequestContentType('json', 'PATCH', 'application/json-patch+json', true), 'json');
    for (const type of ['application/fhir+xml', 'application/xml; charset=utf-8', 'text/xml', 'application/xml+fhir']) {
      assert.equal(checkRequestContentType('json', 'PUT', type, true), 'xml', type);
    }
    assert.equal(checkRequestContentType('json', 'PATCH', 'application/fhir+xml', true), 'xml'); // FHIRPath Patch as XML Parameters
    assert.equal(checkRequestContentType('form', 'POST', 'application/x-www-form-urlencoded', true), 'form');
    assert.equal(checkRequestContentType('json', 'POST', undefined, false), 'none');
    assert.equal(checkRequestContentType('none', 'GET', 'application/fhir+xml', true), 'none');
  });

  it('refuses other request bodies with 415, naming what to send', () => {
    fails('UNSUPPORTED_MEDIA_TYPE', () => checkRequestContentType('json', 'POST', 'text/turtle', true));
    fails('UNSUPPORTED_MEDIA_TYPE', () => checkRequestContentType('json', 'POST', undefined, true));
    fails('UNSUPPORTED_MEDIA_TYPE', () => checkRequestContentType('json', 'PUT', 'application/json-patch+json', true));
    fails('UNSUPPORTED_MEDIA_TYPE', () => checkRequestContentType('json', 'PATCH', 'application/xml-patch+xml', true));
    fails('UNSUPPORTED_MEDIA_TYPE', () => checkRequestContentType('form', 'POST', 'application/json', true));
    fails('UNSUPPORTED_MEDIA_TYPE', () => checkRequestContentType('form', 'POST', 'application/fhir+xml', true));
    assert.throws(() => checkRequestContentType('json', 'POST', 'text/plain', true), /application\/fhir\+json or application\/fhir\+xml/);
  });
});
