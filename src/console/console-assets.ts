/**
 * The console's page and static assets, held as strings in compiled modules: `tsc` puts them in
 * `dist/` with everything else, so the gateway serves them from any install (the runtime image
 * ships `dist/src` only) with no copy step and no file system lookup.
 *
 * The page is plain HTML; its behaviour is ES modules (no framework, no bundler, no CDN). It holds
 * no inline script or style, so the Content-Security-Policy can be `script-src 'self'`.
 */
import { ACTIVITY_JS } from './assets/activity-js.js';
import { ANCHORING_JS } from './assets/anchoring-js.js';
import { API_JS } from './assets/api-js.js';
import { APP_JS } from './assets/app-js.js';
import { CONSENTS_JS } from './assets/consents-js.js';
import { CONSOLE_CSS } from './assets/console-css.js';
import { DOM_JS } from './assets/dom-js.js';
import { EVENT_DETAIL_JS } from './assets/event-detail-js.js';
import { EVENTS_JS } from './assets/events-js.js';
import { MERKLE_JS } from './assets/merkle-js.js';
import { REPORTS_JS } from './assets/reports-js.js';

export interface ConsoleAsset {
  readonly contentType: string;
  readonly body: string;
}

const JS = 'text/javascript; charset=utf-8';

const ASSETS: ReadonlyMap<string, ConsoleAsset> = new Map([
  ['console.css', { contentType: 'text/css; charset=utf-8', body: CONSOLE_CSS }],
  ['app.js', { contentType: JS, body: APP_JS }],
  ['api.js', { contentType: JS, body: API_JS }],
  ['dom.js', { contentType: JS, body: DOM_JS }],
  ['merkle.js', { contentType: JS, body: MERKLE_JS }],
  ['events.js', { contentType: JS, body: EVENTS_JS }],
  ['event-detail.js', { contentType: JS, body: EVENT_DETAIL_JS }],
  ['reports.js', { contentType: JS, body: REPORTS_JS }],
  ['anchoring.js', { contentType: JS, body: ANCHORING_JS }],
  ['consents.js', { contentType: JS, body: CONSENTS_JS }],
  ['activity.js', { contentType: JS, body: ACTIVITY_JS }],
]);

/** An asset by file name (`app.js`), or undefined. */
export function consoleAsset(name: string): ConsoleAsset | undefined {
  return ASSETS.get(name);
}

/** Every asset name (for tests and tools). */
export function consoleAssetNames(): string[] {
  return [...ASSETS.keys()];
}

const VIEWS: ReadonlyArray<readonly [string, string, boolean]> = [
  // [name, title, in the navigation]
  ['events', 'Events', true],
  ['event', 'Audit event', false],
  ['reports', 'Reports', true],
  ['anchoring', 'Anchoring', true],
  ['consents', 'Consent history', true],
  ['activity', 'Activity', true],
];

/** The console page. `devLogin` adds the embedded-mode sign-in form. */
export function consoleIndexHtml(options: { readonly devLogin: boolean }): string {
  const nav = VIEWS.filter(([, , shown]) => shown)
    .map(([name, title]) => `<li><button type="button" data-view="${name}">${title}</button></li>`).join('');
  const sections = VIEWS
    .map(([name, title]) => `<section id="view-${name}" aria-labelledby="view-${name}-title" hidden><h2 id="view-${name}-title" tabindex="-1">${title}</h2><div class="view-body"></div></section>`)
    .join('\n      ');
  const devForm = options.devLogin
    ? `<form id="dev-login-form" method="post" novalidate>
          <h3>Dev login (embedded mode)</h3>
          <p class="explain">This gateway runs its development token issuer: it mints you a 15-minute <code>custos/auditor</code> token as <code>Practitioner/&lt;name&gt;</code>.</p>
          <div class="field">
            <label for="dev-user">User name</label>
            <input id="dev-user" type="text" autocomplete="username" spellcheck="false" required maxlength="64" aria-describedby="dev-user-hint">
            <span class="hint" id="dev-user-hint">letters, digits, "-" and "."; for example auditor-1</span>
          </div>
          <div class="actions"><button type="submit">Sign in</button></div>
        </form>`
    : '';
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="no-referrer">
    <meta name="custos-dev-login" content="${options.devLogin ? 'true' : 'false'}">
    <title>Custos console</title>
    <link rel="stylesheet" href="/console/assets/console.css">
    <script type="module" src="/console/assets/app.js"></script>
  </head>
  <body>
    <a class="skip-link" href="#main">Skip to content</a>
    <header class="banner">
      <div class="brand"><span class="logo" aria-hidden="true">&#9670;</span><h1>Custos console</h1></div>
      <div id="session-bar" hidden><span id="whoami"></span><button type="button" id="sign-out">Sign out</button></div>
    </header>
    <nav id="views-nav" aria-label="Console views" hidden><ul>${nav}</ul></nav>
    <main id="main" tabindex="-1">
      <section id="login" aria-labelledby="login-title">
        <h2 id="login-title">Sign in</h2>
        <p>The console reads the audit log with your access token: it needs the scope <code>custos/auditor</code> (or <code>custos/admin</code>). The token stays in this browser tab and is forgotten when you close it.</p>
        <div id="login-errors"></div>
        ${devForm}
        <form id="token-form" method="post" novalidate>
          <h3>Use an access token</h3>
          <div class="field">
            <label for="token-input">Access token</label>
            <textarea id="token-input" rows="4" autocomplete="off" spellcheck="false" aria-describedby="token-hint"></textarea>
            <span class="hint" id="token-hint">a JWT issued to you by your identity provider, with the custos/auditor scope</span>
          </div>
          <div class="actions"><button type="submit">Use this token</button></div>
        </form>
      </section>
      ${sections}
    </main>
    <div id="status" class="status-bar" role="status" aria-live="polite"></div>
    <noscript><p>The Custos console needs JavaScript (ES modules) to run.</p></noscript>
  </body>
</html>
`;
}
