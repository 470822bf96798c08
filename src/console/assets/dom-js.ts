/**
 * Console asset `dom.js`: building DOM nodes without innerHTML (every value the API returns is
 * inserted as text, so an event's content can never become markup), formatting, announcements.
 *
 * Browser code kept as a string so `dist/` serves it without a copy step; written without template
 * literals (no backquote, no dollar-brace) because it lives inside one.
 */
export const DOM_JS = String.raw`
const SVG_NS = 'http://www.w3.org/2000/svg';

function setProps(el, props) {
  if (!props) return;
  for (const key of Object.keys(props)) {
    const value = props[key];
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'value' && 'value' in el && !(el instanceof SVGElement)) el.value = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

function appendAll(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h('button', { type: 'button', onclick: f }, 'Label'). */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  appendAll(el, children);
  return el;
}

/** An SVG element (attributes only; styling through classes in console.css). */
export function svg(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setProps(el, props);
  appendAll(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Replaces the children of el. */
export function fill(el, ...children) {
  clear(el);
  appendAll(el, children);
  return el;
}

function pad(n, width) {
  return String(n).padStart(width || 2, '0');
}

/** Local time, sortable: 2025-03-01 14:05:09. */
export function formatTime(value) {
  const d = typeof value === 'number' ? new Date(value) : new Date(String(value));
  if (Number.isNaN(d.getTime())) return String(value);
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
}

/** A time element showing local time, with the exact UTC instant as its machine value and tooltip. */
export function timeEl(value) {
  const d = new Date(typeof value === 'number' ? value : String(value));
  const iso = Number.isNaN(d.getTime()) ? String(value) : d.toISOString();
  return h('time', { datetime: iso, title: iso }, formatTime(value));
}

/** The value of an input type=datetime-local as an ISO instant, or undefined when empty. */
export function isoFromLocal(value) {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** A Date as the value of an input type=datetime-local (local time, minutes). */
export function localInputValue(date) {
  return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate()) + 'T' + pad(date.getHours()) + ':' + pad(date.getMinutes());
}

/** A Date as the value of an input type=date (local day). */
export function dateInputValue(date) {
  return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate());
}

export const OUTCOMES = {
  0: 'success',
  4: 'refused or invalid',
  8: 'serious failure',
  12: 'major failure',
};

export function outcomeText(code, event) {
  // A write-ahead attempt has no outcome of its own: the event with the same request id has it.
  if (event && event.outcome === undefined && (event.subtype || []).some((c) => c.code === 'attempt')) return 'attempt';
  return String(code) + ' ' + (OUTCOMES[code] || 'unknown');
}

/** 0xabcdef…1234, full value in the title (for long hashes in tables). */
export function shortHash(hex) {
  const text = String(hex || '');
  if (text.length <= 18) return h('code', null, text);
  return h('code', { title: text }, text.slice(0, 10) + '\u2026' + text.slice(-6));
}

/** A description list from [term, value] pairs (values may be nodes); empty values are left out. */
export function dl(pairs, props) {
  const list = h('dl', props || { class: 'facts' });
  for (const pair of pairs) {
    const value = pair[1];
    if (value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)) continue;
    list.append(h('dt', null, pair[0]), h('dd', pair[2] || null, value));
  }
  return list;
}

/** A data table: columns [{ title, cell(row) }], caption text. */
export function table(caption, columns, rows, props) {
  return h('div', { class: 'table-wrap' },
    h('table', props || null,
      h('caption', null, caption),
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col' }, c.title)))),
      h('tbody', null, rows.map((row) => h('tr', null, columns.map((c, i) => (i === 0 && c.header ? h('th', { scope: 'row' }, c.cell(row)) : h('td', null, c.cell(row)))))))));
}

/** Politely announces a message to screen readers and shows it in the status bar. */
export function announce(message) {
  const region = document.getElementById('status');
  if (!region) return;
  region.textContent = '';
  window.setTimeout(() => { region.textContent = message; }, 30);
}

/** Shows an error inside a view (role=alert), or clears it when message is empty. */
export function showError(container, message) {
  clear(container);
  if (message) container.append(h('p', { class: 'error', role: 'alert' }, message));
}

/** A field: label + control (+ hint), ids wired for accessibility. */
export function field(id, label, control, hint) {
  control.id = id;
  const parts = [h('label', { for: id }, label), control];
  if (hint) {
    const hintId = id + '-hint';
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('span', { class: 'hint', id: hintId }, hint));
  }
  return h('div', { class: 'field' }, parts);
}

/** Patient criteria: "Patient/x" as is, a bare id becomes "Patient/x". */
export function patientRef(value) {
  const text = String(value || '').trim();
  if (!text) return undefined;
  return /^[A-Za-z0-9.-]{1,64}$/.test(text) ? 'Patient/' + text : text;
}

export function formatNumber(n) {
  return Number(n).toLocaleString('en');
}
`;
