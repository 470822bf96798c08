/**
 * Round-trips every official R4 example (the hl7.fhir.r4.examples package, FHIR 4.0.1) through the
 * converter: JSON → XML → JSON must give back exactly the example, and XML → JSON → XML exactly the
 * same document (so element order and escaping are deterministic).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fhirJsonToXml, fhirXmlToJson } from '../../../src/fhir/xml/fhir-xml.js';

const examples = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));
const files = readdirSync(examples).filter((f) => f.endsWith('.json') && f !== 'package.json' && !f.startsWith('.')).sort();

describe('official R4 examples (hl7.fhir.r4.examples 4.0.1)', () => {
  it('are all there', () => {
    assert.ok(files.length > 5000, `expected the full example set, found ${files.length} files`);
  });

  it('survive JSON → XML → JSON deep-equal, and XML → JSON → XML byte-equal', (t) => {
    const failures: string[] = [];
    for (const file of files) {
      const json = JSON.parse(readFileSync(join(examples, file), 'utf8')) as Record<string, unknown>;
      try {
        const xml = fhirJsonToXml(json);
        const back = fhirXmlToJson(xml);
        assert.deepStrictEqual(back, json);
        assert.equal(fhirJsonToXml(back), xml);
      } catch (error) {
        failures.push(`${file}: ${(error as Error).message.slice(0, 300)}`);
      }
    }
    t.diagnostic(`${files.length - failures.length} of ${files.length} examples round-tripped`);
    assert.deepEqual(failures, []);
  });
});
