/**
 * Embedded-mode secrets (e.g. the pseudonym HMAC key): generated once with a CSPRNG, written to
 * the data directory readable by the owner only, and reused on every start, so pseudonyms stay
 * stable across restarts. Production passes its secrets from a secret store instead.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CustosError } from '../../errors.js';

export function loadOrCreateSecret(file: string, bytes = 32): string {
  try {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) chmodSync(file, 0o600); // tighten a copy made with a loose umask
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length < bytes) throw new CustosError('CONFIG_INVALID', `the secret in ${file} is too short; delete it to have a new one generated`);
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(bytes).toString('base64url');
  // 'wx': never overwrite a secret another process created in the meantime.
  try {
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw error;
  }
}
