/**
 * Break-the-glass: `X-Break-Glass: <reason>` from an actor configuration allows reaches one
 * patient's data for reading, and the decision is flagged (the request log names the rule; the
 * audit event will). Disallowed actors, a missing reason and writes are refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNothingOf, startWorld, type World } from './world.js';

describe('consent enforcement: break-the-glass', () => {
  let w: World;
  let emergency: string;
  before(async () => {
    w = await startWorld({ CUSTOS_ENFORCEMENT_BREAK_GLASS_ACTORS: 'Practitioner/prac-05' });
    emergency = await w.gateway.mint({ fhirUser: 'Practitioner/prac-05', scope: 'user/*.cruds' });
  });
  after(async () => w.close());

  const glass = { 'x-break-glass': 'unconscious patient in the emergency department' };
  const lastDecision = () => {
    const line = w.gateway.logLines().filter((l) => l['msg'] === 'fhir request').at(-1)!;
    return line['decision'] as { rules: string[]; breakGlass: boolean };
  };

  it('an allowed actor with a reason reads the one patient it names, and the decision is flagged', async () => {
    assert.equal((await w.call('GET', '/Patient/pat-002', emergency)).status, 403, 'without the header: consent as usual');
    const read = await w.call('GET', '/Patient/pat-002', emergency, { headers: glass });
    assert.equal(read.status, 200);
    assert.deepEqual(lastDecision(), { ...lastDecision(), rules: ['break-the-glass'], breakGlass: true });
    const search = await w.call('GET', '/Patient/pat-002/Observation?_count=100', emergency, { headers: glass });
    assert.equal(search.status, 200);
    assert.ok((search.json()['entry'] as unknown[]).length > 0);
    assert.equal(lastDecision().breakGlass, true);
    const everything = await w.call('GET', '/Patient/pat-002/$everything', emergency, { headers: glass });
    assert.equal(everything.status, 200);
    assert.ok(!everything.text.includes('"id":"pat-001"'), 'other patients stay decided by their consent');
  });

  it('reaches one patient per request: a search that names none is refused', async () => {
    const wide = await w.call('GET', '/Observation?_count=10', emergency, { headers: glass });
    assert.equal(wide.status, 400);
    assert.match(wide.text, /one patient per request/);
    const named = await w.call('GET', '/Observation?patient=pat-002&_count=100', emergency, { headers: glass });
    assert.equal(named.status, 200);
  });

  it('a disallowed actor is refused even with a reason, and learns nothing', async () => {
    const refused = await w.call('GET', '/Patient/pat-002', w.prac01, { headers: glass });
    assert.equal(refused.status, 403);
    assert.match(refused.text, /may not break the glass/);
    assertNothingOf(refused, w.deniedMarkers);
  });

  it('a missing reason is a 400 that says what to send', async () => {
    const missing = await w.call('GET', '/Patient/pat-002', emergency, { headers: { 'x-break-glass': '   ' } });
    assert.equal(missing.status, 400);
    assert.match(missing.text, /needs a reason/);
    assertNothingOf(missing, w.deniedMarkers);
  });

  it('writes are refused: break-the-glass is for reading', async () => {
    const current = await w.direct('/Patient/pat-002');
    const write = await w.call('PUT', '/Patient/pat-002', emergency, { headers: glass, body: { ...current, gender: 'other' } });
    assert.equal(write.status, 403);
    assert.match(write.text, /reads of one patient only/);
    assert.equal((await w.direct('/Patient/pat-002'))['gender'], current['gender']);
  });
});
