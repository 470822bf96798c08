import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadOrCreateSecret } from '../../../src/adapters/store/local-secret.js';

describe('embedded-mode secrets', () => {
  it('generates a secret once, owner-only, and returns the same one on every later start', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'custos-secret-')), 'secrets', 'pseudonym.key');
    const first = loadOrCreateSecret(file);
    assert.ok(first.length >= 32);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(loadOrCreateSecret(file), first);
  });

  it('tightens loose permissions and refuses a truncated secret', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'custos-secret-')), 'pseudonym.key');
    writeFileSync(file, 'x'.repeat(50));
    chmodSync(file, 0o644);
    loadOrCreateSecret(file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    writeFileSync(file, 'short');
    assert.throws(() => loadOrCreateSecret(file), /too short/);
  });
});
