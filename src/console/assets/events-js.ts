/**
 * Console asset `events.js`: the Events view. A search form (patient, actor, time range, outcome,
 * break-the-glass) posted to `POST /admin/audit/events/_search`, a table of results, and paging by
 * the `after` cursor. Criteria stay in memory, never in the URL.
 */
export const EVENTS_JS = String.raw`
import { api } from './api.js';
import { announce, field, fill, formatNumber, h, isoFromLocal, outcomeText, patientRef, showError, table, timeEl } from './dom.js';

function interactionOf(event) {
  const e = event.event || {};
  const subtype = e.subtype && e.subtype[0] ? e.subtype[0].code : 'unclassified';
  return subtype + (e.action ? ' (' + e.action + ')' : '');
}

function outcomeCell(event) {
  const desc = event.event && event.event.outcomeDesc ? event.event.outcomeDesc : '';
  return h('span', { class: 'outcome outcome-' + event.outcome }, outcomeText(event.outcome, event.event), desc ? h('span', { class: 'outcome-desc' }, ' \u2013 ' + desc) : null);
}

export function createEventsView(section, options) {
  const patient = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'Patient/pat-001' });
  const actor = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'Practitioner/prac-01' });
  const from = h('input', { type: 'datetime-local' });
  const to = h('input', { type: 'datetime-local' });
  const outcome = h('select', null,
    h('option', { value: '' }, 'any'),
    h('option', { value: '0' }, '0 success'),
    h('option', { value: '4' }, '4 refused or invalid'),
    h('option', { value: '8' }, '8 serious failure'),
    h('option', { value: '12' }, '12 major failure'));
  const breakGlass = h('select', null,
    h('option', { value: '' }, 'any'),
    h('option', { value: 'true' }, 'only break-the-glass'),
    h('option', { value: 'false' }, 'without break-the-glass'));
  const pageSize = h('select', null, h('option', { value: '10' }, '10'), h('option', { value: '25' }, '25'), h('option', { value: '50', selected: true }, '50'), h('option', { value: '100' }, '100'));
  const errors = h('div', { class: 'errors' });
  const summary = h('p', { class: 'summary', id: 'events-summary', 'aria-live': 'polite' });
  const results = h('div', { id: 'events-results' });
  const previous = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Previous page');
  const next = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Next page');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Result pages' }, previous, next);

  const form = h('form', { class: 'criteria', id: 'events-form', novalidate: true },
    h('div', { class: 'grid' },
      field('events-patient', 'Patient', patient, 'a Patient reference or id'),
      field('events-actor', 'Actor', actor, 'a user reference or a client id'),
      field('events-from', 'From', from, 'recorded at or after (local time)'),
      field('events-to', 'To', to, 'recorded before (local time)'),
      field('events-outcome', 'Outcome', outcome),
      field('events-break-glass', 'Break-the-glass', breakGlass),
      field('events-limit', 'Per page', pageSize)),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Search'),
      h('button', { type: 'reset', class: 'secondary' }, 'Clear')));

  section.append(form, errors, summary, results, pager);

  // The state of the view lives here, in memory only.
  let criteria = {};
  let cursors = [];
  let nextAfter = null;
  let loaded = false;

  function readCriteria() {
    const c = {};
    const p = patientRef(patient.value);
    if (p) c.patient = p;
    if (actor.value.trim()) c.actor = actor.value.trim();
    const f = isoFromLocal(from.value);
    const t = isoFromLocal(to.value);
    if (f) c.from = f;
    if (t) c.to = t;
    if (outcome.value !== '') c.outcome = Number(outcome.value);
    if (breakGlass.value !== '') c.breakGlass = breakGlass.value === 'true';
    c.limit = Number(pageSize.value);
    return c;
  }

  function render(answer) {
    const events = answer.events || [];
    const page = cursors.length + 1;
    summary.textContent = events.length === 0
      ? (page === 1 ? 'No audit event matches these criteria.' : 'No more events.')
      : 'Page ' + page + ': ' + formatNumber(events.length) + ' event' + (events.length === 1 ? '' : 's') + (answer.next ? ', more on the next page.' : '.');
    if (events.length === 0) {
      fill(results);
    } else {
      fill(results, table('Audit events, oldest first', [
        { title: 'Time', cell: (e) => timeEl(e.recorded) },
        { title: 'Actor', cell: (e) => e.actor || (e.clientId ? 'client ' + e.clientId : 'unauthenticated') },
        { title: 'Patients', cell: (e) => (e.patients && e.patients.length ? e.patients.join(', ') : '\u2014') },
        { title: 'Interaction', cell: interactionOf },
        { title: 'Outcome', cell: outcomeCell },
        { title: 'Break-the-glass', cell: (e) => (e.breakGlass ? h('span', { class: 'badge badge-btg' }, 'Yes') : h('span', { class: 'muted' }, 'No')) },
        { title: 'Event', cell: (e) => h('button', { type: 'button', class: 'link', 'data-index': e.index, 'aria-label': 'Open audit event ' + e.index, onclick: () => options.openEvent(e.index) }, '#' + e.index) },
      ], events, { id: 'events-table' }));
    }
    nextAfter = answer.next ? answer.next.after : null;
    next.disabled = nextAfter === null;
    previous.disabled = cursors.length === 0;
  }

  async function load(after) {
    showError(errors, '');
    const body = Object.assign({}, criteria);
    if (after !== undefined && after !== null) body.after = after;
    results.setAttribute('aria-busy', 'true');
    try {
      render(await api('POST', '/admin/audit/events/_search', body));
      loaded = true;
    } catch (error) {
      showError(errors, error.message);
    } finally {
      results.removeAttribute('aria-busy');
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    criteria = readCriteria();
    cursors = [];
    load(undefined).then(() => announce(summary.textContent));
  });
  form.addEventListener('reset', () => {
    window.setTimeout(() => {
      criteria = readCriteria();
      cursors = [];
      load(undefined);
    }, 0);
  });
  next.addEventListener('click', () => {
    if (nextAfter === null) return;
    cursors.push(nextAfter);
    load(nextAfter).then(() => announce(summary.textContent));
  });
  previous.addEventListener('click', () => {
    // cursors[i] is the "after" that loaded page i + 2: going back drops the current one.
    cursors.pop();
    const after = cursors.length ? cursors[cursors.length - 1] : undefined;
    load(after).then(() => announce(summary.textContent));
  });

  return {
    title: 'Events',
    show() {
      if (!loaded) {
        criteria = readCriteria();
        load(undefined);
      }
    },
    reset() {
      form.reset();
      criteria = {};
      cursors = [];
      loaded = false;
      fill(results);
      summary.textContent = '';
    },
  };
}
`;
