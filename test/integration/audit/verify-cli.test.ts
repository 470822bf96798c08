/**
 * `custos audit verify` as an operator or regulator runs it: on a real gateway's embedded store
 * after real traffic, against the checkpoints on the real (embedded anvil) chain. Each attack an
 * operator with disk access could make (edit, delete, swap, truncate, rewrite history after an
 * anchor) is made on a copy of the data directory; verify must fail and name the event or
 * checkpoint. The untouched log and its export verify.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startSampleServer, type RunningSampleServer } from '../../../src/sample-server/server.js';
import { deleteEvent, editEvent, editFacts, rewriteFrom, swapEvents, truncate } from '../../support/audit-tamper.js';
import { startTestGateway, TRANSPORT_ONLY } from '../../support/gateway.js';

const run = promisify(execFile);
const CLI = new URL('../../../src/cli/main.js', import.meta.url).pathname;

interface CliResult { code: number; stdout: string; stderr: string }

async function custos(args: string[], dataDir: string): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, CUSTOS_DATA_DIR: dataDir, CUSTOS_LOG_LEVEL: 'silent' }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('custos audit verify', () => {
  let sample: RunningSampleServer;
  let dataDir: string;
  let events = 0;

  before(async () => {
    sample = await startSampleServer({ patients: 4 });
    const gateway = await startTestGateway(sample.url, { ...TRANSPORT_ONLY, CUSTOS_AUDIT_ANCHOR_INTERVAL_MS: '200' });
    dataDir = gateway.dataDir;
    for (let round = 0; round < 3; round++) {
      for (const path of ['/Patient/pat-001', '/Patient/pat-002', '/Observation?_count=5', '/Patient/nope']) {
        await fetch(gateway.fhirBaseUrl + path, { headers: gateway.auth });
        events++;
      }
      await new Promise((r) => setTimeout(r, 450)); // at least one checkpoint per round
    }
    await gateway.close(); // drains, anchors what is left, stops the chain (state saved)
  });
  after(() => sample?.close());

  /** A copy of the data directory to attack. */
  function copy(): string {
    const dir = mkdtempSync(join(tmpdir(), 'custos-tamper-'));
    cpSync(dataDir, dir, { recursive: true });
    return dir;
  }

  it('verifies the untouched log against every on-chain checkpoint', async () => {
    const result = await custos(['audit', 'verify'], copy());
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`log: ${events} events`));
    assert.match(result.stdout, /VERIFIED/);
    assert.match(result.stdout, /[2-9]\d* checkpoints|\d{2,} checkpoints/);
    assert.match(result.stdout, new RegExp(`proven up to tree size ${events}`));
  });

  it('names an edited event', async () => {
    const dir = copy();
    await editEvent(join(dir, 'audit'), 5, (c) => c.replace('"action":"R"', '"action":"C"'), { fixLeafHash: false });
    const result = await custos(['audit', 'verify'], dir);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stdout, /event-altered: event 5 was altered/);
    assert.match(result.stdout, /checkpoint-mismatch: checkpoint \d+/);
  });

  it('names an edited event whose stored hash was recomputed too', async () => {
    const dir = copy();
    await editEvent(join(dir, 'audit'), 3, (c) => c.replace('"action":"R"', '"action":"E"'), { fixLeafHash: true });
    const result = await custos(['audit', 'verify'], dir);
    assert.equal(result.code, 2);
    assert.match(result.stdout, /link-broken: event 4 does not follow/);
  });

  it('names an event whose stored search fields were edited to hide it from a patient\'s reports', async () => {
    const dir = copy();
    await editFacts(join(dir, 'audit'), 1, (facts) => ({ ...facts, patients: [] }));
    const result = await custos(['audit', 'verify'], dir);
    assert.equal(result.code, 2);
    assert.match(result.stdout, /search-fields-altered: event 1's stored search fields \(patients\) do not match its content/);
    assert.doesNotMatch(result.stdout, /checkpoint-mismatch/); // the log itself is intact: only this check sees it
  });

  it('names a deleted event', async () => {
    const dir = copy();
    await deleteEvent(join(dir, 'audit'), 2);
    const result = await custos(['audit', 'verify'], dir);
    assert.equal(result.code, 2);
    assert.match(result.stdout, /event-missing: event 2 is missing/);
  });

  it('names two swapped events', async () => {
    const dir = copy();
    await swapEvents(join(dir, 'audit'), 1, 6);
    const result = await custos(['audit', 'verify'], dir);
    assert.equal(result.code, 2);
    assert.match(result.stdout, /position 1 holds event 6|event 6 does not follow/);
    assert.match(result.stdout, /position 6 holds event 1|event 1 does not follow/);
  });

  it('names a truncated log by the checkpoint it no longer reaches', async () => {
    const dir = copy();
    await truncate(join(dir, 'audit'), 4);
    const result = await custos(['audit', 'verify'], dir);
    assert.equal(result.code, 2);
    assert.match(result.stdout, /checkpoint-beyond-log: .*the log holds 4/);
  });

  it('catches a history rewrite that recomputed every hash and link: the anchored roots do not match', async () => {
    const dir = copy();
    await rewriteFrom(join(dir, 'audit'), 1, (c) => c.replace('"outcome":"0"', '"outcome":"4"'));
    const result = await custos(['audit', 'verify'], dir);
    assert.equal(result.code, 2);
    assert.doesNotMatch(result.stdout, /event-altered|link-broken|event-missing/);
    // Whichever checkpoint first covers event 1 (anchoring runs on a timer while the fixture writes).
    assert.match(result.stdout, /checkpoint-mismatch: checkpoint \d+ .*does not match the log/);
  });

  it('exports the log, verifies the export offline but for the chain, and catches an edited export', async () => {
    const dir = copy();
    const file = join(dir, 'export.ndjson');
    const exported = await custos(['audit', 'export', '--out', file], dir);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, new RegExp(`${events} events written`));
    const ok = await custos(['audit', 'verify', '--file', file], dir);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[3] = lines[3]!.replace('Restful Operation', 'Restful OperatioN');
    writeFileSync(file, lines.join('\n'));
    const bad = await custos(['audit', 'verify', '--file', file], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stdout, /event-altered: event 2 was altered/);
  });

  it('never trusts the contract the file names: an export pointing at another contract fails', async () => {
    const dir = copy();
    const file = join(dir, 'export.ndjson');
    assert.equal((await custos(['audit', 'export', '--out', file], dir)).code, 0);
    const lines = readFileSync(file, 'utf8').split('\n');
    const header = JSON.parse(lines[0]!) as Record<string, unknown>;
    lines[0] = JSON.stringify({ ...header, contract: '0x000000000000000000000000000000000000dEaD' });
    writeFileSync(file, lines.join('\n'));
    const result = await custos(['audit', 'verify', '--file', file], dir);
    assert.equal(result.code, 2);
    assert.match(result.stdout, /wrong-chain: the file names AuditAnchor 0x000000000000000000000000000000000000dEaD, not the trusted/);
  });

  it('refuses a file that is not an export with a clear message', async () => {
    const dir = copy();
    const file = join(dir, 'not-an-export.ndjson');
    writeFileSync(file, '{"hello":"world"}\n');
    const result = await custos(['audit', 'verify', '--file', file], dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /is not an audit export/);
  });
});
