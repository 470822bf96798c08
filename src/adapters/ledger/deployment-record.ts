/**
 * The deployment record: which chain, which contract addresses, from which block the index must
 * read, and the consent model the registry was deployed with. Written by `custos chain deploy` (or
 * by the embedded gateway to `<dataDir>/chain/deployment.json`), read at every start.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isAddress } from 'ethers';
import { CustosError } from '../../errors.js';
import type { ConsentModel } from '../../policy/consent-model.js';

export interface DeploymentRecord {
  readonly chainId: number;
  readonly consentRegistry: string;
  readonly auditAnchor: string;
  /** The first block the consent index has to read (the registry's deployment block). */
  readonly deployedAtBlock: number;
  readonly model: ConsentModel;
}

/** Where the embedded gateway keeps the record of its local chain. */
export function localDeploymentFile(dataDir: string): string {
  return join(dataDir, 'chain', 'deployment.json');
}

/** The record in `file`, or null when there is none; a malformed file is a configuration error. */
export function readDeploymentRecord(file: string): DeploymentRecord | null {
  if (!existsSync(file)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new CustosError('CONFIG_INVALID', `deployment record ${file} is not valid JSON`);
  }
  return validateDeploymentRecord(raw, file);
}

/** Written to a temporary file and renamed, so a crash never leaves half a record. */
export function writeDeploymentRecord(file: string, record: DeploymentRecord): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(temporary, file);
}

export function validateDeploymentRecord(raw: unknown, source: string): DeploymentRecord {
  const problems: string[] = [];
  const value = (raw ?? {}) as Record<string, unknown>;
  if (!Number.isSafeInteger(value['chainId']) || (value['chainId'] as number) <= 0) problems.push('chainId must be a positive integer');
  for (const key of ['consentRegistry', 'auditAnchor']) {
    if (typeof value[key] !== 'string' || !isAddress(value[key])) problems.push(`${key} must be a 0x-prefixed contract address`);
  }
  if (!Number.isSafeInteger(value['deployedAtBlock']) || (value['deployedAtBlock'] as number) < 0) problems.push('deployedAtBlock must be a block number');
  if (value['model'] !== 'opt-in' && value['model'] !== 'opt-out') problems.push('model must be "opt-in" or "opt-out"');
  if (problems.length > 0) throw new CustosError('CONFIG_INVALID', `deployment record ${source}: ${problems.join('; ')}`);
  return {
    chainId: value['chainId'] as number,
    consentRegistry: value['consentRegistry'] as string,
    auditAnchor: value['auditAnchor'] as string,
    deployedAtBlock: value['deployedAtBlock'] as number,
    model: value['model'] as ConsentModel,
  };
}
