// Small DOM helpers: h() builds elements, so that no page assembles HTML
// from strings (names and payloads are shown as text, never as markup).

/** h('tag#id.class', {attr: value, onclick: fn}, ...children) */
export function h(spec, attrs, ...children) {
  const [head, ...classes] = spec.split('.');
  const [tag, id] = head.split('#');
  const el = document.createElement(tag || 'div');
  if (id) el.id = id;
  if (classes.length) el.className = classes.join(' ');
  if (attrs !== undefined && attrs !== null && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of el. */
export function fill(el, ...children) { el.replaceChildren(); append(el, children); return el; }

/** A table from header names and rows of cells. */
export function table(headers, rows, { numeric = [] } = {}) {
  const cls = (i) => (numeric.includes(i) ? 'num' : undefined);
  return h('table', h('thead', h('tr', headers.map((t, i) => h('th', { class: cls(i) }, t)))),
    h('tbody', rows.length ? rows.map((r) => h('tr', r.map((c, i) => h('td', { class: cls(i) }, c))))
      : h('tr', h('td.muted', { colSpan: headers.length }, 'none'))));
}

/** An error box with Qdrant's text. */
export const errorBox = (msg) => h('div.error', { role: 'alert' }, msg);

/** Bytes as B, KiB, MiB, GiB. */
export function bytes(n) {
  if (n === undefined || n === null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = Number(n);
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}

/** A time (ISO string; Qdrant's snapshot times have no zone and are UTC) as Date. */
export function parseTime(s) {
  if (!s) return null;
  const t = /[zZ]|[+-]\d\d:\d\d$/.test(s) ? s : `${s}Z`;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** How long ago (or in how long) d is, e.g. "3 min ago", "in 2 h". */
export function age(d, now = Date.now()) {
  if (!d) return '—';
  const s = Math.round((now - d.getTime()) / 1000);
  const a = Math.abs(s);
  const txt = a < 60 ? `${a} s` : a < 3600 ? `${Math.round(a / 60)} min` : a < 172800 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86400)} d`;
  return s >= 0 ? `${txt} ago` : `in ${txt}`;
}

/** A UTC time as "2026-12-07 14:00:02 UTC". */
export function utc(d) { return d ? `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC` : '—'; }

/** Parses JSON text; returns {value} or {error}. Empty text is {value: undefined}. */
export function parseJSON(text) {
  if (!text.trim()) return { value: undefined };
  try { return { value: JSON.parse(text) }; } catch (e) { return { error: e.message }; }
}

/**
 * A JSON editor: a textarea checked as the user types, its message below.
 * Returns {el, textarea, parse()}.
 */
export function jsonEditor({ value = '', rows = 10, placeholder = '', label = 'JSON' } = {}) {
  const textarea = h('textarea', { rows, placeholder, spellcheck: 'false', 'aria-label': label });
  textarea.value = value;
  const msg = h('div.muted.json-msg');
  const check = () => {
    const r = parseJSON(textarea.value);
    textarea.classList.toggle('invalid', Boolean(r.error));
    msg.className = r.error ? 'error json-msg' : 'muted json-msg';
    msg.textContent = r.error ? `Invalid JSON: ${r.error}` : (textarea.value.trim() ? 'valid JSON' : '');
    return r;
  };
  textarea.addEventListener('input', check);
  check();
  return { el: h('div', textarea, msg), textarea, parse: check };
}

/** Pretty JSON in a <pre>. */
export const jsonPre = (v) => h('pre', JSON.stringify(v, null, 2));
