import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { envNameFor } from '../../src/config/env-overrides.js';
import { loadConfig } from '../../src/config/load-config.js';

const problems = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadConfig({ env });
  } catch (e) {
    assert.equal((e as { code?: string }).code, 'CONFIG_INVALID');
    return (e as Error).message.split('\n').slice(1).map((l) => l.replace(/^\s*- /, ''));
  }
  assert.fail('expected the configuration to be rejected');
};

const yamlFile = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'custos-config-')), 'custos.yaml');
  writeFileSync(file, text);
  return file;
};

describe('configuration', () => {
  it('runs on embedded defaults with no configuration at all', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.server.port, 8080);
    assert.equal(config.upstream.url, null);
    assert.equal(config.server.bodyLimitBytes, 10 * 1024 * 1024);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.server), 'configuration is frozen');
  });

  it('maps CUSTOS_* variables onto settings, typed by the schema', () => {
    assert.equal(envNameFor(['server', 'bodyLimitBytes']), 'CUSTOS_SERVER_BODY_LIMIT_BYTES');
    const config = loadConfig({ env: { CUSTOS_UPSTREAM_URL: 'https://ehr.example.org/fhir', CUSTOS_SERVER_PORT: '9000', CUSTOS_SERVER_TRUST_PROXY: 'true', CUSTOS_SERVER_PUBLIC_URL: 'null' } });
    assert.equal(config.upstream.url, 'https://ehr.example.org/fhir');
    assert.equal(config.server.port, 9000);
    assert.equal(config.server.trustProxy, true);
    assert.equal(config.server.publicUrl, null);
  });

  it('layers the CUSTOS_CONFIG file over the defaults, and the environment over the file', () => {
    const file = yamlFile('server:\n  port: 7000\n  host: 127.0.0.2\nupstream:\n  url: http://a.example/fhir\n');
    const config = loadConfig({ env: { CUSTOS_CONFIG: file, CUSTOS_SERVER_PORT: '7001' } });
    assert.equal(config.server.port, 7001);
    assert.equal(config.server.host, '127.0.0.2');
    assert.equal(config.upstream.url, 'http://a.example/fhir');
    assert.equal(config.upstream.connections, 64, 'unset values keep their defaults');
  });

  it('names every bad field, one line each, with what is expected', () => {
    const lines = problems({ CUSTOS_SERVER_PORT: 'eighty', CUSTOS_UPSTREAM_URL: 'ftp://x', CUSTOS_LOG_LEVEL: 'loud' });
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.ok(lines.some((l) => /^server\.port: must be integer \(got "eighty"\)$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('upstream.url: must be an absolute http(s) URL')));
    assert.ok(lines.some((l) => l.startsWith('log.level: must be one of fatal, error')));
  });

  it('refuses unknown settings and unknown CUSTOS_ variables', () => {
    assert.deepEqual(problems({ CUSTOS_UPSTREAM_URLL: 'http://x/fhir' }), ['CUSTOS_UPSTREAM_URLL: is not a known setting (see config/custos.schema.json for the list)']);
    const file = yamlFile('server:\n  prot: 80\n');
    assert.deepEqual(problems({ CUSTOS_CONFIG: file }), ['server.prot: is not a known setting']);
  });

  it('requires credentials that match the upstream auth type, without echoing secrets', () => {
    assert.deepEqual(problems({ CUSTOS_UPSTREAM_AUTH_TYPE: 'bearer' }), ['upstream.auth.token: is required']);
    const lines = problems({ CUSTOS_UPSTREAM_AUTH_TYPE: 'basic', CUSTOS_UPSTREAM_AUTH_USERNAME: 'svc', CUSTOS_UPSTREAM_AUTH_TOKEN: '' });
    assert.ok(lines.includes('upstream.auth.password: is required'), lines.join('\n'));
    assert.ok(!lines.join('\n').includes('"svc"'));
  });

  it('loads config/production.example.yaml once its secrets come from the environment', () => {
    const file = new URL('../../../config/production.example.yaml', import.meta.url).pathname;
    const lines = problems({ CUSTOS_CONFIG: file });
    assert.deepEqual(lines.map((l) => l.split(':')[0]).sort(), ['chain.signerKey', 'consent.pseudonymKey']);
    const config = loadConfig({ env: { CUSTOS_CONFIG: file, CUSTOS_CHAIN_SIGNER_KEY: '0x' + '11'.repeat(32), CUSTOS_CONSENT_PSEUDONYM_KEY: 'k'.repeat(40), CUSTOS_UPSTREAM_AUTH_TOKEN: 'x' } });
    assert.equal(config.identity.devIssuer.enabled, false);
    assert.equal(config.server.host, '0.0.0.0');
  });

  it('refuses the dev token issuer on a non-loopback interface, and a gateway with no issuer at all', () => {
    assert.deepEqual(problems({ CUSTOS_SERVER_HOST: '0.0.0.0' }), [
      'identity.devIssuer.enabled: is only allowed while server.host is a loopback address (got "0.0.0.0"); disable it in production',
    ]);
    assert.deepEqual(problems({ CUSTOS_IDENTITY_DEV_ISSUER_ENABLED: 'false' }), [
      'identity.issuers: at least one trusted token issuer is required when identity.devIssuer is disabled',
    ]);
  });

  it('reports a missing or broken configuration file with its name and position', () => {
    assert.deepEqual(problems({ CUSTOS_CONFIG: '/nonexistent/custos.yaml' }), ['CUSTOS_CONFIG: cannot read the file /nonexistent/custos.yaml (does it exist and is it readable?)']);
    const file = yamlFile('server:\n  port: [1,\n');
    assert.match(problems({ CUSTOS_CONFIG: file })[0]!, /custos\.yaml:\d+:\d+: is not valid YAML$/);
  });
});
