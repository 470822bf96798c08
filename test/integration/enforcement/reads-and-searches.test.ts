/**
 * Enforcement on the read surfaces (read, vread, search by type, compartment and system,
 * _include / _revinclude, _summary / _total / _elements, paging), against the real sample server
 * with real tokens and on-chain grants (see world.ts). Each attack asserts that nothing of the
 * denied patient is anywhere in the answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNothingOf, startWorld, type World } from './world.js';

describe('consent enforcement: reads and searches', () => {
  let w: World;
  before(async () => (w = await startWorld()));
  after(async () => w.close());

  const ids = (bundle: Record<string, any>): string[] => (bundle['entry'] ?? []).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`);

  it('read and vread: a permitted patient is returned whole; a denied one is 403 with nothing of it', async () => {
    const permitted = await w.call('GET', '/Patient/pat-001', w.prac01);
    assert.equal(permitted.status, 200);
    assert.deepEqual(permitted.json(), JSON.parse(JSON.stringify(await w.direct('/Patient/pat-001')).split(w.sample.url).join(w.base)));
    const version = String((await w.direct('/Patient/pat-002'))['meta']['versionId']);
    for (const path of ['/Patient/pat-002', `/Patient/pat-002/_history/${version}`, '/Observation/obs-002-01', '/Observation/obs-cross-01']) {
      const denied = await w.call('GET', path, w.prac01);
      assert.equal(denied.status, 403, path);
      assert.equal(denied.json()['resourceType'], 'OperationOutcome');
      assertNothingOf(denied, w.deniedMarkers);
      assert.ok(!/etag|last-modified|location/i.test(denied.headers), 'no metadata of the denied resource');
    }
    const head = await w.call('HEAD', '/Patient/pat-002', w.prac01);
    assert.equal(head.status, 403, 'HEAD is decided like GET: existence is not revealed');
  });

  it('a caller without any grant sees nothing of anyone, but shared resources (Practitioner) by scope', async () => {
    assert.equal((await w.call('GET', '/Patient/pat-001', w.stranger)).status, 403);
    assert.equal((await w.call('GET', '/Practitioner/prac-01', w.stranger)).status, 200);
    const search = await w.call('GET', '/Observation?_count=100', w.stranger);
    assert.equal(search.status, 200);
    assert.deepEqual(ids(search.json()), []);
  });

  it('search by type: only permitted patients; entries of several patients need all of them; no total', async () => {
    const answer = await w.call('GET', '/Observation?_count=200', w.prac01);
    assert.equal(answer.status, 200);
    const bundle = answer.json();
    const subjects = new Set((bundle['entry'] as any[]).map((e) => e.resource.subject?.reference));
    assert.deepEqual([...subjects].sort(), ['Patient/pat-001', 'Patient/pat-003']);
    assert.equal(bundle['total'], undefined);
    assertNothingOf(answer, w.deniedMarkers);
    const everything = await w.direct('/Observation?_count=200');
    assert.ok((everything['entry'] as any[]).some((e) => e.resource.id === 'obs-cross-01'), 'the attack target exists upstream');
  });

  it('compartment search: the denied patient is refused before forwarding; a permitted one excludes shared entries', async () => {
    const denied = await w.call('GET', '/Patient/pat-002/Observation', w.prac01);
    assert.equal(denied.status, 403);
    assertNothingOf(denied, w.deniedMarkers);
    const permitted = await w.call('GET', '/Patient/pat-001/Observation?_count=100', w.prac01);
    assert.equal(permitted.status, 200);
    assert.ok(ids(permitted.json()).length > 0);
    assertNothingOf(permitted, w.deniedMarkers);
  });

  it('system search with _type: every entry decided', async () => {
    const answer = await w.call('GET', '/?_type=Patient,Observation&_count=200', w.prac01);
    assert.equal(answer.status, 200);
    const found = ids(answer.json());
    assert.ok(found.includes('Patient/pat-001') && found.includes('Patient/pat-003'));
    assertNothingOf(answer, w.deniedMarkers);
  });

  it('_include, _include:iterate and _revinclude cannot pull the denied patient in', async () => {
    const include = await w.call('GET', '/Observation?subject=Patient/pat-001&_include=Observation:performer&_include=Observation:subject&_count=100', w.prac01);
    assert.equal(include.status, 200);
    assertNothingOf(include, w.deniedMarkers);
    const revinclude = await w.call('GET', '/Patient?_revinclude=Observation:subject&_revinclude=Observation:performer&_count=100', w.prac01);
    assert.equal(revinclude.status, 200);
    assert.ok(ids(revinclude.json()).includes('Patient/pat-001'));
    assertNothingOf(revinclude, w.deniedMarkers);
    const iterate = await w.call('GET', '/Observation?subject=Patient/pat-001&_include=Observation:subject&_revinclude:iterate=Observation:performer', w.prac01);
    assert.ok(iterate.status === 200 || iterate.status === 400, `status ${iterate.status}`);
    assertNothingOf(iterate, w.deniedMarkers);
  });

  it('_summary=count and _total=accurate are refused where results are filtered; _elements cannot hide whose data it is', async () => {
    for (const query of ['/Observation?_summary=count', '/Observation?_total=accurate', '/Patient?_summary=count']) {
      const refused = await w.call('GET', query, w.prac01);
      assert.equal(refused.status, 403, query);
      assert.match(refused.text, /filtered by consent/);
    }
    const elements = await w.call('GET', '/Observation?_elements=status,code&_count=200', w.prac01);
    assert.equal(elements.status, 200);
    const entries = elements.json()['entry'] as any[];
    assert.ok(entries.length > 0);
    assert.ok(entries.every((e) => e.resource.subject === undefined && e.resource.performer === undefined), 'the elements added to decide are taken out again');
    assertNothingOf(elements, w.deniedMarkers);
    const text = await w.call('GET', '/Observation?_summary=text&_count=200', w.prac01);
    assert.equal(text.status, 200);
    assertNothingOf(text, w.deniedMarkers);
  });

  it('chained and _has parameters on types outside the compartment are refused (they would probe a patient)', async () => {
    const probe = await w.call('GET', '/Practitioner?_has:Observation:performer:subject=Patient/pat-002', w.prac01);
    assert.equal(probe.status, 403);
    assert.match(probe.text, /chained and _has/);
  });

  it('paging: links point at the gateway, every page is decided, and a replayed link is decided for its new caller', async () => {
    let next: string | undefined = `${w.base}/Observation?_count=5`;
    const seen: string[] = [];
    let pages = 0;
    let firstNext: string | undefined;
    while (next && pages < 50) {
      const page = await w.call('GET', next, w.prac01);
      assert.equal(page.status, 200);
      assertNothingOf(page, w.deniedMarkers);
      const bundle = page.json();
      seen.push(...ids(bundle));
      const link = (bundle['link'] as any[]).find((l) => l.relation === 'next')?.url as string | undefined;
      if (link) assert.ok(link.startsWith(w.base), `next link on the gateway: ${link}`);
      firstNext ??= link;
      next = link;
      pages++;
    }
    assert.ok(pages > 1, 'several pages');
    assert.ok(seen.length > 0);
    const replayed = await w.call('GET', firstNext!, w.stranger);
    assert.equal(replayed.status, 200);
    assert.deepEqual(ids(replayed.json()), [], 'the stranger gets nothing from prac-01\'s page link');
  });
});
