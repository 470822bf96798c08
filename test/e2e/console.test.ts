/**
 * The compliance console, end to end, in headless Chromium (Debian's `chromium`, driven by
 * playwright-core) against a real gateway: the real sample FHIR server, the embedded chain with real
 * on-chain grants (test/integration/enforcement/world.ts), the embedded audit store, anchoring every
 * 300 ms. Real traffic first (a consented read, a denied read, a break-the-glass read), then an
 * officer signs in with the dev issuer, finds a patient's events, verifies an inclusion proof with
 * the browser's own SHA-256 against the anchored checkpoint, downloads a report, reads the anchoring
 * status and the activity chart, and is told why consent history is out of an auditor's reach.
 * Throughout, no URL the page loads or navigates to names a patient or a user.
 *
 * CUSTOS_SCREENSHOTS=1 also writes docs/screenshots/console-*.png (for the README).
 * CUSTOS_CHROMIUM overrides the browser path (default /usr/bin/chromium; `apt-get install chromium`).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { leafHash } from '../../src/audit/merkle.js';
import { MerkleTree } from '../../src/audit/merkle-tree.js';
import { startWorld, type World } from '../integration/enforcement/world.js';

const CHROMIUM = process.env['CUSTOS_CHROMIUM'] ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env['CUSTOS_SCREENSHOTS'] === '1';
const SCREENSHOT_DIR = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
/** Patient and user ids of this world: none may appear in a URL. */
const IDS_IN_URL = /pat-\d|prac-\d|auditor-1|Patient(\/|%2F)|Practitioner(\/|%2F)/i;
const WAIT = { timeout: 20_000 };

describe('compliance console in Chromium', () => {
  let w: World;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const urls: string[] = [];
  let historyAtStart = 0;

  const view = (name: string) => page.locator(`#view-${name}`);
  const nav = (name: string) => page.locator('#views-nav').getByRole('button', { name, exact: true });
  const shot = async (name: string) => {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, `console-${name}.png`), fullPage: true });
  };

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set CUSTOS_CHROMIUM`);
    const [world, browser] = await Promise.all([
      startWorld({ CUSTOS_ENFORCEMENT_BREAK_GLASS_ACTORS: 'Practitioner/prac-05', CUSTOS_AUDIT_ANCHOR_INTERVAL_MS: '300' }),
      (async () => {
        profile = mkdtempSync(join(tmpdir(), 'custos-chromium-'));
        return chromium.launchPersistentContext(profile, {
          executablePath: CHROMIUM,
          headless: true,
          viewport: { width: 1280, height: 860 },
          acceptDownloads: true,
          args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        });
      })(),
    ]);
    w = world;
    context = browser;
    page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(WAIT.timeout);
    page.on('request', (r) => urls.push(r.url()));
    page.on('framenavigated', (f) => urls.push(f.url()));

    // Traffic to audit: a consented read, a denied read, a break-the-glass read.
    assert.equal((await w.call('GET', '/Patient/pat-001', w.prac01)).status, 200);
    assert.equal((await w.call('GET', '/Observation?patient=Patient/pat-001&_count=5', w.prac01)).status, 200);
    for (let i = 0; i < 10; i++) assert.equal((await w.call('GET', '/Patient/pat-001', w.prac01)).status, 200);
    assert.equal((await w.call('GET', '/Patient/pat-002', w.prac01)).status, 403);
    const emergency = await w.gateway.mint({ fhirUser: 'Practitioner/prac-05', scope: 'user/*.rs' });
    assert.equal((await w.call('GET', '/Patient/pat-002', emergency, { headers: { 'x-break-glass': 'unconscious patient in ED' } })).status, 200);
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    await w?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('signs in with the dev issuer and keeps the token in the tab only', async () => {
    await page.goto(`${w.gateway.origin}/console/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    historyAtStart = (await page.evaluate('history.length')) as number;
    await shot('sign-in');
    await page.getByLabel('User name').fill('auditor-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#whoami').filter({ hasText: 'Practitioner/auditor-1' }).waitFor();
    assert.match(await page.locator('#whoami').innerText(), /custos\/auditor/);
    const storage = await page.evaluate('({ session: Object.keys(sessionStorage), local: localStorage.length })');
    assert.deepEqual(storage, { session: ['custos.console.token'], local: 0 });
  });

  it("finds a patient's events by a criterion sent in the body", async () => {
    await nav('Events').click();
    await view('events').getByLabel('Patient', { exact: true }).fill('pat-001');
    await view('events').getByRole('button', { name: 'Search', exact: true }).click();
    const rows = page.locator('#events-table tbody tr');
    await page.locator('#events-summary').filter({ hasText: /Page 1: \d+ event/ }).waitFor();
    const count = await rows.count();
    assert.ok(count >= 2, `expected pat-001's read and search, saw ${count}`);
    for (const text of await rows.allInnerTexts()) assert.match(text, /Patient\/pat-001/);
    assert.ok((await rows.allInnerTexts()).some((t) => /read \(R\)/.test(t)));
    await shot('events');

    // paging with the "after" cursor, forth and back
    await view('events').getByLabel('Per page').selectOption('10');
    await view('events').getByRole('button', { name: 'Search', exact: true }).click();
    await page.locator('#events-summary').filter({ hasText: 'Page 1: 10 events, more on the next page.' }).waitFor();
    const first = await rows.first().innerText();
    await view('events').getByRole('button', { name: 'Next page' }).click();
    // the seeded traffic plus the searches just made (reading the log is audited too)
    await page.locator('#events-summary').filter({ hasText: /^Page 2: \d events?\.$/ }).waitFor();
    assert.equal(await view('events').getByRole('button', { name: 'Next page' }).isDisabled(), true);
    await view('events').getByRole('button', { name: 'Previous page' }).click();
    await page.locator('#events-summary').filter({ hasText: /^Page 1: 10 events/ }).waitFor();
    assert.equal(await rows.first().innerText(), first);
  });

  it('opens an event, shows its checkpoint, and verifies the inclusion proof with WebCrypto', async () => {
    // by keyboard: the row's button takes focus and Enter opens the event, whose heading gets focus
    await page.locator('#events-table tbody tr').first().getByRole('button').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /Audit event #\d+/ }).waitFor();
    assert.equal(await page.evaluate('document.activeElement.id'), 'view-event-title');
    assert.match(await page.locator('#event-summary').innerText(), /Patient\/pat-001/);
    // anchoring runs every 300 ms; the view re-reads the event until a checkpoint covers it
    await page.locator('#checkpoint-facts').waitFor();
    const checkpoint = await page.locator('#checkpoint-facts').innerText();
    assert.match(checkpoint, /0x[0-9a-f]{64}/, 'transaction hash');
    assert.match(checkpoint, /Chain id\s+\d+/);
    await page.getByRole('button', { name: 'Verify in browser' }).click();
    await page.locator('#verify-result[data-verdict]').waitFor();
    assert.equal(await page.locator('#verify-result').getAttribute('data-verdict'), 'ok', await page.locator('#verify-result').innerText());
    assert.match(await page.locator('#verify-result').innerText(), /Verified: this event is leaf \d+ of the \d+-event log whose root is the root the gateway reports as anchored on chain/);
    const root = (await page.locator('#computed-root').innerText()).trim();
    assert.ok(checkpoint.includes(root), 'the root computed in the browser is the anchored one');
    await shot('event-detail');
  });

  it("computes the same roots in the browser as the log does, and rejects a tampered event or a moved leaf", async () => {
    // Every (index, size) for trees of 1..33 leaves: the browser's RFC 9162 §2.1.3.2 against src/audit/merkle-tree.ts.
    const leaves = Array.from({ length: 33 }, (_, i) => leafHash(Buffer.from(`event ${i}`)));
    const tree = MerkleTree.fromLeaves(leaves);
    const cases: Array<[number, number, string, string[], string]> = [];
    for (let size = 1; size <= leaves.length; size++) {
      for (let index = 0; index < size; index++) {
        cases.push([index, size, leaves[index]!.toString('hex'), tree.inclusionProof(index, size).map((h) => h.toString('hex')), tree.root(size).toString('hex')]);
      }
    }
    const mismatches = await page.evaluate(`(async (cases) => {
      const m = await import('/console/assets/merkle.js');
      const bad = [];
      for (const [index, size, leaf, path, root] of cases) {
        if ((await m.rootFromInclusionProof(index, size, leaf, path)) !== root) bad.push([index, size]);
        if (size > 1 && (await m.rootFromInclusionProof((index + 1) % size, size, leaf, path)) === root) bad.push(['moved', index, size]);
      }
      return bad;
    })(${JSON.stringify(cases)})`);
    assert.deepEqual(mismatches, []);

    const index = Number((await page.locator('#view-event-title').innerText()).replace(/\D/g, ''));
    const verdicts = await page.evaluate(`(async () => {
      const m = await import('/console/assets/merkle.js');
      const answer = await fetch('/admin/audit/events/${index}', { headers: { authorization: 'Bearer ' + sessionStorage.getItem('custos.console.token') } });
      const d = await answer.json();
      const tampered = await m.verifyEvent({ ...d, canonical: d.canonical.replace('"action":"R"', '"action":"D"') });
      const moved = await m.verifyEvent({ ...d, inclusionProof: { ...d.inclusionProof, leafIndex: d.inclusionProof.leafIndex + 1 } });
      const otherRoot = await m.verifyEvent({ ...d, checkpoint: { ...d.checkpoint, root: '0x' + '00'.repeat(32) } });
      return { genuine: (await m.verifyEvent(d)).ok, tampered: [tampered.ok, tampered.leafOk], moved: moved.ok, otherRoot: otherRoot.ok };
    })()`);
    assert.deepEqual(verdicts, { genuine: true, tampered: [false, false], moved: false, otherRoot: false });
  });

  it('flags break-the-glass and refused requests in the list', async () => {
    await page.getByRole('button', { name: /Back to events/ }).click();
    await view('events').getByLabel('Patient', { exact: true }).fill('');
    await view('events').getByLabel('Break-the-glass').selectOption('true');
    await view('events').getByRole('button', { name: 'Search', exact: true }).click();
    await page.locator('#events-summary').filter({ hasText: 'Page 1: 1 event.' }).waitFor();
    assert.match(await page.locator('#events-table tbody tr').innerText(), /Practitioner\/prac-05[\s\S]*Patient\/pat-002[\s\S]*Yes/);
    await view('events').getByLabel('Break-the-glass').selectOption('');
    await view('events').getByLabel('Outcome').selectOption('4');
    await view('events').getByRole('button', { name: 'Search', exact: true }).click();
    await page.locator('#events-table tbody tr').filter({ hasText: '403 CONSENT_DENIED' }).first().waitFor();
  });

  it('downloads a report and saves the file the gateway named', async () => {
    await nav('Reports').click();
    await view('reports').getByLabel('Access report').check();
    await view('reports').getByLabel('Patient', { exact: true }).fill('pat-001');
    await view('reports').getByLabel('Format').selectOption('csv');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download report' }).click()]);
    assert.match(download.suggestedFilename(), /^custos-access-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    assert.ok(csv.split('\n').length >= 2, csv);
    assert.match(csv, /prac-01/);
    assert.doesNotMatch(csv, /pat-002/, 'only the patient asked about');
    await page.locator('#report-filename').filter({ hasText: download.suggestedFilename() }).waitFor();
    await shot('reports');

    await view('reports').getByLabel('Format').selectOption('pdf');
    const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download report' }).click()]);
    assert.match(pdf.suggestedFilename(), /^custos-access-\d{4}-\d{2}-\d{2}\.pdf$/);
    assert.equal(readFileSync((await pdf.path())!).subarray(0, 5).toString('latin1'), '%PDF-');

    // a problem document from the gateway is shown as its detail
    await view('reports').getByLabel('User or client activity').check();
    await view('reports').getByLabel('User or client', { exact: true }).fill('x'.repeat(300));
    await page.getByRole('button', { name: 'Download report' }).click();
    await page.getByRole('alert').filter({ hasText: /could not be produced: the request body is invalid: actor/ }).waitFor();
  });

  it('shows anchoring status: chain healthy, the lag, every checkpoint', async () => {
    await nav('Anchoring').click();
    await page.locator('#chain-health').filter({ hasText: 'Healthy' }).waitFor();
    assert.match(await page.locator('#anchoring-lag').innerText(), /\d+ events?/);
    assert.ok(await page.locator('#checkpoints-table tbody tr').count() >= 1);
    await shot('anchoring');
  });

  it("explains that consent history needs a registrar's scope", async () => {
    await nav('Consent history').click();
    await view('consents').getByLabel('Patient', { exact: true }).fill('pat-001');
    await page.getByRole('button', { name: 'Show consent history' }).click();
    await page.getByRole('alert').filter({ hasText: 'custos/registrar or custos/admin' }).waitFor();
  });

  it('charts access volume with refusals and break-the-glass, with a text alternative', async () => {
    await nav('Activity').click();
    await view('activity').getByLabel('Period').selectOption('15m');
    await page.getByRole('button', { name: 'Show chart' }).click();
    await page.locator('#activity-chart .mark-btg').first().waitFor();
    assert.ok(await page.locator('#activity-chart .bar-denied').count() >= 1);
    const summary = await page.locator('#activity-summary').innerText();
    assert.match(summary, /[1-9]\d* requests between .*: [1-9]\d* refused, \d+ failed, [1-9]\d* break-the-glass/);
    assert.equal(await page.locator('#activity-chart').getAttribute('role'), 'img');
    await shot('activity');
  });

  it('signs out, forgetting the token and everything shown', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.equal(await page.evaluate('sessionStorage.length'), 0);
    assert.equal(await page.locator('#events-table').count(), 0);
  });

  it('signs in with a pasted token, and with a registrar scope shows the consent history', async () => {
    const token = await w.gateway.mint({ fhirUser: 'Practitioner/officer-2', scope: 'custos/auditor custos/registrar' });
    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Use this token' }).click();
    await page.locator('#whoami').filter({ hasText: 'custos/registrar' }).waitFor();
    await nav('Consent history').click();
    await view('consents').getByLabel('Patient', { exact: true }).fill('pat-001');
    await view('consents').getByRole('button', { name: 'Show consent history' }).click();
    await page.locator('#consents-table tbody tr').first().waitFor();
    assert.match(await page.locator('#consents-table tbody').innerText(), /active\s+permit[\s\S]*read/);
    await shot('consents');
  });

  it('never put a patient or user id in a URL, and never navigated away from the console', async () => {
    const leaked = urls.filter((u) => IDS_IN_URL.test(u));
    assert.deepEqual(leaked, []);
    assert.ok(urls.some((u) => u.includes('/admin/audit/events/')), 'the event was read by index');
    assert.equal(await page.evaluate('history.length'), historyAtStart, 'views change in memory, not through history');
    assert.equal(new URL(page.url()).pathname, '/console/');
    assert.equal(new URL(page.url()).search + new URL(page.url()).hash, '');
  });
});
