/**
 * Mutual TLS is not a header but a property of the connection: the client certificate and key
 * (and the CA the upstream's certificate must chain to) become the undici Pool's `connect`
 * options. The files are read once, at start, and checked together so that a wrong path, a wrong
 * passphrase or a key that does not belong to the certificate stops the start with one clear line
 * instead of failing every request later.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { UpstreamAuthConfig } from '../../config/types.js';
import { CustosError } from '../../errors.js';

/**
 * What the Pool's TLS connector needs (a subset of `tls.ConnectionOptions`). Without cert and key
 * it only sets the trusted CA.
 */
export interface UpstreamTlsOptions {
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly ca?: Buffer;
  readonly passphrase?: string;
}

type MtlsConfig = Extract<UpstreamAuthConfig, { type: 'mtls' }>;

/** @param where the config path of this `auth` block, for messages (e.g. `upstream.auth`). */
export function readTlsClientOptions(auth: MtlsConfig, where = 'upstream.auth'): UpstreamTlsOptions {
  const options: UpstreamTlsOptions = {
    cert: readPem(auth.certFile, `${where}.certFile`),
    key: readPem(auth.keyFile, `${where}.keyFile`),
    ...(auth.caFile ? { ca: readPem(auth.caFile, `${where}.caFile`) } : {}),
    ...(auth.passphrase !== undefined ? { passphrase: auth.passphrase } : {}),
  };
  try {
    // Parses all three and checks that the key matches the certificate; OpenSSL's reason (e.g.
    // "bad decrypt", "key values mismatch") names no secret, so it may be quoted.
    createSecureContext(options);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^error:[0-9A-F]+:/i, '').slice(0, 120) : 'unknown';
    throw new CustosError(
      'CONFIG_INVALID',
      `${where}: the client certificate, key${auth.caFile ? ', CA' : ''}${auth.passphrase !== undefined ? ' and passphrase' : ''} do not form a usable TLS identity (${reason}); check that keyFile belongs to certFile and the passphrase is right`,
      undefined,
      { cause: error },
    );
  }
  return options;
}

function readPem(file: string, field: string): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new CustosError('CONFIG_INVALID', `${field}: cannot read the file ${file} (${typeof code === 'string' ? code : 'unreadable'}); does it exist and is it readable by the gateway?`, undefined, { cause: error });
  }
  if (!content.includes('-----BEGIN ')) throw new CustosError('CONFIG_INVALID', `${field}: the file ${file} is not PEM (expected a "-----BEGIN ..." block)`);
  return content;
}
