import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const entry = fileURLToPath(new URL('../../src/sample-server/standalone.js', import.meta.url));

describe('standalone entry point', () => {
  it('prints one JSON line with the URL when ready, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [entry, '--port', '0', '--patients', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await Promise.race([
        once(lines, 'line'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no ready line within 20 s')), 20_000)),
      ])) as [string];
      const ready = JSON.parse(line) as { url: string };
      assert.deepEqual(Object.keys(ready), ['url']);
      assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+\/fhir$/);
      const response = await fetch(`${ready.url}/Patient?_summary=count`);
      assert.equal(((await response.json()) as { total: number }).total, 5);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses a bad option with a message and exit code 1', async () => {
    const child = spawn(process.execPath, [entry, '--port', 'eighty'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 1);
    assert.match(stderr, /--port must be an integer/);
  });
});
