import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadFhirSchema } from '../../src/fhir/fhir-schema.js';

// The generator is plain .mjs outside tsc's include: load it from the repository root, three
// levels above this file's compiled location dist/test/fhir/.
const root = new URL('../../../', import.meta.url);
interface Generator {
  TARGET: string;
  computeR4RequiredElements(): Record<string, string[]>;
  generateR4RequiredElements(elements?: Record<string, string[]>): string;
}
const generator = (await import(new URL('scripts/r4-required-elements-lib.mjs', root).href)) as Generator;
const elements = generator.computeR4RequiredElements();

describe('src/fhir/r4-required-elements.ts', () => {
  it('is what scripts/generate-r4-required-elements.mjs produces from the R4 StructureDefinitions', () => {
    const committed = readFileSync(fileURLToPath(new URL(generator.TARGET, root)), 'utf8');
    assert.equal(committed, generator.generateR4RequiredElements(elements),
      `stale or hand-edited: run node scripts/generate-r4-required-elements.mjs > ${generator.TARGET}`);
  });

  it('leaves nothing of Observation unrequired: status here, code in the schema', () => {
    assert.deepEqual(elements['Observation'], ['status']);
    assert.ok(loadFhirSchema().schema.definitions['Observation']?.required?.includes('code'));
  });

  it('lists choice elements with their R4 types, `*` for every open type', () => {
    assert.deepEqual(elements['MedicationRequest'], ['status', 'intent', 'medication[x]=CodeableConcept|Reference']);
    assert.deepEqual(elements['Task_Input'], ['value[x]=*']);
  });

  it("takes R4, not medplum's R5-shaped profiles: EvidenceVariable.characteristic.definition[x] is 1..1", () => {
    assert.deepEqual(elements['EvidenceVariable_Characteristic'], ['definition[x]=Reference|canonical|CodeableConcept|Expression|DataRequirement|TriggerDefinition']);
  });
});
