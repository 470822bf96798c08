/**
 * $graphql when configuration enables it: every resource node is decided (denied ones become
 * null), and an answer with nodes the gateway cannot recognise as resources is refused whole.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNothingOf, startWorld, type World } from './world.js';

describe('consent enforcement: GraphQL', () => {
  let w: World;
  before(async () => (w = await startWorld({ CUSTOS_ENFORCEMENT_GRAPHQL: 'true' })));
  after(async () => w.close());

  const query = (text: string) => w.call('POST', '/$graphql', w.prac01, { body: { query: text } });

  it('decides every node: denied patients\' resources are null, permitted ones returned', async () => {
    const answer = await query('{ ObservationList(_count: 200) { resourceType id subject { reference } performer { reference } } }');
    assert.equal(answer.status, 200, answer.text);
    const list = answer.json()['data']['ObservationList'] as Array<{ subject: { reference: string } } | null>;
    const kept = list.filter((o) => o !== null);
    assert.ok(kept.length > 0 && kept.length < list.length);
    assert.deepEqual([...new Set(kept.map((o) => o!.subject.reference))].sort(), ['Patient/pat-001', 'Patient/pat-003']);
    assertNothingOf(answer, w.deniedMarkers);
  });

  it('refuses an answer whose resources it cannot recognise, and denies nodes without their patient references', async () => {
    const unrecognised = await query('{ Patient(id: "pat-002") { id name { given } } }');
    assert.equal(unrecognised.status, 403);
    assertNothingOf(unrecognised, w.deniedMarkers);
    const bare = await query('{ ObservationList(_count: 200) { resourceType id status } }');
    assert.equal(bare.status, 200);
    assert.ok((bare.json()['data']['ObservationList'] as unknown[]).every((o) => o === null), 'no patient reference selected: nothing can be permitted');
  });
});
