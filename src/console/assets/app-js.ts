/**
 * Console asset `app.js`: the shell. Sign-in (dev login in embedded mode, or a pasted token),
 * the session's expiry, switching views in memory (no routing: nothing about what the officer looks
 * at is written to the URL or the history), and sign-out, which forgets every view's content.
 */
export const APP_JS = String.raw`
import { api, claimsOf, onUnauthenticated, session } from './api.js';
import { announce, clear, formatTime, showError } from './dom.js';
import { createActivityView } from './activity.js';
import { createAnchoringView } from './anchoring.js';
import { createConsentsView } from './consents.js';
import { createEventDetailView } from './event-detail.js';
import { createEventsView } from './events.js';
import { createReportsView } from './reports.js';

const VIEW_NAMES = ['events', 'event', 'reports', 'anchoring', 'consents', 'activity'];
const ADMIN_SCOPES = ['custos/auditor', 'custos/admin'];

const loginSection = document.getElementById('login');
const loginErrors = document.getElementById('login-errors');
const nav = document.getElementById('views-nav');
const sessionBar = document.getElementById('session-bar');
const whoami = document.getElementById('whoami');
const sectionOf = (name) => document.getElementById('view-' + name);
const bodyOf = (name) => sectionOf(name).querySelector('.view-body');
const headingOf = (name) => document.getElementById('view-' + name + '-title');

let views = {};
let active = null;
let expiryTimer = null;

function buildViews() {
  for (const name of VIEW_NAMES) clear(bodyOf(name));
  views = {
    events: createEventsView(bodyOf('events'), { openEvent: (index) => showView('event', index) }),
    event: createEventDetailView(bodyOf('event'), { heading: headingOf('event'), back: () => showView('events') }),
    reports: createReportsView(bodyOf('reports')),
    anchoring: createAnchoringView(bodyOf('anchoring')),
    consents: createConsentsView(bodyOf('consents')),
    activity: createActivityView(bodyOf('activity')),
  };
}

function showView(name, arg) {
  if (active && active !== name && views[active] && views[active].hide) views[active].hide();
  active = name;
  for (const n of VIEW_NAMES) sectionOf(n).hidden = n !== name;
  const navName = name === 'event' ? 'events' : name;
  for (const button of nav.querySelectorAll('button[data-view]')) {
    if (button.dataset.view === navName) button.setAttribute('aria-current', 'page');
    else button.removeAttribute('aria-current');
  }
  document.title = (name === 'event' ? 'Audit event #' + arg : views[name].title) + ' \u2013 Custos console';
  if (name === 'event') views.event.open(arg);
  else views[name].show();
  headingOf(name).focus();
}

function validClaims() {
  const claims = session.claims();
  if (!claims) return null;
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) return null;
  return claims;
}

function enter() {
  const claims = validClaims();
  if (!claims) {
    leave('Your session has expired; sign in again.');
    return;
  }
  const scopes = String(claims.scope || '').split(' ').filter(Boolean);
  whoami.textContent = (claims.fhirUser || claims.sub || 'unknown user') + ' \u00b7 ' + (scopes.filter((s) => s.startsWith('custos/')).join(' ') || 'no custos scope')
    + (claims.exp ? ' \u00b7 until ' + formatTime(claims.exp * 1000).slice(11, 16) : '');
  loginSection.hidden = true;
  nav.hidden = false;
  sessionBar.hidden = false;
  if (expiryTimer) window.clearTimeout(expiryTimer);
  if (typeof claims.exp === 'number') {
    expiryTimer = window.setTimeout(() => leave('Your session has expired; sign in again.'), Math.min(2147483000, claims.exp * 1000 - Date.now()));
  }
  buildViews();
  showView('events');
  if (!scopes.some((s) => ADMIN_SCOPES.includes(s))) announce('This token has neither custos/auditor nor custos/admin: the audit views will refuse it.');
}

function leave(message) {
  session.clear();
  if (expiryTimer) window.clearTimeout(expiryTimer);
  if (active && views[active] && views[active].hide) views[active].hide();
  active = null;
  // Forget everything shown: patient criteria and results live only in these views.
  for (const name of VIEW_NAMES) {
    sectionOf(name).hidden = true;
    clear(bodyOf(name));
  }
  views = {};
  nav.hidden = true;
  sessionBar.hidden = true;
  whoami.textContent = '';
  loginSection.hidden = false;
  document.title = 'Sign in \u2013 Custos console';
  showError(loginErrors, message || '');
  const first = loginSection.querySelector('input, textarea');
  if (first) first.focus();
}

for (const button of nav.querySelectorAll('button[data-view]')) {
  button.addEventListener('click', () => showView(button.dataset.view));
}
document.getElementById('sign-out').addEventListener('click', () => {
  leave('');
  announce('You are signed out.');
});
onUnauthenticated((message) => leave('The gateway refused your token: ' + message));

const devForm = document.getElementById('dev-login-form');
if (devForm) {
  devForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = document.getElementById('dev-user');
    const user = input.value.trim().replace(/^Practitioner\//, '');
    if (!/^[A-Za-z0-9.-]{1,64}$/.test(user)) {
      showError(loginErrors, 'A user name is 1 to 64 letters, digits, "-" or ".".');
      input.focus();
      return;
    }
    try {
      const answer = await api('POST', '/console/dev-login', { user });
      session.set(answer.token);
      enter();
    } catch (error) {
      showError(loginErrors, 'Dev login failed: ' + error.message);
    }
  });
}

document.getElementById('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = document.getElementById('token-input');
  const token = input.value.trim().replace(/^Bearer\s+/i, '');
  try {
    const claims = claimsOf(token);
    if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) throw new Error('this token has expired');
  } catch (error) {
    showError(loginErrors, 'This token cannot be used: ' + error.message + '.');
    input.focus();
    return;
  }
  input.value = '';
  session.set(token);
  enter();
});

if (validClaims()) enter();
else leave('');
`;
