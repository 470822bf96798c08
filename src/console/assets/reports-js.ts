/**
 * Console asset `reports.js`: the Reports view. One form per report kind (the kind chosen by radio
 * buttons shows only the fields it uses), posted as JSON to `POST /admin/reports/{kind}`
 * (`{patient?, actor?, from?, to?, includeExempt?, showNames?, format}`); the answer is saved as a
 * file named by its Content-Disposition.
 */
export const REPORTS_JS = String.raw`
import { download } from './api.js';
import { announce, dateInputValue, dl, field, fill, formatNumber, h, patientRef, showError } from './dom.js';

const KINDS = [
  { kind: 'disclosures', label: 'Accounting of disclosures', help: 'Disclosures of one patient\u2019s records (HIPAA \u00a7164.528); treatment, payment and operations only when asked.', patient: true, includeExempt: true },
  { kind: 'access', label: 'Access report', help: 'Every access to one patient\u2019s records: who, when, what.', patient: true },
  { kind: 'subject-access', label: 'Subject access', help: 'What a patient may ask to see about the processing of their data (GDPR Art. 15).', patient: true },
  { kind: 'actor-activity', label: 'User or client activity', help: 'Everything one user or client application did.', actor: true },
  { kind: 'break-glass', label: 'Break-the-glass review', help: 'Every emergency access, with its reason, for review.', showNames: true },
  { kind: 'denied', label: 'Denied requests', help: 'Requests the gateway refused.' },
];

const FORMATS = [
  { format: 'pdf', label: 'PDF', ext: 'pdf' },
  { format: 'csv', label: 'CSV', ext: 'csv' },
  { format: 'json', label: 'JSON (with evidence)', ext: 'json' },
  { format: 'bundle', label: 'FHIR Bundle', ext: 'json' },
];

/** Local midnight starting the day of an input type=date, as an ISO instant. */
function dayStart(value, plusDays) {
  const parts = String(value).split('-').map(Number);
  if (parts.length !== 3 || parts.some(Number.isNaN)) return undefined;
  return new Date(parts[0], parts[1] - 1, parts[2] + (plusDays || 0)).toISOString();
}

export function createReportsView(section) {
  const kindButtons = KINDS.map((k) => {
    const id = 'report-kind-' + k.kind;
    const input = h('input', { type: 'radio', id, value: k.kind, name: 'report-kind', 'aria-describedby': id + '-help', checked: k.kind === 'disclosures' });
    return h('div', { class: 'choice' }, input, h('label', { for: id }, k.label), h('span', { class: 'hint', id: id + '-help' }, k.help));
  });
  const kindSet = h('fieldset', { class: 'kinds' }, h('legend', null, 'Report'), kindButtons);

  const patient = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'Patient/pat-001' });
  const actor = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'Practitioner/prac-01' });
  const today = new Date();
  const monthAgo = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 30);
  const from = h('input', { type: 'date', value: dateInputValue(monthAgo) });
  const to = h('input', { type: 'date', value: dateInputValue(today) });
  const includeExempt = h('input', { type: 'checkbox', id: 'report-include-exempt' });
  const showNames = h('input', { type: 'checkbox', id: 'report-show-names' });
  const format = h('select', null, FORMATS.map((f) => h('option', { value: f.format }, f.label)));

  const patientField = field('report-patient', 'Patient', patient, 'a Patient reference or id');
  const actorField = field('report-actor', 'User or client', actor, 'a user reference (Practitioner/\u2026) or a client id');
  const exemptField = h('div', { class: 'field check' }, includeExempt, h('label', { for: 'report-include-exempt' }, 'Include treatment, payment and operations (TPO)'));
  const namesField = h('div', { class: 'field check' }, showNames, h('label', { for: 'report-show-names' }, 'Show patient references instead of pseudonyms'));
  const submit = h('button', { type: 'submit' }, 'Download report');
  const errors = h('div', { class: 'errors' });
  const result = h('div', { id: 'report-result', role: 'status', 'aria-live': 'polite' });

  const form = h('form', { class: 'criteria', id: 'report-form', novalidate: true },
    kindSet,
    h('div', { class: 'grid' },
      patientField, actorField,
      field('report-from', 'From (day)', from),
      field('report-to', 'To (day, included)', to),
      field('report-format', 'Format', format)),
    exemptField, namesField,
    h('div', { class: 'actions' }, submit));
  section.append(form, errors, result);

  function selected() {
    const checked = kindSet.querySelector('input:checked');
    return KINDS.find((k) => checked && k.kind === checked.value) || KINDS[0];
  }

  function adapt() {
    const k = selected();
    patientField.hidden = !k.patient;
    patient.required = Boolean(k.patient);
    actorField.hidden = !k.actor;
    actor.required = Boolean(k.actor);
    exemptField.hidden = !k.includeExempt;
    namesField.hidden = !k.showNames;
  }
  kindSet.addEventListener('change', adapt);
  adapt();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showError(errors, '');
    const k = selected();
    const body = { format: format.value };
    if (k.patient) {
      const p = patientRef(patient.value);
      if (!p) {
        showError(errors, 'Give the patient this report is about.');
        patient.focus();
        return;
      }
      body.patient = p;
    }
    if (k.actor) {
      if (!actor.value.trim()) {
        showError(errors, 'Give the user or client this report is about.');
        actor.focus();
        return;
      }
      body.actor = actor.value.trim();
    }
    const f = dayStart(from.value, 0);
    const t = dayStart(to.value, 1);
    if (f) body.from = f;
    if (t) body.to = t;
    if (f && t && f >= t) {
      showError(errors, 'The first day must not be after the last day.');
      from.focus();
      return;
    }
    if (k.includeExempt) body.includeExempt = includeExempt.checked;
    if (k.showNames) body.showNames = showNames.checked;
    const ext = (FORMATS.find((x) => x.format === body.format) || FORMATS[0]).ext;
    submit.disabled = true;
    fill(result, h('p', null, 'Preparing the ' + k.label.toLowerCase() + '\u2026'));
    try {
      const file = await download('/admin/reports/' + k.kind, body, 'custos-' + k.kind + '-report.' + ext);
      fill(result, h('p', { class: 'verdict ok' }, 'Downloaded.'), dl([
        ['File', h('code', { id: 'report-filename' }, file.filename)],
        ['Size', formatNumber(file.size) + ' bytes'],
        ['Type', file.type || 'unknown'],
      ]));
      result.setAttribute('data-filename', file.filename);
      announce('Report downloaded: ' + file.filename);
    } catch (error) {
      fill(result);
      showError(errors, 'The report could not be produced: ' + error.message);
    } finally {
      submit.disabled = false;
    }
  });

  return { title: 'Reports', show() {} };
}
`;
