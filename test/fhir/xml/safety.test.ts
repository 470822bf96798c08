/**
 * XML bodies come from clients: no DTD is ever read, no entity ever expanded, and broken XML is a
 * 400 that says where, never a crash or a stack trace.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fhirXmlToJson } from '../../../src/fhir/xml/fhir-xml.js';

const refused = (xml: string, message: RegExp) =>
  assert.throws(() => fhirXmlToJson(xml), (e: { name?: string; code?: string; message: string }) => {
    assert.equal(e.name, 'CustosError');
    assert.equal(e.code, 'INVALID_REQUEST');
    assert.match(e.message, message);
    assert.ok(!e.message.includes('root:'), 'nothing of a local file may appear');
    return true;
  });

describe('FHIR XML parsing safety', () => {
  it('refuses external entities (XXE) before anything is resolved', () => {
    refused(
      '<?xml version="1.0"?><!DOCTYPE Patient [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Patient xmlns="http://hl7.org/fhir"><id value="&xxe;"/></Patient>',
      /a DOCTYPE is not allowed in FHIR XML .*\(line 1, column \d+\)/,
    );
    refused('<!DOCTYPE Patient SYSTEM "file:///etc/passwd"><Patient xmlns="http://hl7.org/fhir"/>', /a DOCTYPE is not allowed/);
    refused('<!DOCTYPE Patient PUBLIC "-//x//y" "http://127.0.0.1:1/evil.dtd"><Patient xmlns="http://hl7.org/fhir"/>', /a DOCTYPE is not allowed/);
    refused('<!DOCTYPE Patient [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x">%p;]><Patient xmlns="http://hl7.org/fhir"/>', /a DOCTYPE is not allowed/);
  });

  it('refuses entity expansion (billion laughs)', () => {
    const lol = ['<!ENTITY lol "lol">'];
    for (let i = 1; i <= 9; i++) lol.push(`<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`);
    refused(`<?xml version="1.0"?><!DOCTYPE lolz [${lol.join('')}]><Patient xmlns="http://hl7.org/fhir"><id value="&lol9;"/></Patient>`, /a DOCTYPE is not allowed/);
  });

  it('refuses entities that were never declared, and resolves only the five predefined ones', () => {
    refused('<Patient xmlns="http://hl7.org/fhir"><id value="&xxe;"/></Patient>', /not well-formed: .*undefined entity.*\(line 1, column \d+\)/);
    assert.deepEqual(fhirXmlToJson('<Patient xmlns="http://hl7.org/fhir"><id value="&lt;&gt;&amp;&quot;&apos;"/></Patient>'), { resourceType: 'Patient', id: `<>&"'` });
  });

  it('reports malformed XML as a CustosError with line and column', () => {
    assert.throws(
      () => fhirXmlToJson('<Patient xmlns="http://hl7.org/fhir">\n  <id value="a">\n</Patient>'),
      (e: { code?: string; message: string; details?: Record<string, number> }) => {
        assert.equal(e.code, 'INVALID_REQUEST');
        assert.match(e.message, /^the XML body is not well-formed: unexpected close tag\. \(line 3, column \d+\)$/);
        assert.equal(e.details?.['line'], 3);
        return true;
      },
    );
    refused('<Patient xmlns="http://hl7.org/fhir"><id value="a"/>', /not well-formed: unclosed tag: Patient/);
    refused('<Patient xmlns="http://hl7.org/fhir"><Doe19610423><id value="a"/></Patient>', /not valid FHIR R4: <Doe#+> is not an element of Patient/);
    assert.throws(() => fhirXmlToJson('<Patient xmlns="http://hl7.org/fhir"><Doe19610423><id value="a"/></Patient>'), (e: Error) => !e.message.includes('19610423'));
    refused('<Patient xmlns="http://hl7.org/fhir"><id value="a></Patient>', /not well-formed/);
    refused('<Patient xmlns="http://hl7.org/fhir" xmlns="http://hl7.org/fhir"/>', /not well-formed: duplicate attribute/);
    refused('{"resourceType":"Patient"}', /not well-formed/);
    refused('', /not well-formed/);
    refused('   ', /not well-formed/);
  });

  it('does not confuse CDATA or text with values', () => {
    refused('<Patient xmlns="http://hl7.org/fhir"><id><![CDATA[x]]></id></Patient>', /CDATA is not allowed here/);
    refused('<Patient xmlns="http://hl7.org/fhir">x<id value="a"/></Patient>', /text content is not allowed here/);
  });

  it('survives deep nesting of elements without recursion', () => {
    const depth = 20_000;
    const xml = `<Patient xmlns="http://hl7.org/fhir">${'<extension url="u">'.repeat(depth)}${'</extension>'.repeat(depth)}</Patient>`;
    const json = fhirXmlToJson(xml);
    let level = 0;
    for (let node = (json['extension'] as Record<string, unknown>[])[0]; node; node = (node['extension'] as Record<string, unknown>[] | undefined)?.[0]) level++;
    assert.equal(level, depth);
  });
});
