import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { BaseRewriter } from '../../src/fhir/base-rewriter.js';

const up = 'http://10.0.0.5:8080/fhir';
const gw = 'https://gw.example.org/fhir';
const rewriter = new BaseRewriter(up, gw);

describe('base URL rewriting', () => {
  it('rewrites headers only at a URL boundary', () => {
    assert.equal(rewriter.rewriteUrl(`${up}/Patient/1/_history/2`), `${gw}/Patient/1/_history/2`);
    assert.equal(rewriter.rewriteUrl(`${up}?_getpages=x`), `${gw}?_getpages=x`);
    assert.equal(rewriter.rewriteUrl(up), gw);
    assert.equal(rewriter.rewriteUrl(`${up}X/Patient/1`), `${up}X/Patient/1`);
    assert.equal(rewriter.rewriteUrl('Patient/1/_history/2'), 'Patient/1/_history/2');
    assert.equal(rewriter.rewriteUrl('http://elsewhere/fhir/Patient/1'), 'http://elsewhere/fhir/Patient/1');
  });

  it('rewrites links, fullUrls and escaped-slash forms in a body, and nothing else', () => {
    const body = JSON.stringify({
      link: [{ relation: 'next', url: `${up}/Patient?_count=5&_offset=5` }],
      entry: [{ fullUrl: `${up}/Patient/1` }, { fullUrl: `${up}X/Patient/2` }],
      implementation: { url: up },
    }) + ` "${up.replace(/\//g, '\\/')}\\/Patient\\/3"`;
    const out = rewriter.rewriteBuffer(Buffer.from(body)).toString();
    assert.ok(out.includes(`"${gw}/Patient?_count=5&_offset=5"`));
    assert.ok(out.includes(`"${gw}/Patient/1"`));
    assert.ok(out.includes(`"${up}X/Patient/2"`), 'a longer host/path must not be rewritten');
    assert.ok(out.includes(`{"url":"${gw}"}`));
    assert.ok(out.includes(`"${gw.replace(/\//g, '\\/')}\\/Patient\\/3"`));
  });

  it('streams: a match split across any chunk boundary is still rewritten', async () => {
    const body = Buffer.from(`{"a":"${up}/P/1","b":"${up}","c":"${up}9"}`);
    const expected = rewriter.rewriteBuffer(body).toString();
    for (let cut = 1; cut < body.length; cut++) {
      const chunks = [body.subarray(0, cut), body.subarray(cut)];
      const out = await text(Readable.from(chunks).pipe(rewriter.createTransform()));
      assert.equal(out, expected, `cut at ${cut}`);
    }
    const bytewise = await text(Readable.from([...body].map((b) => Buffer.from([b]))).pipe(rewriter.createTransform()));
    assert.equal(bytewise, expected);
  });
});
