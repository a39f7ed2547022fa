// A small SVG chart of snapshot sizes over time, one series per collection
// (and one for full snapshots), drawn with DOM calls (no library).
import { h, bytes, utc } from '../ui.js';

const NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#2f6fb3', '#d48a00', '#2e8b57', '#8e44ad', '#c0392b', '#16a085', '#7f8c8d', '#e67e22'];

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** points: [{series, time: Date, size}]. Returns the chart with its legend. */
export function sizeChart(points) {
  if (!points.length) return h('p.muted', 'No snapshot yet.');
  const W = 800; const H = 220; const L = 70; const R = 16; const T = 12; const B = 30;
  const t0 = Math.min(...points.map((p) => p.time.getTime()));
  let t1 = Math.max(...points.map((p) => p.time.getTime()));
  if (t1 === t0) t1 = t0 + 60000;
  const maxSize = Math.max(...points.map((p) => p.size), 1);
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v) => H - B - (v / maxSize) * (H - T - B);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Snapshot sizes over time' },
    s('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#99a3ad' }),
    s('line', { x1: L, y1: T, x2: L, y2: H - B, stroke: '#99a3ad' }),
    s('text', { x: L - 6, y: T + 10, 'text-anchor': 'end', 'font-size': 11, fill: '#66727f' }, bytes(maxSize)),
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
        points: pts.map((p) => `${x(p.time.getTime()).toFixed(1)},${y(p.size).toFixed(1)}`).join(' ') }));
    }
    for (const p of pts) {
      svg.append(s('circle', { cx: x(p.time.getTime()).toFixed(1), cy: y(p.size).toFixed(1), r: 3.5, fill: color },
        s('title', {}, `${name}: ${bytes(p.size)} at ${utc(p.time)}`)));
    }
    const swatch = h('i');
    swatch.style.background = color;
    legend.append(h('span', swatch, name));
  });
  return h('div.chart', svg, legend);
}
