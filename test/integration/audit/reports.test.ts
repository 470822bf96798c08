/**
 * Compliance reports on a log seeded with known traffic through the real gateway (real sample FHIR
 * server, real grants on the embedded chain): exact rows, the TPO exemption, a break-the-glass read
 * and a denied attempt, and `custos audit verify --report` on an untouched and an edited report,
 * against the chain only.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Report } from '../../../src/audit/reports/report-model.js';
import { csvRows } from '../../support/csv-rows.js';
import { leafHash, verifyInclusion } from '../../../src/audit/merkle.js';
import { startWorld, type World } from '../enforcement/world.js';

const run = promisify(execFile);
const CLI = new URL('../../../src/cli/main.js', import.meta.url).pathname;

describe('compliance reports', () => {
  let w: World;
  let auditor: string;
  let emergency: string;
  const dir = mkdtempSync(join(tmpdir(), 'custos-reports-'));
  /** Reports are bounded to the seeded traffic: running them is itself audited, later. */
  let seededUntil = '';

  before(async () => {
    w = await startWorld({ CUSTOS_ENFORCEMENT_BREAK_GLASS_ACTORS: 'Practitioner/prac-05', CUSTOS_AUDIT_ANCHOR_INTERVAL_MS: '200' });
    auditor = await w.gateway.mint({ fhirUser: 'Practitioner/auditor-1', scope: 'custos/auditor' });
    emergency = await w.gateway.mint({ fhirUser: 'Practitioner/prac-05', scope: 'user/*.rs' });
    const patient = await w.gateway.mint({ fhirUser: 'Patient/pat-001', scope: 'patient/*.rs' });
    const ok = async (path: string, token: string, headers: Record<string, string> = {}, status = 200) => {
      const answer = await w.call('GET', path, token, { headers });
      assert.equal(answer.status, status, `${path}: ${answer.text.slice(0, 200)}`);
    };
    await ok('/Patient/pat-001', w.prac01, { 'x-purpose-of-use': 'TREAT' }); // treatment: exempt
    await ok('/Observation?subject=Patient/pat-001', w.prac01, { 'x-purpose-of-use': 'PUBHLTH' }); // public health: accounted
    await ok('/Patient/pat-001', patient); // the patient's own access: not a disclosure
    await ok('/Patient/pat-002', emergency, { 'x-break-glass': 'unconscious in ED', 'x-purpose-of-use': 'ETREAT' });
    await ok('/Patient/pat-002', w.prac01, {}, 403); // denied
    await ok('/Patient/pat-002', w.stranger, {}, 403); // denied
    // wait until a checkpoint covers everything
    let covered = false;
    for (let i = 0; i < 100 && !covered; i++) {
      const listed = (await (await fetch(`${w.gateway.origin}/admin/audit/checkpoints`, { headers: { authorization: `Bearer ${auditor}` } })).json()) as { head: { treeSize: number }; checkpoints: Array<{ treeSize: number }> };
      covered = listed.checkpoints.at(-1)?.treeSize === listed.head.treeSize && listed.head.treeSize >= 6;
      if (!covered) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(covered, 'a checkpoint covers the seeded events (the setup the reports below rely on)');
    seededUntil = new Date(Date.now() + 5).toISOString();
    await new Promise((r) => setTimeout(r, 10));
  });
  after(() => w?.close().catch(() => undefined));

  async function report(kind: string, body: Record<string, unknown>): Promise<{ status: number; report: Report; text: string; headers: Headers }> {
    const response = await fetch(`${w.gateway.origin}/admin/reports/${kind}`, { method: 'POST', headers: { authorization: `Bearer ${auditor}`, 'content-type': 'application/json' }, body: JSON.stringify({ to: seededUntil, ...body }) });
    const text = await response.text();
    return { status: response.status, text, headers: response.headers, report: response.status === 200 && text.startsWith('{') ? (JSON.parse(text) as Report) : (undefined as unknown as Report) };
  }

  it('accounts for the public-health disclosure only: treatment is exempt, the patient\'s own access is no disclosure', async () => {
    const { status, report: r, headers } = await report('disclosures', { patient: 'Patient/pat-001' });
    assert.equal(status, 200);
    assert.match(headers.get('content-disposition') ?? '', /attachment; filename="custos-disclosures-/);
    assert.equal(r.rows.length, 1, JSON.stringify(r.rows));
    const row = r.rows[0]!.cells;
    assert.equal(row['recipient'], 'Practitioner/prac-01');
    assert.equal(row['purpose'], 'PUBHLTH');
    assert.match(String(row['description']), /Observation ×\d+/);
    assert.ok(String(row['recipientName']).length > 0, 'the recipient name is resolved from the FHIR Practitioner');
    assert.match(r.header.statement, /treatment, payment and health care operations are exempt/);
    assert.equal(r.unanchored, 0);
    assert.ok(r.checkpoint && r.evidence.length === 1);
  });

  it('lists treatment disclosures too when asked, marked TPO', async () => {
    const { report: r } = await report('disclosures', { patient: 'Patient/pat-001', includeExempt: true });
    assert.deepEqual(r.rows.map((x) => [x.cells['purpose'], x.cells['exempt']]), [['TREAT', 'TPO'], ['PUBHLTH', '']]);
    assert.match(r.header.statement, /including those for treatment/);
  });

  it('access report: every access to pat-002, the break-the-glass read and both refusals', async () => {
    const { report: r } = await report('access', { patient: 'Patient/pat-002' });
    const rows = r.rows.map((x) => [x.cells['actor'], x.cells['outcome'], x.cells['breakGlass']]);
    // the public-health search touched pat-002 (the performer of a withheld Observation): listed as withheld
    assert.deepEqual(rows, [['Practitioner/prac-01', 'withheld', ''], ['Practitioner/prac-05', 'permitted', 'yes'], ['Practitioner/prac-01', 'refused', ''], ['Practitioner/prac-07', 'refused', '']]);
  });

  it('break-glass review: pseudonymous by default, names on request', async () => {
    const pseudonymous = (await report('break-glass', {})).report;
    assert.equal(pseudonymous.rows.length, 1);
    assert.equal(pseudonymous.rows[0]!.cells['reason'], 'unconscious in ED');
    assert.match(String(pseudonymous.rows[0]!.cells['patient']), /^P-[0-9a-f]{12}$/);
    assert.ok(!JSON.stringify(pseudonymous.rows).includes('pat-002'));
    const named = (await report('break-glass', { showNames: true })).report;
    assert.equal(named.rows[0]!.cells['patient'], 'Patient/pat-002');
  });

  it('denied review groups refusals by actor; actor activity and subject access list what they should', async () => {
    const denied = (await report('denied', {})).report;
    assert.deepEqual(denied.rows.map((x) => [x.cells['actor'], x.cells['refused']]).sort(), [['Practitioner/prac-01', 1], ['Practitioner/prac-07', 1]]);
    const activity = (await report('actor-activity', { actor: 'Practitioner/prac-05' })).report;
    assert.equal(activity.rows.length, 1);
    assert.equal(activity.rows[0]!.cells['patients'], 'Patient/pat-002');
    const subject = (await report('subject-access', { patient: 'Patient/pat-001' })).report;
    assert.deepEqual(subject.rows.map((x) => [x.cells['recipient'], x.cells['purposes'], x.cells['accesses']]), [['Practitioner/prac-01', 'PUBHLTH, TREAT', 2]]);
  });

  it('refuses bad requests with a problem document that says what to fix', async () => {
    const missing = await report('disclosures', {});
    assert.equal(missing.status, 400);
    assert.match(missing.text, /needs \\"patient\\"/);
    const unknown = await report('everything', {});
    assert.equal(unknown.status, 404);
    const denied = await fetch(`${w.gateway.origin}/admin/reports/access`, { method: 'POST', headers: { authorization: `Bearer ${w.prac01}`, 'content-type': 'application/json' }, body: '{"patient":"Patient/pat-001"}' });
    assert.equal(denied.status, 403);
  });

  it('renders every format, each parsed back: CSV rows and leaf hashes, a FHIR Bundle of the AuditEvents, a PDF', async () => {
    const json = (await report('access', { patient: 'Patient/pat-002' })).report;
    for (const kind of ['access', 'subject-access']) { // streamed (one row per event) and built (grouped)
      const csv = await report(kind, { patient: kind === 'access' ? 'Patient/pat-002' : 'Patient/pat-001', format: 'csv' });
      assert.equal(csv.status, 200);
      assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
      const table = csvRows(csv.text);
      assert.deepEqual(table[0]!.slice(-4), ['events', 'leaf_hashes', 'proofs', 'checkpoint']);
      // every row carries its proofs and the checkpoint: they verify from the CSV alone
      const col = (name: string) => table[0]!.indexOf(name);
      for (const row of table.slice(1)) {
        const [size, root] = row[col('checkpoint')]!.split(':');
        const leaves = row[col('leaf_hashes')]!.split(';');
        row[col('proofs')]!.split(';').forEach((path, k) => {
          const check = verifyInclusion({ index: Number(row[col('events')]!.split(';')[k]), treeSize: Number(size), leafHash: Buffer.from(leaves[k]!, 'hex'), proof: path ? path.split(':').map((h) => Buffer.from(h, 'hex')) : [], root: Buffer.from(root!.slice(2), 'hex') });
          assert.deepEqual(check, { ok: true });
        });
      }
      if (kind === 'access') {
        assert.deepEqual(table.slice(1).map((r) => r[table[0]!.indexOf('outcome')]), json.rows.map((r) => r.cells['outcome']));
        const byIndex = new Map(json.evidence.map((e) => [e.index, leafHash(Buffer.from(e.canonical)).toString('hex')]));
        for (const [i, row] of json.rows.entries()) assert.equal(table[i + 1]![table[0]!.indexOf('leaf_hashes')], row.events.map((e) => byIndex.get(e)).join(';'));
      }
    }
    const bundle = await report('access', { patient: 'Patient/pat-002', format: 'bundle' });
    const parsed = JSON.parse(bundle.text) as { resourceType: string; type: string; entry: Array<{ resource: { resourceType: string } }> };
    assert.equal(parsed.resourceType, 'Bundle');
    assert.equal(parsed.type, 'collection');
    assert.equal(parsed.entry.length, json.evidence.length);
    assert.ok(parsed.entry.every((e) => e.resource.resourceType === 'AuditEvent'));
    const pdf = await fetch(`${w.gateway.origin}/admin/reports/access`, { method: 'POST', headers: { authorization: `Bearer ${auditor}`, 'content-type': 'application/json' }, body: JSON.stringify({ patient: 'Patient/pat-002', format: 'pdf', to: seededUntil }) });
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  });

  it('records each report as an access in the audit log (health care operations: not a disclosure)', async () => {
    await report('disclosures', { patient: 'Patient/pat-003' });
    let rows: Report['rows'] = [];
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await fetch(`${w.gateway.origin}/admin/reports/access`, { method: 'POST', headers: { authorization: `Bearer ${auditor}`, 'content-type': 'application/json' }, body: '{"patient":"Patient/pat-003"}' });
      rows = ((await r.json()) as Report).rows.filter((x) => x.cells['interaction'] === 'operation');
    }
    assert.equal(rows[0]?.cells['actor'], 'Practitioner/auditor-1');
    assert.equal(rows[0]?.cells['purpose'], 'HOPERAT');
    const accounting = (await report('disclosures', { patient: 'Patient/pat-003', to: new Date(Date.now() + 1000).toISOString() })).report;
    assert.ok(!accounting.rows.some((x) => x.cells['recipient'] === 'Practitioner/auditor-1'), 'a compliance review is not an accountable disclosure');
  });

  it('custos audit verify --report: an untouched report verifies against the chain; an edited one does not', async () => {
    const { text } = await report('access', { patient: 'Patient/pat-002' });
    const good = join(dir, 'access.json');
    writeFileSync(good, text);
    await w.gateway.close(); // the embedded chain is the gateway's: the verifier starts it from the data directory
    const env = { ...process.env, CUSTOS_DATA_DIR: w.gateway.dataDir, CUSTOS_LOG_LEVEL: 'silent' };
    const ok = await run(process.execPath, [CLI, 'audit', 'verify', '--report', good], { env });
    assert.match(ok.stdout, /VERIFIED: 4 rows/);

    const edited = JSON.parse(text) as Report;
    (edited.rows[2]!.cells as Record<string, string>)['outcome'] = 'permitted';
    const bad = join(dir, 'edited.json');
    writeFileSync(bad, JSON.stringify(edited));
    const failed = await run(process.execPath, [CLI, 'audit', 'verify', '--report', bad], { env }).then(() => assert.fail('an edited report verified'), (e: { code: number; stdout: string }) => e);
    assert.equal(failed.code, 2);
    assert.match(failed.stdout, /row-altered: row 3 was altered/);

    const forged = JSON.parse(text) as Report;
    const btg = forged.evidence.findIndex((e) => e.canonical.includes('unconscious in ED'));
    (forged.evidence as Report['evidence'][number][])[btg] = { ...forged.evidence[btg]!, canonical: forged.evidence[btg]!.canonical.replace('unconscious in ED', 'routine') };
    (forged.rows[0]!.cells as Record<string, string>)['detail'] = String(forged.rows[0]!.cells['detail']);
    const forgedFile = join(dir, 'forged.json');
    writeFileSync(forgedFile, JSON.stringify(forged));
    const refused = await run(process.execPath, [CLI, 'audit', 'verify', '--report', forgedFile], { env }).then(() => assert.fail('a forged event verified'), (e: { code: number; stdout: string }) => e);
    assert.match(refused.stdout, /event-not-proven: event \d+ is not in the anchored log/);

    // Completeness: a report trimmed of a row and its evidence still proves what it holds; with the
    // log's export the verifier derives every row again and names the one left out.
    const exportFile = join(dir, 'log.ndjson');
    await run(process.execPath, [CLI, 'audit', 'export', '--out', exportFile], { env });
    const complete = await run(process.execPath, [CLI, 'audit', 'verify', '--report', good, '--file', exportFile], { env });
    assert.match(complete.stdout, /no row is missing/);
    const trimmed = JSON.parse(text) as Report;
    const dropped = trimmed.rows[2]!;
    (trimmed as { rows: Report['rows'] }).rows = trimmed.rows.filter((r) => r !== dropped);
    (trimmed as { evidence: Report['evidence'] }).evidence = trimmed.evidence.filter((e) => !dropped.events.includes(e.index));
    const trimmedFile = join(dir, 'trimmed.json');
    writeFileSync(trimmedFile, JSON.stringify(trimmed));
    const alone = await run(process.execPath, [CLI, 'audit', 'verify', '--report', trimmedFile], { env });
    assert.match(alone.stdout, /VERIFIED: 3 rows[\s\S]*the file proves its rows, not that none was left out/);
    const caught = await run(process.execPath, [CLI, 'audit', 'verify', '--report', trimmedFile, '--file', exportFile], { env }).then(() => assert.fail('a trimmed report passed against the log'), (e: { code: number; stdout: string }) => e);
    assert.equal(caught.code, 2);
    assert.match(caught.stdout, new RegExp(`row-missing: the log holds a row this report left out \\(events ${dropped.events.join(', ')}\\)`));
  });
});
