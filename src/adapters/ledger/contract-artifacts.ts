/**
 * The compiled contracts (ABI + bytecode), as `scripts/compile-contracts.mjs` writes them to
 * `contracts/build/` during the build. Read at run time relative to the package root, so the same
 * code works from `dist/` in the repository and in an installed package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Interface, type InterfaceAbi } from 'ethers';
import { CustosError } from '../../errors.js';

export type ContractName = 'ConsentRegistry' | 'AuditAnchor';

export interface ContractArtifact {
  readonly contractName: ContractName;
  readonly abi: InterfaceAbi;
  readonly bytecode: string;
  readonly deployedBytecode: string;
  readonly sourceHash: string;
}

const cache = new Map<string, ContractArtifact>();

/** Loads `<buildDir>/<name>.json` (default: `<package root>/contracts/build`), once per process. */
export function loadArtifact(name: ContractName, buildDir: string = defaultBuildDir()): ContractArtifact {
  const file = join(buildDir, `${name}.json`);
  const cached = cache.get(file);
  if (cached) return cached;
  if (!existsSync(file)) {
    throw new CustosError('CONFIG_INVALID', `compiled contract ${name} not found at ${file}; run \`node scripts/compile-contracts.mjs\` (part of \`npm run build\`)`);
  }
  const artifact = JSON.parse(readFileSync(file, 'utf8')) as ContractArtifact;
  cache.set(file, artifact);
  return artifact;
}

const interfaces = new Map<ContractName, Interface>();

/** The contract's ABI as an ethers Interface (shared: building one parses the whole ABI). */
export function contractInterface(name: ContractName): Interface {
  let iface = interfaces.get(name);
  if (!iface) {
    iface = new Interface(loadArtifact(name).abi);
    interfaces.set(name, iface);
  }
  return iface;
}

function defaultBuildDir(): string {
  return join(packageRoot(), 'contracts', 'build');
}

/** The nearest ancestor with a package.json: `dist/src/adapters/ledger/` → the repository root. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new CustosError('CONFIG_INVALID', 'cannot locate the Custos package root (no package.json above the ledger adapter)');
    dir = parent;
  }
  return dir;
}
