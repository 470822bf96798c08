/**
 * Console asset `activity.js`: access volume over time (`POST /console/api/activity`) as an inline
 * SVG bar chart (no chart library): requests per bucket, refusals stacked in a second colour,
 * failures in a third, break-the-glass marked with a diamond above its bar. The chart carries a
 * text summary (its SVG title and desc) and the same numbers as a data table.
 */
export const ACTIVITY_JS = String.raw`
import { api } from './api.js';
import { announce, field, fill, formatNumber, formatTime, h, isoFromLocal, localInputValue, showError, svg, table, timeEl } from './dom.js';

const RANGES = [
  { value: '15m', label: 'Last 15 minutes', ms: 15 * 60000, buckets: 15 },
  { value: '1h', label: 'Last hour', ms: 3600000, buckets: 30 },
  { value: '24h', label: 'Last 24 hours', ms: 24 * 3600000, buckets: 48 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 24 * 3600000, buckets: 56 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 24 * 3600000, buckets: 60 },
  { value: 'custom', label: 'Custom range' },
];

const W = 760;
const H = 280;
const M = { top: 24, right: 16, bottom: 40, left: 52 };

function describe(a) {
  const sum = (k) => a.buckets.reduce((n, b) => n + b[k], 0);
  const total = sum('total');
  if (total === 0) return 'No requests between ' + formatTime(a.from) + ' and ' + formatTime(a.to) + '.';
  const busiest = a.buckets.reduce((m, b) => (b.total > m.total ? b : m), a.buckets[0]);
  return formatNumber(total) + ' requests between ' + formatTime(a.from) + ' and ' + formatTime(a.to) + ': '
    + formatNumber(sum('denied')) + ' refused, ' + formatNumber(sum('failed')) + ' failed, '
    + formatNumber(sum('breakGlass')) + ' break-the-glass. Busiest interval starts ' + formatTime(busiest.start)
    + ' with ' + formatNumber(busiest.total) + ' requests.' + (a.truncated ? ' Only the first ' + formatNumber(a.scanned) + ' events were counted.' : '');
}

/** 90000 -> "1.5-minute", 10800000 -> "3-hour". */
function duration(ms) {
  const units = [[86400000, 'day'], [3600000, 'hour'], [60000, 'minute'], [1000, 'second']];
  for (const u of units) {
    if (ms >= u[0]) return String(Math.round((ms / u[0]) * 10) / 10) + '-' + u[1];
  }
  return ms + '-millisecond';
}

function chart(a) {
  const n = a.buckets.length;
  const max = Math.max(1, ...a.buckets.map((b) => b.total));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const step = plotW / n;
  const barW = Math.max(1, step * 0.8);
  const y = (v) => M.top + plotH - (v / max) * plotH;
  const text = describe(a);
  const parts = [svg('title', { id: 'activity-chart-title' }, 'Requests per ' + duration(a.bucketMs) + ' interval'), svg('desc', { id: 'activity-chart-desc' }, text)];
  for (const tick of [0, Math.round(max / 2), max]) {
    parts.push(svg('line', { class: 'grid-line', x1: M.left, x2: W - M.right, y1: y(tick), y2: y(tick) }));
    parts.push(svg('text', { class: 'axis-label', x: M.left - 8, y: y(tick) + 4, 'text-anchor': 'end' }, formatNumber(tick)));
  }
  a.buckets.forEach((b, i) => {
    const x = M.left + i * step + (step - barW) / 2;
    const ok = b.total - b.denied - b.failed;
    let top = M.top + plotH;
    const segment = (value, cls) => {
      if (value <= 0) return;
      const height = (value / max) * plotH;
      top -= height;
      parts.push(svg('rect', { class: cls, x, y: top, width: barW, height }, svg('title', null, formatTime(b.start) + ': ' + value + ' ' + cls.replace('bar-', ''))));
    };
    segment(ok, 'bar-ok');
    segment(b.failed, 'bar-failed');
    segment(b.denied, 'bar-denied');
    if (b.breakGlass > 0) {
      const cx = x + barW / 2;
      const cy = top - 9;
      parts.push(svg('path', { class: 'mark-btg', d: 'M' + cx + ' ' + (cy - 6) + ' L' + (cx + 6) + ' ' + cy + ' L' + cx + ' ' + (cy + 6) + ' L' + (cx - 6) + ' ' + cy + ' Z' },
        svg('title', null, formatTime(b.start) + ': ' + b.breakGlass + ' break-the-glass')));
    }
  });
  parts.push(svg('line', { class: 'axis', x1: M.left, x2: W - M.right, y1: M.top + plotH, y2: M.top + plotH }));
  const labelAt = (i, anchor) => {
    const b = a.buckets[i];
    parts.push(svg('text', { class: 'axis-label', x: M.left + i * step + (anchor === 'end' ? step : 0), y: H - M.bottom + 18, 'text-anchor': anchor }, formatTime(b.start).slice(5, 16)));
  };
  labelAt(0, 'start');
  if (n > 2) labelAt(Math.floor(n / 2), 'middle');
  if (n > 1) labelAt(n - 1, 'end');
  return svg('svg', { id: 'activity-chart', class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-labelledby': 'activity-chart-title activity-chart-desc', focusable: 'false' }, parts);
}

function legend() {
  const item = (cls, label) => h('li', null, h('span', { class: 'swatch ' + cls, 'aria-hidden': 'true' }), label);
  return h('ul', { class: 'legend', 'aria-label': 'Legend' },
    item('sw-ok', 'served'), item('sw-failed', 'failed (outcome 8/12)'), item('sw-denied', 'refused (401/403)'), item('sw-btg', 'break-the-glass (diamond)'));
}

export function createActivityView(section) {
  const range = h('select', null, RANGES.map((r) => h('option', { value: r.value, selected: r.value === '1h' }, r.label)));
  const from = h('input', { type: 'datetime-local' });
  const to = h('input', { type: 'datetime-local' });
  const buckets = h('input', { type: 'number', min: '1', max: '240', step: '1', value: '30', inputmode: 'numeric' });
  const fromField = field('activity-from', 'From', from);
  const toField = field('activity-to', 'To', to);
  const errors = h('div', { class: 'errors' });
  const body = h('div', { id: 'activity-body' });
  const form = h('form', { class: 'criteria', id: 'activity-form', novalidate: true },
    h('div', { class: 'grid' },
      field('activity-range', 'Period', range),
      fromField, toField,
      field('activity-buckets', 'Intervals', buckets, '1 to 240 bars')),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Show chart')));
  section.append(form, errors, body);

  function adapt() {
    const custom = range.value === 'custom';
    fromField.hidden = !custom;
    toField.hidden = !custom;
    const preset = RANGES.find((r) => r.value === range.value);
    if (preset && preset.buckets) buckets.value = String(preset.buckets);
    if (custom && !from.value) {
      const now = new Date();
      to.value = localInputValue(new Date(now.getTime() + 60000));
      from.value = localInputValue(new Date(now.getTime() - 3600000));
    }
  }
  range.addEventListener('change', adapt);
  adapt();

  async function load() {
    showError(errors, '');
    const preset = RANGES.find((r) => r.value === range.value);
    let f;
    let t;
    if (preset && preset.ms) {
      const now = Date.now();
      t = new Date(now + 1000).toISOString();
      f = new Date(now - preset.ms).toISOString();
    } else {
      f = isoFromLocal(from.value);
      t = isoFromLocal(to.value);
      if (!f || !t) {
        showError(errors, 'Give both ends of the custom range.');
        return;
      }
    }
    const n = Math.min(240, Math.max(1, Math.round(Number(buckets.value) || 30)));
    body.setAttribute('aria-busy', 'true');
    try {
      const a = await api('POST', '/console/api/activity', { from: f, to: t, buckets: n });
      fill(body,
        h('figure', { class: 'chart-figure' },
          chart(a),
          h('figcaption', { id: 'activity-summary' }, describe(a))),
        legend(),
        h('details', null,
          h('summary', null, 'The same numbers as a table'),
          table('Requests per interval', [
            { title: 'Interval start', header: true, cell: (b) => timeEl(b.start) },
            { title: 'Requests', cell: (b) => formatNumber(b.total) },
            { title: 'Refused', cell: (b) => formatNumber(b.denied) },
            { title: 'Failed', cell: (b) => formatNumber(b.failed) },
            { title: 'Break-the-glass', cell: (b) => formatNumber(b.breakGlass) },
          ], a.buckets, { id: 'activity-table' })));
      announce(describe(a));
    } catch (error) {
      showError(errors, error.message);
    } finally {
      body.removeAttribute('aria-busy');
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });

  return { title: 'Activity', show: load };
}
`;
