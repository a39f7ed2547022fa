// Small SVG charts over time, one series per collection or schedule, drawn
// with DOM calls (no library): snapshot sizes and backup run durations.
import { h, bytes, utc } from '../ui.js';

const NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#2f6fb3', '#d48a00', '#2e8b57', '#8e44ad', '#c0392b', '#16a085', '#7f8c8d', '#e67e22'];
const FAILED = '#c0392b';

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** A duration in seconds as text: "0.42 s", "3.1 min", "1.5 h". */
export function seconds(v) {
  if (v < 60) return `${v.toFixed(2)} s`;
  if (v < 3600) return `${(v / 60).toFixed(1)} min`;
  return `${(v / 3600).toFixed(1)} h`;
}

/**
 * points: [{series, time: Date, value, failed?, note?}]; label names the
 * chart (its aria-label), format writes a value. A failed point is drawn
 * hollow, ringed in red. Returns the chart with its legend.
 */
export function timeChart(points, { label, format, empty }) {
  if (!points.length) return h('p.muted', empty);
  const W = 800; const H = 220; const L = 70; const R = 16; const T = 12; const B = 30;
  const t0 = Math.min(...points.map((p) => p.time.getTime()));
  let t1 = Math.max(...points.map((p) => p.time.getTime()));
  if (t1 - t0 < 60000) t1 = t0 + 60000; // at least a minute: points made together stay together
  const max = Math.max(...points.map((p) => p.value), 0) || 1;
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v) => H - B - (v / max) * (H - T - B);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label },
    s('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#99a3ad' }),
    s('line', { x1: L, y1: T, x2: L, y2: H - B, stroke: '#99a3ad' }),
    s('text', { x: L - 6, y: T + 10, 'text-anchor': 'end', 'font-size': 11, fill: '#66727f' }, format(max)),
    s('text', { x: L - 6, y: H - B, 'text-anchor': 'end', 'font-size': 11, fill: '#66727f' }, '0'),
    s('text', { x: L, y: H - 8, 'font-size': 11, fill: '#66727f' }, utc(new Date(t0))),
    s('text', { x: W - R, y: H - 8, 'text-anchor': 'end', 'font-size': 11, fill: '#66727f' }, utc(new Date(t1))));
  const series = [...new Set(points.map((p) => p.series))].sort();
  const legend = h('div.legend');
  series.forEach((name, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = points.filter((p) => p.series === name).sort((a, b) => a.time - b.time);
    if (pts.length > 1) {
      svg.append(s('polyline', { fill: 'none', stroke: color, 'stroke-width': 1.5,
        points: pts.map((p) => `${x(p.time.getTime()).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ') }));
    }
    for (const p of pts) {
      const look = p.failed ? { fill: '#fff', stroke: FAILED, 'stroke-width': 2 } : { fill: color };
      svg.append(s('circle', { cx: x(p.time.getTime()).toFixed(1), cy: y(p.value).toFixed(1), r: 3.5, ...look },
        s('title', {}, `${name}: ${format(p.value)} at ${utc(p.time)}${p.note ? ` · ${p.note}` : ''}`)));
    }
    const swatch = h('i');
    swatch.style.background = color;
    legend.append(h('span', swatch, name));
  });
  if (points.some((p) => p.failed)) {
    const ring = h('i.failed');
    ring.style.border = `2px solid ${FAILED}`;
    legend.append(h('span', ring, 'failed run'));
  }
  return h('div.chart', svg, legend);
}

/** points: [{series, time: Date, size}]: snapshot sizes over time. */
export function sizeChart(points) {
  return timeChart(points.map((p) => ({ ...p, value: p.size })),
    { label: 'Snapshot sizes over time', format: bytes, empty: 'No snapshot yet.' });
}

/**
 * schedules: GET /backup/schedules' entries. Charts every run of their
 * history (runs): its duration at its start, one series per schedule.
 */
export function durationChart(schedules) {
  const points = [];
  for (const sc of schedules) {
    for (const r of sc.runs || []) {
      const failed = r.outcome !== 'success';
      points.push({ series: sc.name, time: new Date(r.start), value: r.duration_seconds, failed,
        note: `${r.outcome}${r.manual ? ', manual' : ''}, ${r.snapshots} snapshot${r.snapshots === 1 ? '' : 's'}, ${bytes(r.bytes)}${failed && r.error ? `: ${r.error}` : ''}` });
    }
  }
  return timeChart(points, { label: 'Backup run durations over time', format: seconds, empty: 'No backup run yet.' });
}

/**
 * schedules: GET /backup/schedules' entries. The bytes each run wrote
 * (the sum of its snapshots), as size points of a series per schedule:
 * kept in the run history after retention deleted the snapshots.
 */
export function runSizePoints(schedules) {
  const out = [];
  for (const sc of schedules) {
    for (const r of sc.runs || []) {
      if (r.snapshots > 0) out.push({ series: `${sc.name} (per run)`, time: new Date(r.end), size: r.bytes });
    }
  }
  return out;
}
