#!/usr/bin/env node
/**
 * Compiles contracts/*.sol with the pinned solc-js and writes one artifact per deployable contract
 * to contracts/build/<Name>.json: { contractName, sourceName, abi, bytecode, deployedBytecode,
 * compiler, sourceHash }. The ledger adapter loads these at run time (relative to the package root).
 *
 * Skips the work when the sources, compiler and settings hash to what the artifacts already record:
 * loading solc's wasm costs more than the compile itself, and `npm run build` runs this every time.
 * `--force` recompiles anyway.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const contractsDir = join(root, 'contracts');
const buildDir = join(contractsDir, 'build');
/** The contracts the adapter deploys; the other sources are abstract bases they import. */
const DEPLOYABLE = ['ConsentRegistry', 'AuditAnchor'];

const require = createRequire(import.meta.url);
const solcVersion = require('solc/package.json').version;

// `paris` (no PUSH0/MCOPY) so the bytecode runs on permissioned networks whose genesis predates
// Shanghai/Cancun (common for Besu QBFT consortia); nothing here gains from the newer opcodes.
const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'paris',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};

const started = performance.now();
const sources = Object.fromEntries(
  readdirSync(contractsDir)
    .filter((name) => name.endsWith('.sol'))
    .sort()
    .map((name) => [name, { content: readFileSync(join(contractsDir, name), 'utf8') }]),
);
const sourceHash = createHash('sha256').update(JSON.stringify({ solcVersion, settings, sources })).digest('hex');

if (!process.argv.includes('--force') && upToDate()) {
  log(`contracts up to date (${ms()} ms)`);
  process.exit(0);
}

const solc = require('solc');
const output = JSON.parse(solc.compile(JSON.stringify({ language: 'Solidity', sources, settings })));
const problems = output.errors ?? [];
for (const problem of problems) process.stderr.write(problem.formattedMessage ?? `${problem.message}\n`);
if (problems.some((problem) => problem.severity === 'error')) {
  process.stderr.write('contract compilation failed\n');
  process.exit(1);
}

mkdirSync(buildDir, { recursive: true });
for (const name of DEPLOYABLE) {
  const sourceName = `${name}.sol`;
  const contract = output.contracts?.[sourceName]?.[name];
  if (!contract) {
    process.stderr.write(`solc produced no output for ${sourceName}:${name}\n`);
    process.exit(1);
  }
  const artifact = {
    contractName: name,
    sourceName,
    abi: contract.abi,
    bytecode: `0x${contract.evm.bytecode.object}`,
    deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
    compiler: { version: solc.version(), settings: { optimizer: settings.optimizer, evmVersion: settings.evmVersion } },
    sourceHash,
  };
  writeFileSync(join(buildDir, `${name}.json`), `${JSON.stringify(artifact, null, 2)}\n`);
}
log(`compiled ${DEPLOYABLE.join(', ')} with solc ${solcVersion} (${ms()} ms)`);

function upToDate() {
  return DEPLOYABLE.every((name) => {
    const file = join(buildDir, `${name}.json`);
    if (!existsSync(file)) return false;
    try {
      return JSON.parse(readFileSync(file, 'utf8')).sourceHash === sourceHash;
    } catch {
      return false;
    }
  });
}

function ms() {
  return Math.round(performance.now() - started);
}

function log(line) {
  process.stdout.write(`${line}\n`);
}
