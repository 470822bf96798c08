/**
 * The embedded dev issuer's signing key: an ES256 (P-256) private JWK in one file under the data
 * directory, created on first use with mode 0600 and reused afterwards, so tokens minted by
 * `custos token` and by an earlier run keep verifying. The gateway and the CLI may both create it
 * at the same moment; the key is written to a private temporary file and hard-linked into place,
 * which fails if the file already exists, so exactly one key wins and nobody reads half a file.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { CustosError } from '../../errors.js';

export const DEV_KEY_FILE_NAME = 'dev-issuer-key.json';

export interface DevKey {
  /** The private JWK, with `kid` (its RFC 7638 thumbprint), `alg: ES256`, `use: sig`. */
  readonly privateJwk: JWK;
  readonly file: string;
}

export async function loadOrCreateDevKey(dataDir: string): Promise<DevKey> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, DEV_KEY_FILE_NAME);
  const existing = await readKey(file);
  if (existing) return { privateJwk: existing, file };

  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const privateJwk: JWK = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' };
  const text = JSON.stringify(privateJwk, null, 2) + '\n';
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, { mode: 0o600, flag: 'wx' });
    await link(temporary, file).catch((error: { code?: string }) => {
      // Some mounted volumes have no hard links: fall back to an exclusive create (a concurrent
      // reader could then see a partial file, and would say so).
      if (error.code === 'EEXIST') throw error;
      return writeFile(file, text, { mode: 0o600, flag: 'wx' });
    });
    return { privateJwk, file };
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw unusable(file, 'could not be written', error);
    const winner = await readKey(file);
    if (!winner) throw unusable(file, 'vanished while being created');
    return { privateJwk: winner, file };
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

async function readKey(file: string): Promise<JWK | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw unusable(file, 'is not readable', error);
  }
  // Like ssh with a private key: a key others can read is refused rather than trusted.
  if (process.platform !== 'win32' && ((await stat(file)).mode & 0o077) !== 0) {
    throw unusable(file, 'is readable by other users; run chmod 600 on it (or delete it to generate a new key)');
  }
  let jwk: JWK;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch (error) {
    throw unusable(file, 'is not JSON; delete it to generate a new key', error);
  }
  if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d || !jwk.x || !jwk.y || typeof jwk.kid !== 'string') {
    throw unusable(file, 'is not an ES256 private JWK; delete it to generate a new key');
  }
  return { ...jwk, alg: 'ES256', use: 'sig' };
}

function unusable(file: string, reason: string, cause?: unknown): CustosError {
  return new CustosError('CONFIG_INVALID', `the dev issuer key file ${file} ${reason}`, undefined, cause === undefined ? undefined : { cause });
}
