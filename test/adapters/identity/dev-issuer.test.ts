import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createAuthenticator } from '../../../src/adapters/identity/authenticator.js';
import { DEV_KEY_FILE_NAME } from '../../../src/adapters/identity/dev-issuer-key.js';
import { createDevIssuer, DEV_AUDIENCE, DEV_ISSUER, type DevIssuer } from '../../../src/adapters/identity/dev-issuer.js';
import { createJwtVerifier } from '../../../src/adapters/identity/jwt-verifier.js';

const dataDir = () => join(mkdtempSync(join(tmpdir(), 'custos-dev-issuer-')), 'data');
const open = (dir: string) => createDevIssuer({ dataDir: dir, production: false, env: {} });
const gatewayTrusting = (...issuers: DevIssuer[]) =>
  createAuthenticator({
    verifier: createJwtVerifier({ issuers: issuers.map((i) => i.trustedIssuer()) }),
    purposeOfUse: { acceptHeader: false },
  });

const code = (expected: string, pattern: RegExp) => (error: Error & { code?: string }) => error.code === expected && pattern.test(error.message);

describe('the embedded dev issuer', () => {
  it('mints tokens the gateway accepts, carrying what was asked for', async () => {
    const issuer = await open(dataDir());
    assert.equal(issuer.issuer, DEV_ISSUER);
    assert.equal(issuer.audience, DEV_AUDIENCE);
    const token = await issuer.mint({ fhirUser: 'Practitioner/123', scope: 'user/*.rs', patient: 'pat-001', organization: 'org-01', purposeOfUse: 'HRESCH', ttlSeconds: 120 });
    const actor = await gatewayTrusting(issuer).authenticate(`Bearer ${token}`, {});
    assert.equal(actor.fhirUser, 'Practitioner/123');
    assert.equal(actor.subject, 'Practitioner/123');
    assert.equal(actor.clientId, 'custos-dev');
    assert.equal(actor.patient, 'pat-001');
    assert.equal(actor.organization, 'Organization/org-01');
    assert.deepEqual(actor.scopes.map((s) => s.scope), ['user/*.rs']);
    assert.deepEqual([actor.purposeOfUse, actor.purposeOfUseSource], ['HRESCH', 'token']);
    assert.ok(Math.abs(actor.expiresAt - (Date.now() / 1000 + 120)) < 5);
  });

  it('persists its key (mode 0600) and reuses it, so tokens survive a restart', async () => {
    const dir = dataDir();
    const first = await open(dir);
    const token = await first.mint({ fhirUser: 'Patient/pat-001', scope: 'patient/*.read' });
    const file = join(dir, DEV_KEY_FILE_NAME);
    assert.equal(first.keyFile, file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok('d' in JSON.parse(readFileSync(file, 'utf8')), 'the private key is in the file');
    assert.ok(first.jwks.keys.every((k) => !('d' in k)), 'only the public key is published');
    const restarted = await open(dir);
    assert.equal(restarted.keyId, first.keyId);
    assert.equal((await gatewayTrusting(restarted).authenticate(`Bearer ${token}`, {})).fhirUser, 'Patient/pat-001');
  });

  it('creates exactly one key when several processes start at once', async () => {
    const dir = dataDir();
    const issuers = await Promise.all(Array.from({ length: 6 }, () => open(dir)));
    assert.equal(new Set(issuers.map((i) => i.keyId)).size, 1);
  });

  it('rejects tokens signed by another key, including under the same issuer name', async () => {
    const ours = await open(dataDir());
    const theirs = await open(dataDir());
    const foreign = await theirs.mint({ fhirUser: 'Practitioner/1', scope: 'system/*.*' });
    await assert.rejects(gatewayTrusting(ours).authenticate(`Bearer ${foreign}`, {}), code('UNAUTHENTICATED', /no signing key/));
  });

  it('refuses to run in production, whether told so or NODE_ENV says so', async () => {
    await assert.rejects(createDevIssuer({ dataDir: dataDir(), production: true }), code('CONFIG_INVALID', /cannot run in production/));
    await assert.rejects(createDevIssuer({ dataDir: dataDir(), production: false, env: { NODE_ENV: 'production' } }), code('CONFIG_INVALID', /cannot run in production/));
  });

  it('refuses a key file other users can read, like ssh does', async () => {
    const dir = dataDir();
    const issuer = await open(dir);
    chmodSync(issuer.keyFile, 0o644);
    await assert.rejects(open(dir), code('CONFIG_INVALID', /readable by other users; run chmod 600/));
  });

  it('refuses to mint what the gateway could not read back', async () => {
    const issuer = await open(dataDir());
    const bad = (request: Parameters<DevIssuer['mint']>[0], pattern: RegExp) => assert.rejects(issuer.mint(request), code('INVALID_REQUEST', pattern));
    await bad({ fhirUser: 'Observation/1', scope: 'user/*.rs' }, /user must be a reference/);
    await bad({ fhirUser: 'Practitioner/1', scope: 'user/*.rx' }, /not SMART scopes: user\/\*\.rx/);
    await bad({ fhirUser: 'Practitioner/1', scope: 'openid' }, /grants no FHIR resource access/);
    await bad({ fhirUser: 'Practitioner/1', scope: 'user/*.rs', purposeOfUse: 'FUN' }, /PurposeOfUse code/);
    await bad({ fhirUser: 'Practitioner/1', scope: 'user/*.rs', patient: 'a/b' }, /Patient id/);
    await bad({ fhirUser: 'Practitioner/1', scope: 'user/*.rs', ttlSeconds: 0 }, /ttl must be/);
    await bad({ fhirUser: 'Practitioner/1', scope: 'user/*.rs', ttlSeconds: 86_401 }, /ttl must be/);
  });
});

describe('custos token', () => {
  // A real process, as a user runs it (src/cli/main.ts registers the command there).
  const cli = new URL('../../../src/cli/token-command.js', import.meta.url).href;
  const script = `import { Command } from 'commander'; import { registerTokenCommand } from '${cli}';
    const program = new Command('custos'); registerTokenCommand(program); await program.parseAsync(process.argv.slice(1), { from: 'user' });`;
  const run = (args: string[]) =>
    new Promise<{ stdout: string; stderr: string; exitCode: number }>((resolve) => {
      execFile(process.execPath, ['--input-type=module', '-e', script, '--', 'token', ...args], { cwd: process.cwd(), env: { ...process.env, NODE_ENV: 'development' } }, (error, stdout, stderr) => {
        resolve({ stdout, stderr, exitCode: error ? Number(error.code) : 0 });
      });
    });

  it('prints a token signed with the data directory\'s dev key', async () => {
    const dir = dataDir();
    const { stdout, exitCode } = await run(['--user', 'Practitioner/123', '--scope', 'user/*.rs', '--patient', 'pat-001', '--org', 'Organization/org-01', '--purpose', 'TREAT', '--ttl', '600', '--data-dir', dir]);
    assert.equal(exitCode, 0);
    assert.match(stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const gateway = await open(dir); // what the embedded gateway does at start
    const actor = await gatewayTrusting(gateway).authenticate(`Bearer ${stdout.trim()}`, {});
    assert.deepEqual([actor.fhirUser, actor.patient, actor.organization, actor.purposeOfUse], ['Practitioner/123', 'pat-001', 'Organization/org-01', 'TREAT']);
  });

  it('says what is wrong and exits 2 on a bad request', async () => {
    const { stdout, stderr, exitCode } = await run(['--user', 'Practitioner/123', '--scope', 'user/*.rs', '--ttl', 'soon', '--data-dir', dataDir()]);
    assert.equal(stdout, '');
    assert.match(stderr, /^custos: ttl must be a whole number of seconds/);
    assert.equal(exitCode, 2);
  });
});
