/**
 * Where the anvil executable lives. Foundry ships it in per-platform packages
 * (`@foundry-rs/anvil-<os>-<arch>`, what the `@foundry-rs/anvil` wrapper depends on). We depend on
 * the platform package directly, as an optional dependency: the registry this project installs
 * from serves only linux-amd64, and the wrapper's other optional packages, absent there, would
 * make `npm ci` refuse the lock file. Running the binary directly also keeps a second Node
 * process (the wrapper's bin.mjs) out from between us and the node we have to stop cleanly.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CustosError } from '../../errors.js';

const PLATFORM_PACKAGES: Record<string, string | undefined> = {
  'linux-x64': '@foundry-rs/anvil-linux-amd64',
  'linux-arm64': '@foundry-rs/anvil-linux-arm64',
  'darwin-x64': '@foundry-rs/anvil-darwin-amd64',
  'darwin-arm64': '@foundry-rs/anvil-darwin-arm64',
  'win32-x64': '@foundry-rs/anvil-win32-amd64',
};

/** The binary of the installed per-platform package (callers may pass their own path instead). */
export function anvilBinary(): string {
  const pkg = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`];
  if (!pkg) {
    throw new CustosError('CONFIG_INVALID', `no anvil build for ${process.platform}-${process.arch}; set chain.rpcUrl to an external EVM node`);
  }
  const binary = join('bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  try {
    const path = join(dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`)), binary);
    if (existsSync(path)) return path;
  } catch {
    // not installed: fall through to the error below
  }
  throw new CustosError('CONFIG_INVALID', `${pkg} is not installed (an optional dependency of custos); run npm install, or set chain.rpcUrl to an external EVM node`);
}
