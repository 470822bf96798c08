/**
 * Mutual TLS to the upstream: a real HTTPS server that demands a client certificate from its own
 * CA (requestCert + rejectUnauthorized), with certificates made by the openssl CLI for this run.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { upstreamCredentials } from '../../../src/adapters/upstream/auth-interceptors.js';
import { readTlsClientOptions, type UpstreamTlsOptions } from '../../../src/adapters/upstream/tls-client-options.js';
import { createUndiciSource } from '../../../src/adapters/upstream/undici-source.js';
import type { UpstreamAuthConfig } from '../../../src/config/types.js';
import { CustosError } from '../../../src/errors.js';
import type { FhirSource } from '../../../src/fhir/upstream.js';
import { custosRejection } from '../../support/custos-rejection.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-mtls-'));
const file = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

function makeCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`);
}

/** A leaf certificate signed by `ca`; `extra` are openssl extension lines (e.g. SANs). */
function makeLeaf(name: string, ca: string, extra: string, keyArgs: string[] = ['-nodes']): void {
  writeFileSync(file(`${name}.ext`), `${extra}\n`);
  openssl('req', '-newkey', 'rsa:2048', ...keyArgs, '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
}

let server: Server;
let url: string;
const seenClients: string[] = [];

before(async () => {
  makeCa('upstream-ca');
  makeCa('rogue-ca');
  makeLeaf('fhir-upstream', 'upstream-ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  makeLeaf('custos-gateway', 'upstream-ca', 'extendedKeyUsage=clientAuth');
  makeLeaf('custos-locked', 'upstream-ca', 'extendedKeyUsage=clientAuth', ['-passout', 'pass:correct horse']);
  makeLeaf('intruder', 'rogue-ca', 'extendedKeyUsage=clientAuth');

  server = createServer(
    {
      key: readFileSync(file('fhir-upstream.key')),
      cert: readFileSync(file('fhir-upstream.crt')),
      ca: readFileSync(file('upstream-ca.crt')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      seenClients.push(String(peer.subject?.CN));
      res.writeHead(200, { 'content-type': 'application/fhir+json' });
      res.end(JSON.stringify({ resourceType: 'Patient', id: 'pat-001' }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
});
after(() => new Promise<void>((resolve) => {
  server.closeAllConnections();
  server.close(() => resolve());
}));

function mtls(overrides: Partial<Extract<UpstreamAuthConfig, { type: 'mtls' }>> = {}): Extract<UpstreamAuthConfig, { type: 'mtls' }> {
  return { type: 'mtls', certFile: file('custos-gateway.crt'), keyFile: file('custos-gateway.key'), caFile: file('upstream-ca.crt'), ...overrides };
}

async function withSource<T>(tls: UpstreamTlsOptions | undefined, use: (source: FhirSource) => Promise<T>, baseUrl = url): Promise<T> {
  const source = createUndiciSource({ id: 'ehr', baseUrl, connections: 2, connectTimeoutMs: 2_000, responseTimeoutMs: 2_000, ...(tls ? { tls } : {}) });
  try {
    return await use(source);
  } finally {
    await source.close();
  }
}

async function read(source: FhirSource): Promise<{ status: number; body: unknown }> {
  const response = await source.send({ method: 'GET', path: '/Patient/pat-001', query: '', headers: { accept: 'application/fhir+json' } });
  return { status: response.status, body: JSON.parse((await response.body.collect()).toString()) };
}

const failure = custosRejection;

describe('mutual TLS to the upstream', () => {
  it('presents the client certificate from the config files and reads the upstream over https', async () => {
    const { tls, interceptors } = upstreamCredentials(mtls());
    assert.equal(interceptors.length, 0, 'mutual TLS is a connection setting, not a header');
    seenClients.length = 0;
    const answers = await withSource(tls, (source) => Promise.all([read(source), read(source), read(source)]));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
    assert.deepEqual(answers[0]?.body, { resourceType: 'Patient', id: 'pat-001' });
    assert.deepEqual([...new Set(seenClients)], ['custos-gateway']);
  });

  it('fails with a clear error when no client certificate is presented', async () => {
    const caOnly: UpstreamTlsOptions = { ca: readFileSync(file('upstream-ca.crt')) };
    const error = await failure(withSource(caOnly, read));
    assert.equal(error.code, 'UPSTREAM_AUTH_FAILED');
    assert.match(error.message, /refused the TLS handshake .*wants a client certificate it trusts/);
  });

  it('fails with a clear error when the client certificate comes from a CA the upstream does not trust', async () => {
    const tls = readTlsClientOptions(mtls({ certFile: file('intruder.crt'), keyFile: file('intruder.key') }));
    const error = await failure(withSource(tls, read));
    // A Node server closes without an alert here (TLS 1.3), so the gateway can only say what it saw.
    assert.equal(error.code, 'UPSTREAM_UNREACHABLE');
    assert.match(error.message, /closed the TLS connection before answering; it may not trust the gateway's client certificate/);
  });

  it('does not trust an upstream whose certificate does not chain to caFile (or the system CAs)', async () => {
    const { caFile: _ignored, ...withoutCa } = mtls();
    const error = await failure(withSource(readTlsClientOptions(withoutCa), read));
    assert.equal(error.code, 'UPSTREAM_UNREACHABLE');
    assert.match(error.message, /TLS certificate is not trusted \([A-Z_]+\); name its CA in the auth caFile/);
    const rogue = await failure(withSource(readTlsClientOptions(mtls({ caFile: file('rogue-ca.crt') })), read));
    assert.equal(rogue.code, 'UPSTREAM_UNREACHABLE');
  });

  it('checks that the certificate names the upstream host', async () => {
    // The same certificate (made for 127.0.0.1) served on another loopback address.
    const elsewhere = createServer({ key: readFileSync(file('fhir-upstream.key')), cert: readFileSync(file('fhir-upstream.crt')) }, (_req, res) => res.end('{}'));
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.2', resolve));
    try {
      const other = `https://127.0.0.2:${(elsewhere.address() as AddressInfo).port}/fhir`;
      const error = await failure(withSource(readTlsClientOptions(mtls()), read, other));
      assert.equal(error.code, 'UPSTREAM_UNREACHABLE');
      assert.match(error.message, /does not name the host of the upstream URL \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
    } finally {
      elsewhere.closeAllConnections();
      await new Promise((resolve) => elsewhere.close(resolve));
    }
  });

  it('opens an encrypted key with its passphrase, and refuses a wrong one at start without echoing it', async () => {
    const locked = mtls({ certFile: file('custos-locked.crt'), keyFile: file('custos-locked.key'), passphrase: 'correct horse' });
    assert.equal((await withSource(readTlsClientOptions(locked), read)).status, 200);
    assert.throws(() => readTlsClientOptions({ ...locked, passphrase: 'battery staple' }), (e: unknown) => {
      assert.ok(e instanceof CustosError);
      assert.equal(e.code, 'CONFIG_INVALID');
      assert.match(e.message, /^upstream\.auth: the client certificate, key, CA and passphrase do not form a usable TLS identity/);
      assert.doesNotMatch(e.message, /battery|staple|correct horse/);
      return true;
    });
  });

  it('stops the start when a file is missing, is not PEM, or the key does not belong to the certificate', () => {
    assert.throws(() => readTlsClientOptions(mtls({ certFile: file('missing.crt') }), 'sources[1].auth'), /^CustosError: sources\[1\]\.auth\.certFile: cannot read the file .*missing\.crt \(ENOENT\)/);
    writeFileSync(file('not-pem.key'), 'just some bytes');
    assert.throws(() => readTlsClientOptions(mtls({ keyFile: file('not-pem.key') })), /upstream\.auth\.keyFile: the file .* is not PEM/);
    assert.throws(() => readTlsClientOptions(mtls({ keyFile: file('intruder.key') })), (e: unknown) => {
      assert.ok(e instanceof CustosError);
      assert.match(e.message, /do not form a usable TLS identity .*check that keyFile belongs to certFile/);
      assert.doesNotMatch(e.message, /BEGIN/);
      return true;
    });
  });

  it('refuses TLS settings for an http: upstream URL', () => {
    assert.throws(
      () => createUndiciSource({ id: 'ehr', baseUrl: url.replace('https:', 'http:'), connections: 1, connectTimeoutMs: 1_000, responseTimeoutMs: 1_000, tls: readTlsClientOptions(mtls()) }),
      /upstream ehr: TLS settings \(mutual TLS, caFile\) need an https: upstream URL/,
    );
  });
});
