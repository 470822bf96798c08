/**
 * Running the gateway: health and readiness, graceful shutdown, logs without PHI, the CLI.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestGateway, TRANSPORT_ONLY, type TestGateway } from '../support/gateway.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

describe('operations', () => {
  let upstream: ScriptedUpstream;
  let healthy = true;
  let slow: Array<() => void> = [];

  before(async () => {
    upstream = await startScriptedUpstream((req, res) => {
      if (req.url === '/fhir/metadata') {
        res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/fhir+json' });
        res.end('{"resourceType":"CapabilityStatement"}');
      } else if (req.url?.startsWith('/fhir/Patient/slow')) {
        slow.push(() => {
          res.writeHead(200, { 'content-type': 'application/fhir+json' });
          res.end('{"resourceType":"Patient","id":"slow"}');
        });
      } else {
        res.writeHead(200, { 'content-type': 'application/fhir+json' });
        res.end('{"resourceType":"Patient","id":"1","name":[{"family":"Shaw"}]}');
      }
    });
  });
  after(() => upstream.close());

  it('/healthz says the process is alive; /readyz follows the upstream', async () => {
    const gateway = await startTestGateway(upstream.url, TRANSPORT_ONLY);
    try {
      assert.equal((await fetch(`${gateway.origin}/healthz`)).status, 200);
      healthy = true;
      const ready = await fetch(`${gateway.origin}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: 'ready', checks: { upstream: 'ok', 'audit-store': 'ok', 'consent-index': 'ok' } });
      healthy = false;
      const notReady = await fetch(`${gateway.origin}/readyz`);
      assert.equal(notReady.status, 503);
      assert.deepEqual(await notReady.json(), { status: 'not-ready', checks: { upstream: 'failing', 'audit-store': 'ok', 'consent-index': 'ok' } });
      assert.equal((await fetch(`${gateway.origin}/healthz`)).status, 200, 'alive even when not ready');
    } finally {
      healthy = true;
      await gateway.close();
    }
  });

  it('answers unknown non-FHIR routes with a JSON problem document', async () => {
    const gateway = await startTestGateway(upstream.url, TRANSPORT_ONLY);
    try {
      const response = await fetch(`${gateway.origin}/admin/nothing-here`);
      assert.equal(response.status, 404);
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
      const problem = (await response.json()) as Record<string, unknown>;
      assert.equal(problem['status'], 404);
      assert.match(String(problem['detail']), /FHIR is served under \/fhir/);
    } finally {
      await gateway.close();
    }
  });

  it('on shutdown finishes in-flight requests, then stops accepting', async () => {
    const gateway = await startTestGateway(upstream.url, TRANSPORT_ONLY);
    slow = [];
    const inFlight = fetch(`${gateway.fhirBaseUrl}/Patient/slow`, { headers: gateway.auth });
    while (slow.length === 0) await new Promise((r) => setTimeout(r, 10));
    const closing = gateway.close();
    await new Promise((r) => setTimeout(r, 100));
    slow[0]!();
    const response = await inFlight;
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { id: string }).id, 'slow');
    await closing;
    await assert.rejects(fetch(`${gateway.fhirBaseUrl}/Patient/1`, { headers: gateway.auth }), 'no new requests after shutdown');
  });

  it('logs each request without bodies, query values, ids or credentials', async () => {
    const gateway = await startTestGateway(upstream.url, TRANSPORT_ONLY);
    const secrets: string[] = [];
    try {
      await fetch(`${gateway.fhirBaseUrl}/Patient?name=Shaw&birthdate=1987-02-20`, { headers: gateway.auth });
      await fetch(`${gateway.fhirBaseUrl}/Patient/mrn-1032702`, { headers: { authorization: 'Bearer tok-secret' } });
      await fetch(`${gateway.fhirBaseUrl}/Patient`, { method: 'POST', headers: { ...gateway.auth, 'content-type': 'application/fhir+json' }, body: '{"resourceType":"Patient","name":[{"family":"Shaw"}]' });
      secrets.push(gateway.token);
    } finally {
      await gateway.close();
    }
    const log = gateway.rawLog();
    for (const secret of ['Shaw', '1987-02-20', 'mrn-1032702', '1032702', 'tok-secret', ...secrets]) {
      assert.ok(!log.includes(secret), `the log must not contain ${secret}`);
    }
    const requests = gateway.logLines().filter((l) => l['msg'] === 'fhir request');
    assert.deepEqual(requests.map((l) => [l['interaction'], l['resourceType'], l['status']]), [
      ['search-type', 'Patient', 200], ['read', 'Patient', 401], ['create', 'Patient', 400],
    ]);
    assert.ok(requests.every((l) => typeof l['requestId'] === 'string' && typeof l['ms'] === 'number'));
  });

  it('custos --help lists the commands', async () => {
    const child = spawn(process.execPath, [CLI, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    assert.equal(await new Promise<number | null>((resolve) => child.on('exit', resolve)), 0);
    assert.match(stdout, /Usage: custos/);
    assert.match(stdout, /start \[options\]/);
    assert.match(stdout, /sample-server \[options\]/);
  });

  it('custos start refuses a bad configuration with one line per problem and exit code 2', async () => {
    const child = spawn(process.execPath, [CLI, 'start'], {
      env: { ...process.env, CUSTOS_SERVER_PORT: 'eighty', CUSTOS_UPSTREAM_URL: 'not a url' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 2);
    assert.match(stderr, /^custos: configuration is invalid:\n {2}- /);
    assert.match(stderr, /server\.port: must be integer \(got "eighty"\)/);
    assert.match(stderr, /upstream\.url: must be an absolute http\(s\) URL/);
    assert.ok(!stderr.includes('    at '), 'no stack trace');
  });

  it('custos start on embedded defaults serves sample patients, and stops cleanly on SIGTERM', { timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'custos-cli-'));
    const child = spawn(process.execPath, [CLI, 'start', '--port', '0'], {
      env: { ...process.env, CUSTOS_LOG_LEVEL: 'warn', CUSTOS_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (l) => l.startsWith('custos: FHIR gateway on') && resolve(l));
        child.on('exit', (code) => reject(new Error(`custos exited with ${code}`)));
      });
      assert.match(line, /\(bundled sample server\)$/);
      const base = /on (\S+) ->/.exec(line)![1]!;
      // the newcomer's path: mint a token with the CLI, call the gateway (consent filters
      // everything: no patient has granted anything yet), record a grant, call again
      const cli = (...args: string[]) => execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8' }).trim();
      const token = cli('token', '--user', 'Practitioner/prac-01', '--scope', 'user/*.rs', '--data-dir', dataDir);
      const search = async () => {
        const response = await fetch(`${base}/Patient?_count=5`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(response.status, 200);
        return (await response.json()) as { resourceType: string; entry?: Array<{ fullUrl: string }> };
      };
      const before = await search();
      assert.equal(before.resourceType, 'Bundle');
      assert.equal(before.entry?.length ?? 0, 0, 'opt-in: nothing without a grant');
      const registrar = cli('token', '--user', 'Practitioner/registrar-1', '--scope', 'custos/registrar', '--data-dir', dataDir);
      cli('consent', 'grant', '--patient', 'Patient/pat-001', '--grantee', 'Practitioner/prac-01', '--gateway', new URL(base).origin, '--token', registrar);
      let after = await search();
      for (let i = 0; i < 50 && (after.entry?.length ?? 0) === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        after = await search();
      }
      assert.deepEqual(after.entry?.map((e) => e.fullUrl), [`${base}/Patient/pat-001`]);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
  });
});
