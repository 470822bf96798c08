/**
 * The private key that signs SMART Backend Services client assertions, read once at start.
 * SMART allows exactly RS384 and ES384 (backend-services.html#authentication-jwt-header-values),
 * so the key decides the algorithm unless the configuration names one, and a key that cannot
 * sign with it stops the start. The `kid` defaults to the key's RFC 7638 thumbprint, which is what
 * many servers (and `jose`) use as the kid of a registered JWK.
 */
import { createHash, createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CustosError } from '../../errors.js';

export type AssertionAlgorithm = 'RS384' | 'ES384';

export interface AssertionKey {
  readonly key: KeyObject;
  readonly algorithm: AssertionAlgorithm;
  readonly keyId: string;
}

export interface AssertionKeyConfig {
  readonly privateKeyFile: string;
  readonly algorithm?: AssertionAlgorithm;
  readonly keyId?: string;
}

/** @param where the config path of this `auth` block, for messages (e.g. `upstream.auth`). */
export function readAssertionKey(config: AssertionKeyConfig, where = 'upstream.auth'): AssertionKey {
  const field = `${where}.privateKeyFile`;
  const key = parsePrivateKey(readText(config.privateKeyFile, field), config.privateKeyFile, field);
  const algorithm = algorithmFor(key, config.algorithm, where);
  return { key, algorithm, keyId: config.keyId ?? thumbprint(key) };
}

function readText(file: string, field: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new CustosError('CONFIG_INVALID', `${field}: cannot read the file ${file} (${typeof code === 'string' ? code : 'unreadable'}); does it exist and is it readable by the gateway?`, undefined, { cause: error });
  }
}

function parsePrivateKey(text: string, file: string, field: string): KeyObject {
  try {
    // A JWK file (as generated for SMART registration) or PEM: PKCS#8, PKCS#1 or SEC1.
    return text.trimStart().startsWith('{')
      ? createPrivateKey({ key: JSON.parse(text) as JsonWebKey, format: 'jwk' })
      : createPrivateKey(text);
  } catch {
    // The parser's message is not quoted: it could echo part of the file.
    throw new CustosError('CONFIG_INVALID', `${field}: the file ${file} does not hold an unencrypted private key (PEM PKCS#8, PKCS#1, SEC1, or a private JWK)`);
  }
}

function algorithmFor(key: KeyObject, wanted: AssertionAlgorithm | undefined, where: string): AssertionAlgorithm {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  const fits: AssertionAlgorithm | undefined =
    type === 'rsa' && (details.modulusLength ?? 0) >= 2048 ? 'RS384'
    : type === 'ec' && details.namedCurve === 'secp384r1' ? 'ES384'
    : undefined;
  if (!fits) {
    const what = type === 'ec' ? `an EC ${details.namedCurve ?? ''} key` : type === 'rsa' ? `a ${details.modulusLength ?? 0}-bit RSA key` : `a ${type ?? 'unknown'} key`;
    throw new CustosError('CONFIG_INVALID', `${where}.privateKeyFile: holds ${what}; SMART Backend Services needs an RSA key of at least 2048 bits (RS384) or an EC P-384 key (ES384)`);
  }
  if (wanted && wanted !== fits) throw new CustosError('CONFIG_INVALID', `${where}.algorithm: ${wanted} does not fit the key in privateKeyFile (it signs ${fits})`);
  return fits;
}

/** RFC 7638: SHA-256 over the required public members in lexicographic order, base64url. */
function thumbprint(key: KeyObject): string {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  const members = jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}
