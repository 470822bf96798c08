import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fhirJsonToXml, fhirXmlToJson } from '../../../src/fhir/xml/fhir-xml.js';

type Json = Record<string, unknown>;

const XHTML = 'http://www.w3.org/1999/xhtml';
const roundTrip = (resource: Json) => assert.deepStrictEqual(fhirXmlToJson(fhirJsonToXml(resource)), resource);
const fhir = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>${body}`;
const rejects = (fn: () => unknown, code: string, message: RegExp) =>
  assert.throws(fn, (e: { code?: string; message: string }) => {
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });

describe('FHIR XML ⇄ JSON conversion', () => {
  it('writes an XML declaration, the FHIR namespace and elements in definition order', () => {
    const xml = fhirJsonToXml({ gender: 'female', name: [{ given: ['Ann'], family: 'Lee' }], id: 'p1', resourceType: 'Patient', active: true });
    assert.equal(
      xml,
      '<?xml version="1.0" encoding="UTF-8"?><Patient xmlns="http://hl7.org/fhir"><id value="p1"/><active value="true"/>' +
        '<name><family value="Lee"/><given value="Ann"/></name><gender value="female"/></Patient>',
    );
  });

  it('reads values as their JSON kinds: booleans, integers and decimals become numbers and booleans', () => {
    const json = fhirXmlToJson(fhir(
      '<Observation xmlns="http://hl7.org/fhir"><status value="final"/><code><text value="x"/></code>' +
        '<valueQuantity><value value="1.50"/><unit value="mg"/></valueQuantity>' +
        '<referenceRange><low><value value="-3"/></low></referenceRange></Observation>',
    ));
    assert.deepStrictEqual(json, {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      valueQuantity: { value: 1.5, unit: 'mg' },
      referenceRange: [{ low: { value: -3 } }],
    });
    assert.deepStrictEqual(fhirXmlToJson('<Patient xmlns="http://hl7.org/fhir"><active value="false"/><telecom><rank value="2"/></telecom></Patient>'), {
      resourceType: 'Patient',
      active: false,
      telecom: [{ rank: 2 }],
    });
  });

  it('carries primitive extensions (_given) in both directions, with nulls keeping arrays aligned', () => {
    const resource = {
      resourceType: 'Patient',
      active: true,
      _active: { id: 'a1' },
      _birthDate: { extension: [{ url: 'http://example.org/unknown-reason', valueCode: 'asked-declined' }] },
      name: [{ given: ['Ann', null, 'Cy'], _given: [null, { id: 'g2', extension: [{ url: 'http://example.org/x', valueString: 'v' }] }, null] }],
    };
    const xml = fhirJsonToXml(resource);
    assert.match(xml, /<active id="a1" value="true"\/>/);
    assert.match(xml, /<birthDate><extension url="http:\/\/example.org\/unknown-reason"><valueCode value="asked-declined"\/><\/extension><\/birthDate>/);
    assert.match(xml, /<given value="Ann"\/><given id="g2"><extension url="http:\/\/example.org\/x"><valueString value="v"\/><\/extension><\/given><given value="Cy"\/>/);
    roundTrip(resource);
    // Only extensions: the value half is omitted, not written as [null].
    assert.deepStrictEqual(fhirXmlToJson('<Patient xmlns="http://hl7.org/fhir"><name><given id="g"/></name></Patient>'), {
      resourceType: 'Patient',
      name: [{ _given: [{ id: 'g' }] }],
    });
  });

  it('names choice elements after their type ([x]) and allows only one type per choice', () => {
    const resource = {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
      effectiveDateTime: '2024-01-02T03:04:05Z',
      valueQuantity: { value: 72, unit: 'beats/min' },
      component: [{ code: { text: 'c' }, valueCodeableConcept: { text: 'v' } }, { code: { text: 'd' }, valueBoolean: false }],
      extension: [{ url: 'http://example.org/e', valuePeriod: { start: '2024' } }],
    };
    const xml = fhirJsonToXml(resource);
    assert.match(xml, /<effectiveDateTime value="2024-01-02T03:04:05Z"\/><valueQuantity><value value="72"\/>/);
    assert.match(xml, /<valueCodeableConcept><text value="v"\/><\/valueCodeableConcept>/);
    roundTrip(resource);
    rejects(
      () => fhirXmlToJson('<Observation xmlns="http://hl7.org/fhir"><valueString value="a"/><valueBoolean value="true"/></Observation>'),
      'INVALID_REQUEST',
      /<valueBoolean> may appear only once in Observation/,
    );
  });

  it('copies the xhtml narrative as written and requires it to be one XHTML div', () => {
    const div = `<div xmlns="${XHTML}"><p class="x">1 &lt; 2 &amp;&amp; &quot;q&quot;</p>\n<table><tr><td>é</td></tr></table><br/></div>`;
    const resource = { resourceType: 'Patient', text: { status: 'generated', div } };
    assert.ok(fhirJsonToXml(resource).includes(`<text><status value="generated"/>${div}</text>`));
    roundTrip(resource);
    // From XML: a namespace declared on an ancestor is written onto the JSON div.
    const inherited = fhirXmlToJson(`<Patient xmlns="http://hl7.org/fhir"><text xmlns:h="${XHTML}"><status value="generated"/><div xmlns="${XHTML}"><b>x</b></div></text></Patient>`);
    assert.deepStrictEqual(inherited['text'], { status: 'generated', div: `<div xmlns="${XHTML}"><b>x</b></div>` });
    // From JSON: a div that forgot its namespace gets it, so it does not land in the FHIR namespace.
    assert.match(fhirJsonToXml({ resourceType: 'Patient', text: { status: 'generated', div: '<div>x</div>' } }), new RegExp(`<div xmlns="${XHTML}">x</div>`));
    rejects(() => fhirXmlToJson('<Patient xmlns="http://hl7.org/fhir"><text><status value="generated"/><div><p/></div></text></Patient>'), 'INVALID_REQUEST', /narrative must be a <div> in the http:\/\/www.w3.org\/1999\/xhtml namespace/);
    for (const bad of ['<div xmlns="http://www.w3.org/1999/xhtml"><p></div>', '<p xmlns="http://www.w3.org/1999/xhtml">x</p>', `<div xmlns="${XHTML}">&nbsp;</div>`, `<div xmlns="${XHTML}"></div><div/>`, 'text']) {
      rejects(() => fhirJsonToXml({ resourceType: 'Patient', text: { status: 'generated', div: bad } }), 'UPSTREAM_BAD_RESPONSE', /narrative/);
    }
    // Copied text can never close the surrounding FHIR elements.
    rejects(() => fhirJsonToXml({ resourceType: 'Patient', text: { status: 'generated', div: `<div xmlns="${XHTML}"/></text><active value="true"/><text><div xmlns="${XHTML}"/>` } }), 'UPSTREAM_BAD_RESPONSE', /narrative/);
  });

  it('wraps contained resources and Bundle entries in their container elements', () => {
    const patient = {
      resourceType: 'Patient',
      id: 'p1',
      contained: [{ resourceType: 'Organization', id: 'org1', name: 'Acme' }],
      managingOrganization: { reference: '#org1' },
    };
    assert.match(fhirJsonToXml(patient), /<contained><Organization><id value="org1"\/><name value="Acme"\/><\/Organization><\/contained>/);
    roundTrip(patient);
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch-response',
      total: 2,
      link: [{ relation: 'self', url: 'https://gw.example/fhir/Patient' }],
      entry: [
        { fullUrl: 'https://gw.example/fhir/Patient/p1', resource: patient, search: { mode: 'match', score: 0.5 } },
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, response: { status: '201 Created' } },
        { response: { status: '400', outcome: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid' }] } } },
      ],
    };
    const xml = fhirJsonToXml(bundle);
    assert.match(xml, /<entry><fullUrl value="https:\/\/gw.example\/fhir\/Patient\/p1"\/><resource><Patient><id value="p1"\/>/);
    assert.match(xml, /<outcome><OperationOutcome><issue>/);
    roundTrip(bundle);
    rejects(() => fhirXmlToJson('<Patient xmlns="http://hl7.org/fhir"><contained/></Patient>'), 'INVALID_REQUEST', /<contained> must contain a resource/);
    rejects(
      () => fhirXmlToJson('<Patient xmlns="http://hl7.org/fhir"><contained><Basic/><Basic/></contained></Patient>'),
      'INVALID_REQUEST',
      /only one resource is allowed here/,
    );
  });

  it('escapes and restores special and non-ASCII characters exactly', () => {
    const text = 'a<b>&c"d\'e\tf\ng\r\nh  i — ü 中文 😀 \u200f';
    const resource = { resourceType: 'Patient', id: 'x', name: [{ text, family: '&amp;' }] };
    const xml = fhirJsonToXml(resource);
    assert.ok(xml.includes('<text value="a&lt;b&gt;&amp;c&quot;d\'e&#x9;f&#xA;g&#xD;&#xA;h  i — ü 中文 😀 \u200f"/>'));
    assert.ok(xml.includes('<family value="&amp;amp;"/>'));
    roundTrip(resource);
    assert.equal((fhirXmlToJson(Buffer.from(`\uFEFF<Patient xmlns="http://hl7.org/fhir"><name><text value="&#x1F600; &#233; &lt;"/></name></Patient>`)) as { name: Json[] }).name[0]!['text'], '😀 é <');
    for (const bad of ['nul\u0000', 'bell\u0007', 'lone \ud800 surrogate', '\uffff']) {
      rejects(() => fhirJsonToXml({ resourceType: 'Patient', name: [{ text: bad }] }), 'UPSTREAM_BAD_RESPONSE', /character that XML 1.0 cannot represent \(at Patient.name\[0\].text\)/);
    }
  });

  it('refuses JSON it cannot write faithfully, naming the element but no value', () => {
    rejects(() => fhirJsonToXml({ resourceType: 'Patient', nickname: 'SECRET' }), 'UPSTREAM_BAD_RESPONSE', /not defined in FHIR R4 \(at Patient.nickname\)/);
    rejects(() => fhirJsonToXml({ resourceType: 'Patient', name: [{ given: 'SECRET' }] }), 'UPSTREAM_BAD_RESPONSE', /expected an array \(at Patient.name\[0\].given\)/);
    rejects(() => fhirJsonToXml({ resourceType: 'Patient', active: 'yes' }), 'UPSTREAM_BAD_RESPONSE', /expected a JSON boolean/);
    rejects(() => fhirJsonToXml({ resourceType: 'Patient', _name: {} }), 'UPSTREAM_BAD_RESPONSE', /Patient._name/);
    rejects(() => fhirJsonToXml({ resourceType: 'Unicorn' }), 'UPSTREAM_BAD_RESPONSE', /"Unicorn" is not an R4 resource type/);
    rejects(() => fhirJsonToXml({ id: 'x' }), 'UPSTREAM_BAD_RESPONSE', /no resourceType/);
    assert.throws(() => fhirJsonToXml({ resourceType: 'Patient', nickname: 'SECRET' }), (e: Error) => !e.message.includes('SECRET'));
  });

  it('refuses XML that is not FHIR R4, with line, column and element path but no value', () => {
    const check = (xml: string, message: RegExp, details?: Json) =>
      assert.throws(() => fhirXmlToJson(xml), (e: { code?: string; message: string; details?: Json }) => {
        assert.equal(e.code, 'INVALID_REQUEST');
        assert.match(e.message, message);
        assert.ok(!e.message.includes('SECRET'), e.message);
        if (details) assert.deepEqual({ ...e.details }, details);
        return true;
      });
    check('<Patient xmlns="http://hl7.org/fhir">\n  <name>\n    <nickname value="SECRET"/>', /<nickname> is not an element of HumanName \(line 3, column 31, at Patient.name.nickname\)/, {
      line: 3,
      column: 31,
      element: 'Patient.name.nickname',
    });
    check('<Unicorn xmlns="http://hl7.org/fhir"/>', /<Unicorn> is not a FHIR R4 resource type/);
    check('<Patient><id value="SECRET"/></Patient>', /not in the FHIR namespace: declare xmlns="http:\/\/hl7.org\/fhir"/);
    check('<Patient xmlns="http://hl7.org/fhir"><x:id xmlns:x="urn:other" value="SECRET"/></Patient>', /<x:id> is not in the FHIR namespace/);
    check('<Patient xmlns="http://hl7.org/fhir"><active value="SECRET"/></Patient>', /the value of <active> must be true or false/);
    check('<Patient xmlns="http://hl7.org/fhir"><telecom><rank value="SECRET"/></telecom></Patient>', /the value of <rank> must be an integer/);
    check('<Patient xmlns="http://hl7.org/fhir"><id value=""/></Patient>', /value attribute of <id> must not be empty/);
    check('<Patient xmlns="http://hl7.org/fhir"><id>SECRET</id></Patient>', /text content is not allowed here/);
    check('<Patient xmlns="http://hl7.org/fhir"><id value="a" secret="SECRET"/></Patient>', /<id> cannot have an attribute "secret"/);
    check('<Patient xmlns="http://hl7.org/fhir"><id value="a"/><id value="b"/></Patient>', /<id> may appear only once in Patient/);
    check('<Patient xmlns="http://hl7.org/fhir"><name/><gender/></Patient>', /<gender> needs a value attribute or an extension/);
    check('<Patient xmlns="http://hl7.org/fhir"><id value="a"/></Patient><Patient xmlns="http://hl7.org/fhir"/>', /not well-formed/);
    check('<?xml version="1.0" encoding="ISO-8859-1"?><Patient xmlns="http://hl7.org/fhir"/>', /encoding other than UTF-8/);
  });

  it('accepts schemaLocation, comments and processing instructions, and reads Buffers as UTF-8', () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><?xml-stylesheet href="x"?>\n<Patient xmlns="http://hl7.org/fhir" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://hl7.org/fhir ../patient.xsd">\n  <!-- why -->\n  <id value="é"/>\n</Patient>\n';
    assert.deepStrictEqual(fhirXmlToJson(Buffer.from(xml, 'utf8')), { resourceType: 'Patient', id: 'é' });
    rejects(() => fhirXmlToJson(Buffer.from([0x3c, 0x50, 0xff, 0xfe])), 'INVALID_REQUEST', /not valid UTF-8/);
  });
});
