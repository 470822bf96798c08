/**
 * Several upstream bases in one answer (type routing): each is rewritten to where the gateway
 * serves it, the longest base first, at URL boundaries only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BaseRewriter } from '../../src/fhir/base-rewriter.js';

describe('base rewriting with several sources', () => {
  const rewriter = new BaseRewriter('http://ehr/fhir', 'https://gw/fhir', [['http://ehr/fhir/docs', 'https://gw/sources/docs/fhir'], ['http://docs:9/r4', 'https://gw/sources/repo/fhir']]);

  it('rewrites every source\'s base to its own gateway base', () => {
    const body = JSON.stringify({ a: 'http://ehr/fhir/Patient/1', b: 'http://ehr/fhir/docs/DocumentReference/2', c: 'http://docs:9/r4?_getpages=x', d: 'http://ehr/fhirX/1' });
    assert.deepEqual(JSON.parse(rewriter.rewriteBuffer(Buffer.from(body)).toString()), {
      a: 'https://gw/fhir/Patient/1',
      b: 'https://gw/sources/docs/fhir/DocumentReference/2',
      c: 'https://gw/sources/repo/fhir?_getpages=x',
      d: 'http://ehr/fhirX/1',
    });
  });

  it('rewrites headers (Location) the same way', () => {
    assert.equal(rewriter.rewriteUrl('http://docs:9/r4/DocumentReference/5/_history/1'), 'https://gw/sources/repo/fhir/DocumentReference/5/_history/1');
    assert.equal(rewriter.rewriteUrl('http://ehr/fhir/docs/X/1'), 'https://gw/sources/docs/fhir/X/1');
    assert.equal(rewriter.rewriteUrl('http://elsewhere/fhir/X/1'), 'http://elsewhere/fhir/X/1');
  });
});
