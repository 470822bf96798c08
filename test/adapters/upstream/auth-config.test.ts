/**
 * The `auth` block of an upstream in the configuration: schema (required fields per type) and the
 * cross-field rules (https for mutual TLS and remote token endpoints, no stray settings), with
 * secrets never echoed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load-config.js';
import { envNameFor } from '../../../src/config/env-overrides.js';
import { upstreamAuthProblems } from '../../../src/config/cross-field-rules.js';

function problems(upstream: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig({ env, overrides: { upstream } });
  } catch (e) {
    assert.equal((e as { code?: string }).code, 'CONFIG_INVALID');
    return (e as Error).message.split('\n').slice(1).map((l) => l.replace(/^\s*- /, ''));
  }
  assert.fail('expected the configuration to be rejected');
}

const smart = { type: 'smart-backend', tokenUrl: 'https://ehr.example.org/oauth/token', clientId: 'custos', privateKeyFile: '/etc/custos/key.pem', scope: 'system/*.rs' };
const mtls = { type: 'mtls', certFile: '/etc/custos/client.crt', keyFile: '/etc/custos/client.key' };

describe('upstream auth configuration', () => {
  it('accepts mtls and smart-backend blocks with their optional settings', () => {
    const a = loadConfig({ env: {}, overrides: { upstream: { url: 'https://ehr.example.org/fhir', auth: { ...mtls, caFile: '/etc/custos/ca.pem', passphrase: 'x' } } } });
    assert.equal(a.upstream.auth.type, 'mtls');
    const b = loadConfig({ env: {}, overrides: { upstream: { url: 'https://ehr.example.org/fhir', auth: { ...smart, keyId: 'k1', algorithm: 'ES384', refreshBeforeSeconds: 30 } } } });
    assert.deepEqual(b.upstream.auth, { ...smart, keyId: 'k1', algorithm: 'ES384', refreshBeforeSeconds: 30 });
  });

  it('names each missing setting of a type', () => {
    assert.deepEqual(problems({ url: 'https://ehr.example.org/fhir', auth: { type: 'smart-backend', tokenUrl: smart.tokenUrl } }).sort(), [
      'upstream.auth.clientId: is required',
      'upstream.auth.privateKeyFile: is required',
      'upstream.auth.scope: is required',
    ]);
    assert.deepEqual(problems({ url: 'https://ehr.example.org/fhir', auth: { type: 'mtls', certFile: 'c.pem' } }), ['upstream.auth.keyFile: is required']);
  });

  it('rejects an algorithm SMART does not allow, and inline keys', () => {
    const found = problems({ url: 'https://ehr.example.org/fhir', auth: { ...smart, algorithm: 'HS256' } });
    assert.equal(found.length, 1);
    assert.match(found[0] ?? '', /^upstream\.auth\.algorithm: must be one of RS384, ES384/);
    assert.deepEqual(problems({ url: 'https://ehr.example.org/fhir', auth: { ...smart, privateKey: '-----BEGIN PRIVATE KEY-----' } }), ['upstream.auth.privateKey: is not a known setting']);
  });

  it('demands https for mutual TLS, and for a token endpoint that is not on loopback', () => {
    assert.deepEqual(problems({ url: 'http://ehr.example.org/fhir', auth: mtls }), ['upstream.auth.type: mtls needs an https: URL for this upstream']);
    assert.deepEqual(problems({ url: 'https://ehr.example.org/fhir', auth: { ...smart, tokenUrl: 'http://auth.example.org/token' } }), ['upstream.auth.tokenUrl: must be https (only a loopback token endpoint may use http)']);
    assert.deepEqual(upstreamAuthProblems('sources[0].auth', { ...smart, type: 'smart-backend', tokenUrl: 'http://127.0.0.1:9000/token' }, 'http://127.0.0.1:8000/fhir'), []);
    assert.deepEqual(upstreamAuthProblems('sources[0].auth', { ...smart, type: 'smart-backend', tokenUrl: 'http://[::1]:9000/token' }, null), []);
  });

  it('names settings that do not belong to the type, without quoting their (secret) values', () => {
    const found = problems({ url: 'https://ehr.example.org/fhir', auth: { ...mtls, token: 'super-secret-token', password: 'hunter2' } });
    assert.deepEqual(found.sort(), ['upstream.auth.password: is not used with auth type mtls; remove it', 'upstream.auth.token: is not used with auth type mtls; remove it']);
    assert.doesNotMatch(found.join(' '), /super-secret|hunter2/);
  });

  it('maps every auth setting to a CUSTOS_UPSTREAM_AUTH_* variable', () => {
    assert.equal(envNameFor(['upstream', 'auth', 'privateKeyFile']), 'CUSTOS_UPSTREAM_AUTH_PRIVATE_KEY_FILE');
    const config = loadConfig({ env: {
      CUSTOS_UPSTREAM_URL: 'https://ehr.example.org/fhir',
      CUSTOS_UPSTREAM_AUTH_TYPE: 'smart-backend',
      CUSTOS_UPSTREAM_AUTH_TOKEN_URL: smart.tokenUrl,
      CUSTOS_UPSTREAM_AUTH_CLIENT_ID: 'custos',
      CUSTOS_UPSTREAM_AUTH_PRIVATE_KEY_FILE: '/etc/custos/key.pem',
      CUSTOS_UPSTREAM_AUTH_SCOPE: 'system/*.rs',
      CUSTOS_UPSTREAM_AUTH_REFRESH_BEFORE_SECONDS: '45',
    } });
    assert.deepEqual(config.upstream.auth, { ...smart, refreshBeforeSeconds: 45 });
  });
});
