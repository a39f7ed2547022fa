// #/search: nearest neighbours of a stored point or of a pasted vector,
// with an optional filter, the hits shown with their payloads.
import { call, request, seg } from '../api.js';
import { h, fill, table, jsonEditor, errorBox, parseJSON } from '../ui.js';

function vectorNames(info) {
  const v = info.config && info.config.params && info.config.params.vectors;
  if (!v || typeof v.size === 'number') return [''];
  return Object.keys(v);
}

/** Builds the query body, or throws with what is wrong with the input. */
function queryBody({ mode, pointId, vectorText, filterText, limit, using }) {
  const body = { limit, with_payload: true };
  if (mode === 'point') {
    const t = pointId.trim();
    if (!t) throw new Error('Enter a point id (a number or a UUID).');
    body.query = /^\d+$/.test(t) ? Number(t) : t;
  } else {
    const v = parseJSON(vectorText);
    if (v.error) throw new Error(`Invalid JSON in the vector: ${v.error}`);
    if (!Array.isArray(v.value)) throw new Error('The vector is a JSON array of numbers, e.g. [0.1, 0.2, 0.3].');
    body.query = v.value;
  }
  const f = parseJSON(filterText);
  if (f.error) throw new Error(`Invalid JSON in the filter: ${f.error}`);
  if (f.value !== undefined) body.filter = f.value;
  if (using) body.using = using;
  return body;
}

/** The search page; ?collection=NAME preselects one. */
export async function searchPage(ctx) {
  const list = (await call('GET', '/collections')).collections.map((c) => c.name);
  if (!list.length) return h('div', h('h1', 'Search'), h('p.muted', 'No collection yet.'));
  const coll = h('select#search-collection', { 'aria-label': 'Collection' }, list.map((n) => h('option', { value: n }, n)));
  coll.value = list.includes(ctx.query.get('collection')) ? ctx.query.get('collection') : list[0];
  const using = h('select#search-using', { 'aria-label': 'Vector' });
  const loadNames = async () => {
    const info = await call('GET', `/collections/${seg(coll.value)}`).catch(() => null);
    fill(using, (info ? vectorNames(info) : ['']).map((n) => h('option', { value: n }, n || '(default vector)')));
  };
  coll.addEventListener('change', loadNames);
  await loadNames();
  const mode = h('select#search-mode', { 'aria-label': 'Query' },
    h('option', { value: 'point' }, 'similar to point id'), h('option', { value: 'vector' }, 'vector'));
  const pointId = h('input#search-point', { placeholder: 'point id', size: 20, 'aria-label': 'Point id' });
  const vector = jsonEditor({ rows: 3, placeholder: '[0.1, 0.2, 0.3, 0.4]', label: 'Vector' });
  vector.textarea.id = 'search-vector';
  const filter = jsonEditor({ rows: 5, placeholder: '{"must": [{"key": "color", "match": {"value": "red"}}]}', label: 'Filter' });
  filter.textarea.id = 'search-filter';
  const limit = h('input#search-limit', { type: 'number', min: 1, max: 1000, value: 10, 'aria-label': 'Limit' });
  const showMode = () => { pointId.hidden = mode.value !== 'point'; vector.el.hidden = mode.value !== 'vector'; };
  mode.addEventListener('change', showMode);
  showMode();
  const out = h('div#search-hits');
  const run = async (ev) => {
    ev.preventDefault();
    let body;
    try {
      body = queryBody({ mode: mode.value, pointId: pointId.value, vectorText: vector.textarea.value,
        filterText: filter.textarea.value, limit: Number(limit.value) || 10, using: using.value });
    } catch (e) { fill(out, errorBox(e.message)); return; }
    fill(out, h('p.muted', 'Searching…'));
    const r = await request('POST', `/collections/${seg(coll.value)}/points/query`, body);
    if (!r.ok) { fill(out, errorBox(r.error)); return; }
    const hits = r.json.result.points;
    fill(out, h('p.muted', `${hits.length} hit${hits.length === 1 ? '' : 's'} · ${Math.round(r.ms)} ms`),
      table(['Id', 'Score', 'Payload'], hits.map((p) => [h('code', String(p.id)), p.score.toFixed(4),
        h('code', JSON.stringify(p.payload))]), { numeric: [1] }));
  };
  return h('div', h('h1', 'Search'),
    h('form', { onsubmit: run },
      h('div.row', 'Collection', coll, using, mode, pointId, 'Limit', limit, h('button#search-run', { type: 'submit' }, 'Search')),
      vector.el, h('h2', 'Filter (optional)'), filter.el),
    h('h2', 'Hits'), out);
}
