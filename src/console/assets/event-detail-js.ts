/**
 * Console asset `event-detail.js`: one audit event (`GET /admin/audit/events/{index}`; an index is
 * not personal data): a readable summary of the AuditEvent, its raw canonical JSON, its inclusion
 * proof, the on-chain checkpoint covering it, and "verify in browser" (merkle.js).
 */
export const EVENT_DETAIL_JS = String.raw`
import { api } from './api.js';
import { announce, dl, fill, h, outcomeText, showError, timeEl } from './dom.js';
import { verifyEvent } from './merkle.js';

const GRANT_SYSTEM = 'urn:custos:consent-grant';
const RULE_SYSTEM = 'urn:custos:decision-rule';
const REFRESH_MS = 1500;
const REFRESH_TRIES = 40;

function decodeQuery(b64) {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  } catch {
    return b64;
  }
}

function list(items) {
  return items.length ? h('ul', { class: 'plain' }, items.map((i) => h('li', null, i))) : null;
}

/** The facts an officer reads first, from the BALP-shaped AuditEvent. */
function readable(detail) {
  const e = detail.event || {};
  const agents = e.agent || [];
  const entities = e.entity || [];
  const user = agents.find((a) => a.type && a.type.coding && a.type.coding[0].code === 'humanuser');
  const source = agents.find((a) => a.type && a.type.coding && a.type.coding[0].code === '110153');
  const purposes = (e.purposeOfEvent || []).map((p) => {
    const code = p.coding && p.coding[0] ? p.coding[0].code : '';
    return code === 'BTG' ? 'BTG break-the-glass' + (p.text ? ': \u201c' + p.text + '\u201d' : '') : code;
  });
  const role = (x) => (x.role && x.role.coding ? x.role.coding[0].code : undefined);
  const resources = entities.filter((x) => role(x) === '4').map((x) => x.what.reference);
  const queries = entities.filter((x) => role(x) === '24' && x.query).map((x) => decodeQuery(x.query));
  const grants = entities.filter((x) => x.what && x.what.identifier && x.what.identifier.system === GRANT_SYSTEM).map((x) => 'grant ' + x.what.identifier.value);
  const rules = entities.filter((x) => x.what && x.what.identifier && x.what.identifier.system === RULE_SYSTEM).map((x) => x.what.identifier.value);
  const subtype = e.subtype && e.subtype[0] ? e.subtype[0].code : 'unclassified';
  return dl([
    ['Recorded', timeEl(detail.recorded)],
    ['Interaction', subtype + ' (action ' + (e.action || '?') + ')'],
    ['Outcome', outcomeText(detail.outcome, e) + (e.outcomeDesc ? ' \u2013 ' + e.outcomeDesc : '')],
    ['User', detail.actor || 'unauthenticated'],
    ['Client application', detail.clientId],
    ['Organization', source && source.who && source.who.display !== 'unauthenticated client' ? source.who.display : undefined],
    ['Client address', source && source.network ? source.network.address : undefined],
    ['Token fingerprint', user && user.policy ? h('code', null, user.policy[0]) : undefined],
    ['Purpose of use', purposes.join('; ')],
    ['Break-the-glass', detail.breakGlass ? h('span', { class: 'badge badge-btg' }, 'Yes') : 'No'],
    ['Patients', list(detail.patients || [])],
    ['Query', list(queries.map((q) => h('code', null, q)))],
    ['Resources returned or written', list(resources.map((r) => h('code', null, r)))],
    ['Consent grants that decided', list(grants)],
    ['Rules that decided', list(rules.map((r) => h('code', null, r)))],
    ['Request id', h('code', null, detail.requestId)],
    ['Event id', h('code', null, detail.eventId)],
  ], { class: 'facts', id: 'event-summary' });
}

function safeLink(url, text) {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') {
      return h('a', { href: parsed.href, target: '_blank', rel: 'noopener noreferrer', id: 'checkpoint-explorer' }, text, h('span', { class: 'visually-hidden' }, ' (block explorer, opens in a new tab)'));
    }
  } catch {
    // not a URL: show the text only
  }
  return h('code', null, text);
}

function checkpointFacts(c) {
  return dl([
    ['Chain id', String(c.chainId)],
    ['AuditAnchor contract', h('code', null, c.contract)],
    ['Transaction', c.explorerUrl ? safeLink(c.explorerUrl, c.transactionHash) : h('code', { id: 'checkpoint-tx' }, c.transactionHash)],
    ['Block', String(c.blockNumber)],
    ['Block hash', h('code', null, c.blockHash)],
    ['Tree size', String(c.treeSize)],
    ['Root', h('code', null, c.root)],
    ['Anchored', timeEl(c.anchoredAt)],
    ['Checkpoint number on chain', String(c.chainIndex)],
  ], { class: 'facts', id: 'checkpoint-facts' });
}

export function createEventDetailView(section, options) {
  const back = h('button', { type: 'button', class: 'secondary back', onclick: () => options.back() }, '\u2190 Back to events');
  const heading = options.heading;
  const errors = h('div', { class: 'errors' });
  const body = h('div', { id: 'event-body' });
  section.append(back, errors, body);

  let current = null;
  let timer = null;
  let tries = 0;

  function stopRefresh() {
    if (timer) window.clearTimeout(timer);
    timer = null;
  }

  function render(detail) {
    const proof = detail.inclusionProof;
    const verdict = h('div', { id: 'verify-result', role: 'status', 'aria-live': 'polite' });
    const verifyButton = h('button', { type: 'button', id: 'verify-button' }, 'Verify in browser');
    verifyButton.addEventListener('click', async () => {
      verifyButton.disabled = true;
      fill(verdict, h('p', null, 'Computing SHA-256 hashes\u2026'));
      try {
        const r = await verifyEvent(detail);
        // The root comes from the gateway's record of the checkpoint: the chain itself is checked by
        // custos audit verify, which reads it from the node, not from the gateway.
        const against = r.anchored ? 'the root the gateway reports as anchored on chain in block ' + detail.checkpoint.blockNumber + ' (custos audit verify checks it against the chain itself)' : 'the current tree head (not anchored yet)';
        verdict.setAttribute('data-verdict', r.ok ? 'ok' : 'failed');
        fill(verdict,
          h('p', { class: r.ok ? 'verdict ok' : 'verdict failed' }, r.ok
            ? 'Verified: this event is leaf ' + proof.leafIndex + ' of the ' + proof.treeSize + '-event log whose root is ' + against + '.'
            : 'NOT verified: the event, its proof and the root do not agree. Report this to the log operator.'),
          h('ul', { class: 'checks' },
            h('li', null, (r.leafOk ? '\u2713 ' : '\u2717 ') + 'Leaf hash recomputed from the event bytes: ', h('code', null, r.computedLeaf)),
            h('li', null, (r.rootOk ? '\u2713 ' : '\u2717 ') + 'Root recomputed from the ' + proof.hashes.length + '-hash audit path: ', h('code', { id: 'computed-root' }, r.computedRoot ? '0x' + r.computedRoot : 'the path does not fit this leaf index and tree size')),
            h('li', null, 'Expected root (' + against + '): ', h('code', null, r.expectedRoot)),
            r.sizeOk ? null : h('li', null, '\u2717 The proof is for a different tree size than the checkpoint.')));
        announce(r.ok ? 'Inclusion proof verified in the browser.' : 'Inclusion proof did NOT verify.');
      } catch (error) {
        fill(verdict, h('p', { class: 'error', role: 'alert' }, 'Could not verify: ' + error.message));
      } finally {
        verifyButton.disabled = false;
      }
    });

    fill(body,
      h('section', { 'aria-labelledby': 'event-what' }, h('h3', { id: 'event-what' }, 'What happened'), readable(detail)),
      h('section', { 'aria-labelledby': 'event-proof' },
        h('h3', { id: 'event-proof' }, 'Proof of inclusion'),
        h('p', { class: 'explain' }, 'RFC 9162 Merkle audit path for this event\u2019s leaf. Verifying recomputes the leaf hash from the event and the root from the path, here, with your browser\u2019s SHA-256.'),
        dl([
          ['Leaf index', String(proof.leafIndex)],
          ['Tree size', String(proof.treeSize)],
          ['Leaf hash', h('code', null, detail.leafHash)],
          ['Root', h('code', null, proof.root)],
          ['Audit path', proof.hashes.length ? h('ol', { class: 'hashes' }, proof.hashes.map((x) => h('li', null, h('code', null, x)))) : 'empty (a one-event tree)'],
        ]),
        h('div', { class: 'actions' }, verifyButton),
        verdict),
      h('section', { 'aria-labelledby': 'event-checkpoint' },
        h('h3', { id: 'event-checkpoint' }, 'On-chain checkpoint'),
        detail.checkpoint
          ? checkpointFacts(detail.checkpoint)
          : h('p', { class: 'note', id: 'checkpoint-pending' }, (detail.note || 'Not anchored yet.') + (timer ? ' Checking again shortly\u2026' : ''))),
      h('details', null,
        h('summary', null, 'Raw AuditEvent (FHIR R4 JSON)'),
        h('p', { class: 'explain' }, 'Pretty-printed here; the leaf hash covers its RFC 8785 canonical form, shown below it.'),
        h('pre', { tabindex: '0', 'aria-label': 'AuditEvent JSON' }, JSON.stringify(detail.event, null, 2)),
        h('pre', { tabindex: '0', 'aria-label': 'Canonical bytes', id: 'event-canonical' }, detail.canonical)));
  }

  async function load(index, quiet) {
    if (!quiet) {
      showError(errors, '');
      fill(body, h('p', { class: 'muted' }, 'Loading\u2026'));
    }
    try {
      const detail = await api('GET', '/admin/audit/events/' + encodeURIComponent(String(index)));
      if (current !== index) return;
      stopRefresh();
      if (!detail.checkpoint && tries < REFRESH_TRIES) {
        tries++;
        timer = window.setTimeout(() => load(index, true), REFRESH_MS);
      }
      render(detail);
      if (quiet && detail.checkpoint) announce('Event ' + index + ' is now covered by an on-chain checkpoint.');
    } catch (error) {
      if (current === index) {
        fill(body);
        showError(errors, error.message);
      }
    }
  }

  return {
    title: 'Audit event',
    open(index) {
      stopRefresh();
      current = index;
      tries = 0;
      heading.textContent = 'Audit event #' + index;
      load(index, false);
    },
    hide() {
      stopRefresh();
      current = null;
    },
  };
}
`;
