import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRequestContentType, negotiateResponseFormat } from '../../src/fhir/format.js';

const fails = (code: string, fn: () => unknown) => assert.throws(fn, (e: { code?: string }) => e.code === code);

describe('format negotiation', () => {
  it('accepts JSON in every spelling and wildcards', () => {
    for (const f of ['json', 'application/json', 'application/fhir+json', 'application/fhir json']) negotiateResponseFormat(f, undefined);
    for (const a of ['application/fhir+json', 'application/json', '*/*', 'text/html,application/xhtml+xml,*/*;q=0.8', 'application/fhir+json; fhirVersion=4.0']) {
      negotiateResponseFormat(undefined, a);
    }
    negotiateResponseFormat(undefined, undefined);
  });

  it('refuses XML, Turtle and HTML with 406', () => {
    for (const f of ['xml', 'application/fhir+xml', 'text/xml', 'ttl', 'text/turtle', 'html']) fails('NOT_ACCEPTABLE', () => negotiateResponseFormat(f, undefined));
    for (const a of ['application/fhir+xml', 'text/turtle', 'text/html', 'application/xml;q=1, application/json;q=0']) {
      fails('NOT_ACCEPTABLE', () => negotiateResponseFormat(undefined, a));
    }
  });

  it('lets _format win over Accept', () => {
    fails('NOT_ACCEPTABLE', () => negotiateResponseFormat('xml', 'application/fhir+json'));
    negotiateResponseFormat('json', 'application/fhir+xml');
  });

  it('refuses request bodies that are not JSON with 415', () => {
    checkRequestContentType('json', 'POST', 'application/fhir+json; charset=utf-8', true);
    checkRequestContentType('json', 'PATCH', 'application/json-patch+json', true);
    checkRequestContentType('form', 'POST', 'application/x-www-form-urlencoded', true);
    fails('UNSUPPORTED_MEDIA_TYPE', () => checkRequestContentType('json', 'POST', 'application/fhir+xml', true));
    fails('UNSUPPORTED_MEDIA_TYPE', () => checkRequestContentType('json', 'POST', undefined, true));
    fails('UNSUPPORTED_MEDIA_TYPE', () => checkRequestContentType('json', 'PUT', 'application/json-patch+json', true));
    fails('UNSUPPORTED_MEDIA_TYPE', () => checkRequestContentType('form', 'POST', 'application/json', true));
  });
});
