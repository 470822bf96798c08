/**
 * Console asset `console.css`: system fonts, WCAG AA contrast (body text ≥ 7:1, controls and
 * chart colours ≥ 4.5:1 on white), a visible focus ring on everything focusable, and a layout that
 * works from a phone to a wide screen. Honours prefers-reduced-motion (there is no motion anyway).
 */
export const CONSOLE_CSS = String.raw`
:root {
  --ink: #1b1f24;
  --muted: #4a5360;
  --line: #c9d0d8;
  --paper: #ffffff;
  --wash: #f3f5f8;
  --accent: #0b4f8a;
  --accent-ink: #ffffff;
  --focus: #c25400;
  --good: #1d6b2f;
  --bad: #a3231b;
  --warn: #7a4d00;
  --btg: #6a2c91;
  --ok-bar: #2c6aa6;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", sans-serif;
  font-size: 100%;
  line-height: 1.5;
  color: var(--ink);
  background: var(--wash);
}

* { box-sizing: border-box; }
body { margin: 0; }
[hidden] { display: none !important; }

.visually-hidden {
  position: absolute !important;
  width: 1px; height: 1px;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
}

.skip-link { position: absolute; left: -9999px; top: 0; background: var(--paper); padding: .5rem 1rem; z-index: 10; }
.skip-link:focus { left: 1rem; }

:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }

.banner {
  display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: .5rem 1rem;
  padding: .75rem 1.5rem; background: var(--accent); color: var(--accent-ink);
}
.banner h1 { font-size: 1.25rem; margin: 0; letter-spacing: .01em; }
.brand { display: flex; align-items: center; gap: .5rem; }
.logo { font-size: 1.2rem; }
#session-bar { display: flex; align-items: center; gap: .75rem; font-size: .9rem; }
#session-bar button { background: transparent; color: var(--accent-ink); border-color: var(--accent-ink); }

#views-nav { background: var(--paper); border-bottom: 1px solid var(--line); padding: 0 1.5rem; }
#views-nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem; margin: 0; padding: 0; }
#views-nav button {
  background: none; border: none; border-bottom: 3px solid transparent; border-radius: 0;
  color: var(--ink); padding: .75rem .9rem; font-weight: 500;
}
#views-nav button:hover { background: var(--wash); }
#views-nav button[aria-current="page"] { border-bottom-color: var(--accent); color: var(--accent); font-weight: 700; }

main { max-width: 78rem; margin: 0 auto; padding: 1.25rem 1.5rem 4rem; }
main:focus { outline: none; }
h2 { font-size: 1.4rem; margin: .25rem 0 1rem; }
h2:focus { outline: none; }
h3 { font-size: 1.1rem; margin: 1.25rem 0 .5rem; }
.view-body section, .panel {
  background: var(--paper); border: 1px solid var(--line); border-radius: 6px; padding: .5rem 1.25rem 1rem; margin: 0 0 1rem;
}

form.criteria, #login form {
  background: var(--paper); border: 1px solid var(--line); border-radius: 6px; padding: 1rem 1.25rem; margin: 0 0 1rem;
}
#login { max-width: 40rem; }
#login form h3 { margin-top: 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: .75rem 1rem; }
.field { display: flex; flex-direction: column; gap: .2rem; }
.field.check { flex-direction: row; align-items: center; gap: .5rem; margin-top: .75rem; }
label, legend { font-weight: 600; font-size: .95rem; }
.hint, .explain { color: var(--muted); font-size: .85rem; }
.explain { margin: .25rem 0 .75rem; }

input, select, textarea, button { font: inherit; }
input[type="text"], input[type="number"], input[type="date"], input[type="datetime-local"], select, textarea {
  padding: .45rem .55rem; border: 1px solid #7b8794; border-radius: 4px; background: var(--paper); color: var(--ink); min-height: 2.5rem; width: 100%;
}
textarea { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .85rem; }
input[type="checkbox"], input[type="radio"] { width: 1.1rem; height: 1.1rem; accent-color: var(--accent); }

button {
  cursor: pointer; padding: .5rem 1rem; min-height: 2.5rem; border-radius: 4px;
  border: 1px solid var(--accent); background: var(--accent); color: var(--accent-ink); font-weight: 600;
}
button:hover { filter: brightness(1.1); }
button:disabled { cursor: not-allowed; opacity: .6; }
button.secondary { background: var(--paper); color: var(--accent); }
button.link { background: none; border: none; color: var(--accent); text-decoration: underline; padding: .1rem .25rem; min-height: 0; font-weight: 600; }
button.back { margin-bottom: .75rem; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: 1rem; }
.pager { display: flex; gap: .5rem; margin-top: .75rem; }

fieldset.kinds { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 1rem; padding: .5rem 1rem .75rem; }
.choice { display: grid; grid-template-columns: auto 1fr; column-gap: .5rem; align-items: center; padding: .3rem 0; }
.choice .hint { grid-column: 2; }

.table-wrap { overflow-x: auto; background: var(--paper); border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
caption { text-align: left; font-weight: 700; padding: .6rem .75rem; }
th, td { text-align: left; vertical-align: top; padding: .45rem .75rem; border-top: 1px solid var(--line); }
thead th { background: var(--wash); font-size: .85rem; border-top: none; }
tbody tr:hover { background: #f7f9fc; }

code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .85em; overflow-wrap: anywhere; }
pre { background: var(--wash); border: 1px solid var(--line); border-radius: 4px; padding: .75rem; overflow: auto; max-height: 28rem; white-space: pre-wrap; }
details { margin: 1rem 0; }
summary { cursor: pointer; font-weight: 600; padding: .25rem 0; }

dl.facts { display: grid; grid-template-columns: minmax(10rem, 16rem) 1fr; gap: .35rem 1rem; margin: .5rem 0 1rem; }
dl.facts dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; min-width: 0; }
ul.plain { list-style: none; margin: 0; padding: 0; }
ol.hashes { margin: 0; padding-left: 1.5rem; }

.badge { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .8rem; font-weight: 700; border: 1px solid currentColor; }
.badge-btg { color: var(--btg); background: #f4ecf9; }
.badge-active { color: var(--good); background: #eaf5ec; }
.badge-revoked { color: var(--bad); background: #fbeceb; }
.muted { color: var(--muted); }
.outcome-0 { color: var(--good); }
.outcome-4 { color: var(--bad); }
.outcome-8, .outcome-12 { color: var(--warn); }
.outcome-desc { color: var(--muted); }

.error { color: var(--bad); background: #fbeceb; border: 1px solid #e6b3af; border-radius: 4px; padding: .6rem .8rem; margin: .5rem 0 1rem; }
.note { color: var(--warn); background: #fdf5e6; border: 1px solid #ecd4a4; border-radius: 4px; padding: .6rem .8rem; }
.verdict { font-weight: 700; padding: .6rem .8rem; border-radius: 4px; margin: .75rem 0 .5rem; }
.verdict.ok { color: var(--good); background: #eaf5ec; border: 1px solid #a9d3b2; }
.verdict.failed { color: var(--bad); background: #fbeceb; border: 1px solid #e6b3af; }
ul.checks { margin: 0 0 .5rem; padding-left: 1.25rem; }
.summary { font-weight: 600; }

.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 1rem; margin-bottom: 1rem; }
.card { background: var(--paper); border: 1px solid var(--line); border-left-width: 6px; border-radius: 6px; padding: .25rem 1rem .5rem; }
.card h3 { margin: .5rem 0 0; font-size: .95rem; color: var(--muted); }
.card .big { font-size: 1.5rem; font-weight: 700; margin: .1rem 0; }
.card.good { border-left-color: var(--good); }
.card.bad { border-left-color: var(--bad); }
.card.neutral { border-left-color: var(--accent); }

.chart-figure { margin: 0 0 .5rem; background: var(--paper); border: 1px solid var(--line); border-radius: 6px; padding: 1rem; }
.chart { width: 100%; height: auto; display: block; }
.chart .bar-ok { fill: var(--ok-bar); }
.chart .bar-denied { fill: var(--bad); }
.chart .bar-failed { fill: #b26b00; }
.chart .mark-btg { fill: var(--btg); stroke: var(--paper); stroke-width: 1; }
.chart .axis { stroke: var(--ink); stroke-width: 1; }
.chart .grid-line { stroke: var(--line); stroke-width: 1; stroke-dasharray: 3 3; }
.chart .axis-label { fill: var(--muted); font-size: 12px; }
figcaption { color: var(--muted); margin-top: .5rem; font-size: .9rem; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; padding: 0; margin: .5rem 0; font-size: .9rem; }
.swatch { display: inline-block; width: .9rem; height: .9rem; margin-right: .4rem; vertical-align: -.1rem; border-radius: 2px; }
.sw-ok { background: var(--ok-bar); }
.sw-denied { background: var(--bad); }
.sw-failed { background: #b26b00; }
.sw-btg { background: var(--btg); transform: rotate(45deg) scale(.8); }

/* Announcements for screen readers; every view also shows its own outcome in place. */
.status-bar {
  position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap;
}

@media (max-width: 40rem) {
  dl.facts { grid-template-columns: 1fr; }
  main { padding: 1rem; }
}
@media (prefers-reduced-motion: reduce) {
  * { transition: none !important; animation: none !important; }
}
`;
