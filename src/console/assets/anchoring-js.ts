/**
 * Console asset `anchoring.js`: the Anchoring status view (`GET /admin/audit/checkpoints`): the
 * last checkpoint, how many events wait for the next one (lag), whether the chain is healthy, and
 * the latest checkpoints, newest first (the list is paged: one checkpoint per anchor interval).
 */
export const ANCHORING_JS = String.raw`
import { api } from './api.js';
import { announce, dl, fill, formatNumber, h, shortHash, showError, table, timeEl } from './dom.js';

const SHOWN = 50;

function txCell(c) {
  if (c.explorerUrl) {
    try {
      const url = new URL(c.explorerUrl);
      if (url.protocol === 'https:' || url.protocol === 'http:') {
        return h('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer' }, shortHash(c.transactionHash), h('span', { class: 'visually-hidden' }, ' (block explorer, opens in a new tab)'));
      }
    } catch {
      // fall through
    }
  }
  return shortHash(c.transactionHash);
}

export function createAnchoringView(section) {
  const refresh = h('button', { type: 'button', class: 'secondary' }, 'Refresh');
  const errors = h('div', { class: 'errors' });
  const body = h('div', { id: 'anchoring-body', 'aria-live': 'polite' });
  section.append(h('div', { class: 'actions' }, refresh), errors, body);

  function render(s) {
    const checkpoints = (s.checkpoints || []).slice().reverse();
    const last = checkpoints[0];
    const healthy = s.anchoring.chainHealthy;
    const lag = s.anchoring.unanchored;
    fill(body,
      h('div', { class: 'cards' },
        h('div', { class: 'card ' + (healthy ? 'good' : 'bad'), id: 'chain-health' },
          h('h3', null, 'Chain'),
          h('p', { class: 'big' }, healthy ? 'Healthy' : 'Unreachable'),
          h('p', null, healthy ? 'Checkpoints are being anchored.' : 'Anchoring is failing: ' + (s.anchoring.lastError || 'unknown error') + '. Events are kept and will be anchored when it recovers.')),
        h('div', { class: 'card ' + (lag === 0 ? 'good' : 'neutral'), id: 'anchoring-lag' },
          h('h3', null, 'Not yet anchored'),
          h('p', { class: 'big' }, formatNumber(lag) + ' event' + (lag === 1 ? '' : 's')),
          h('p', null, 'of ' + formatNumber(s.head.treeSize) + ' in the log.')),
        h('div', { class: 'card neutral', id: 'last-checkpoint' },
          h('h3', null, 'Last checkpoint'),
          last ? h('p', { class: 'big' }, 'Block ' + last.blockNumber) : h('p', { class: 'big' }, 'None yet'),
          last ? h('p', null, 'Tree size ' + formatNumber(last.treeSize) + ', anchored ', timeEl(last.anchoredAt), '.') : h('p', null, 'The first checkpoint is sent at the next anchoring interval.'))),
      dl([
        ['Chain id', String(s.chain.chainId)],
        ['AuditAnchor contract', h('code', null, s.chain.contract)],
        ['Tree head', h('span', null, 'size ' + formatNumber(s.head.treeSize) + ', root ', h('code', null, s.head.root))],
        ['This gateway sequences the log', s.anchoring.sequencer ? 'yes' : 'no (another replica does)'],
      ]),
      checkpoints.length
        ? table('Checkpoints, newest first' + (s.older ? ' (the latest ' + SHOWN + ')' : ''), [
            { title: 'Tree size', header: true, cell: (c) => formatNumber(c.treeSize) },
            { title: 'Root', cell: (c) => shortHash(c.root) },
            { title: 'Block', cell: (c) => String(c.blockNumber) },
            { title: 'Transaction', cell: txCell },
            { title: 'Anchored', cell: (c) => timeEl(c.anchoredAt) },
            { title: 'Gas', cell: (c) => formatNumber(c.gasUsed) },
          ], checkpoints, { id: 'checkpoints-table' })
        : h('p', { class: 'muted' }, 'No checkpoint anchored yet.'));
  }

  async function load() {
    showError(errors, '');
    body.setAttribute('aria-busy', 'true');
    try {
      render(await api('GET', '/admin/audit/checkpoints?limit=' + SHOWN));
    } catch (error) {
      showError(errors, error.message);
    } finally {
      body.removeAttribute('aria-busy');
    }
  }
  refresh.addEventListener('click', () => load().then(() => announce('Anchoring status refreshed.')));

  return { title: 'Anchoring', show: load };
}
`;
