/**
 * TLS handshake failures with the upstream, named so that an operator knows which side to fix.
 * Without this they surface as "the exchange failed" (OpenSSL alert codes are not in undici's
 * UND_ERR_* set). Codes: Node's `ERR_SSL_*` alerts and OpenSSL's X509 verify results
 * (https://nodejs.org/api/tls.html#x509-certificate-error-codes).
 */
import type { Socket } from 'node:net';
import { buildConnector } from 'undici';
import { CustosError } from '../../errors.js';
import type { UpstreamTlsOptions } from './tls-client-options.js';

/** The upstream rejected (or never got) our client certificate: a credentials problem. */
const CLIENT_CERT_REFUSED = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
]);

/** We do not trust the upstream's certificate. */
const SERVER_CERT_UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

const NOT_VALID_NOW = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** The TLS failure in `error`, if it is one; undefined lets the general mapping take it. */
export function toTlsError(error: unknown): CustosError | undefined {
  for (const code of errorCodes(error)) {
    if (CLIENT_CERT_REFUSED.has(code)) {
      return new CustosError('UPSTREAM_AUTH_FAILED', `the upstream FHIR server refused the TLS handshake (${code}): it wants a client certificate it trusts; check the gateway's mutual TLS settings (auth type mtls, certFile, keyFile)`, undefined, { cause: error });
    }
    if (SERVER_CERT_UNTRUSTED.has(code)) {
      return new CustosError('UPSTREAM_UNREACHABLE', `the upstream FHIR server's TLS certificate is not trusted (${code}); name its CA in the auth caFile setting (or NODE_EXTRA_CA_CERTS)`, undefined, { cause: error });
    }
    if (NOT_VALID_NOW.has(code)) {
      return new CustosError('UPSTREAM_UNREACHABLE', `the upstream FHIR server's TLS certificate is not valid now (${code})`, undefined, { cause: error });
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return new CustosError('UPSTREAM_UNREACHABLE', `the upstream FHIR server's TLS certificate does not name the host of the upstream URL (${code})`, undefined, { cause: error });
    }
  }
  return undefined;
}

/** A Pool `connect` function, and the explanation of the errors of its connections. */
export interface TlsConnector {
  readonly connect: buildConnector.connector;
  explain(error: unknown): CustosError | undefined;
}

/**
 * With TLS 1.3 the client finishes its handshake before the server checks the client certificate,
 * so a refusal arrives as an alert after the request was sent; undici then reports only "other
 * side closed" (UND_ERR_SOCKET). This connector remembers the alert per connection (keyed by the
 * local address and port that undici's SocketError carries) so that error can be explained.
 */
export function tlsConnector(tls: UpstreamTlsOptions | undefined, connectTimeoutMs: number): TlsConnector {
  const base = buildConnector({ ...tls, timeout: connectTimeoutMs });
  const alerts = new Map<string, unknown>();
  const connect: buildConnector.connector = (connectOptions, callback) =>
    base(connectOptions, (...args) => {
      const socket = args[1];
      if (socket) {
        const key = socketKey(socket);
        socket.once('error', (error) => {
          if (!toTlsError(error)) return;
          alerts.set(key, error);
          // undici fails the request from its own 'close' listener, which runs after this one.
          socket.once('close', () => setImmediate(() => alerts.delete(key)));
        });
      }
      callback(...args);
    });
  return {
    connect,
    explain(error) {
      const info = (error as { socket?: { localAddress?: string; localPort?: number; bytesRead?: number } } | undefined)?.socket;
      const alert = info ? alerts.get(`${info.localAddress}:${info.localPort}`) : undefined;
      const explained = toTlsError(alert ?? error);
      if (explained || !tls?.cert || !info || info.bytesRead !== 0 || errorCodes(error)[0] !== 'UND_ERR_SOCKET') return explained;
      // Node servers refuse an untrusted client certificate by closing, without an alert; the
      // connection closed before a single byte of answer is the only trace of that.
      return new CustosError('UPSTREAM_UNREACHABLE', 'the upstream FHIR server closed the TLS connection before answering; it may not trust the gateway\'s client certificate (auth type mtls, certFile), or it may have failed', undefined, { cause: error });
    },
  };
}

function socketKey(socket: Socket): string {
  return `${socket.localAddress}:${socket.localPort}`;
}

/** Codes along the chain: undici wraps socket errors (cause); multi-address connects aggregate. */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    e = (e as { errors?: unknown[] }).errors?.[0] ?? (e as { cause?: unknown }).cause;
  }
  return codes;
}
