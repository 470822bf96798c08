/**
 * Console asset `consents.js`: a patient's consent history (`POST /admin/consents/search`), every
 * grant with its status and on-chain position. That API belongs to registrars: it needs the scope
 * custos/registrar or custos/admin, which an auditor's token does not carry; the view says so.
 */
export const CONSENTS_JS = String.raw`
import { api } from './api.js';
import { announce, field, fill, formatNumber, h, patientRef, shortHash, showError, table } from './dom.js';

const SCOPES = 'custos/registrar or custos/admin';

function when(seconds) {
  if (!seconds) return null;
  const d = new Date(seconds * 1000);
  return h('time', { datetime: d.toISOString() }, d.toISOString().slice(0, 10));
}

function names(value) {
  if (value === '*') return 'all';
  return Array.isArray(value) && value.length ? value.join(', ') : '\u2014';
}

function position(p) {
  if (!p) return '\u2014';
  return h('span', null, 'block ' + p.blockNumber + ' ', shortHash(p.transactionHash));
}

export function createConsentsView(section) {
  const patient = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'Patient/pat-001', required: true });
  const errors = h('div', { class: 'errors' });
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  const results = h('div', { id: 'consents-results' });
  const form = h('form', { class: 'criteria', id: 'consents-form', novalidate: true },
    h('p', { class: 'explain' }, 'Grants recorded on the consent ledger for one patient, active and revoked. Reading them needs the scope ' + SCOPES + '.'),
    h('div', { class: 'grid' }, field('consents-patient', 'Patient', patient, 'a Patient reference or id')),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Show consent history')));
  section.append(form, errors, summary, results);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showError(errors, '');
    fill(results);
    summary.textContent = '';
    const p = patientRef(patient.value);
    if (!p) {
      showError(errors, 'Give the patient whose consent history you want to see.');
      patient.focus();
      return;
    }
    try {
      const answer = await api('POST', '/admin/consents/search', { patient: p });
      const grants = (answer.grants || []).slice().sort((a, b) => (a.granted ? a.granted.blockNumber : 0) - (b.granted ? b.granted.blockNumber : 0));
      const active = grants.filter((g) => g.status === 'active').length;
      summary.textContent = grants.length === 0
        ? 'No consent has been recorded for this patient.'
        : formatNumber(grants.length) + ' grant' + (grants.length === 1 ? '' : 's') + ', ' + formatNumber(active) + ' active.';
      if (grants.length) {
        fill(results, table('Consent grants, oldest first', [
          { title: 'Grant', header: true, cell: (g) => g.id },
          { title: 'Status', cell: (g) => h('span', { class: 'badge badge-' + g.status }, g.status) },
          { title: 'Effect', cell: (g) => g.effect },
          { title: 'Grantee (pseudonym)', cell: (g) => shortHash(g.grantee) },
          { title: 'Resource types', cell: (g) => names(g.resourceTypes) },
          { title: 'Actions', cell: (g) => names(g.actions) },
          { title: 'Purposes', cell: (g) => names(g.purposes) },
          { title: 'Valid', cell: (g) => (g.notBefore || g.notAfter ? h('span', null, g.notBefore ? when(g.notBefore) : 'any time', ' \u2013 ', g.notAfter ? when(g.notAfter) : 'open') : 'no limit') },
          { title: 'Recorded', cell: (g) => h('span', null, g.via === 'patient-signature' ? 'signed by the patient, ' : 'by a registrar, ', position(g.granted)) },
          { title: 'Revoked', cell: (g) => position(g.revoked) },
        ], grants, { id: 'consents-table' }));
      }
      announce(summary.textContent);
    } catch (error) {
      const message = error.status === 403
        ? 'Your token cannot read consent records: that needs the scope ' + SCOPES + ' (an auditor\u2019s custos/auditor is not enough). Sign in with a token that carries one of them. (' + error.message + ')'
        : error.message;
      showError(errors, message);
    }
  });

  return { title: 'Consent history', show() {} };
}
`;
