// #/collections (every collection with its counts) and #/collections/NAME
// (one collection's config, payload indexes, aliases and shards).
import { call, seg } from '../api.js';
import { h, table, bytes, jsonPre, errorBox } from '../ui.js';

const statusBadge = (s) => h(`span.badge.${s || 'grey'}`, s || 'unknown');

/** The disk size the info reports, if it reports one (Cairn's info has none yet). */
function diskSize(info) {
  for (const k of ['disk_data_size', 'disk_size_bytes', 'disk_size']) {
    if (typeof info[k] === 'number') return info[k];
  }
  return undefined;
}

function vectorsSummary(params) {
  const v = params && params.vectors;
  if (!v) return '—';
  if (typeof v.size === 'number') return `${v.size} · ${v.distance}`;
  return Object.entries(v).map(([n, c]) => `${n}: ${c.size} · ${c.distance}`).join(', ');
}

/** Loads the info of every collection (an error per collection is shown in its row). */
async function infos() {
  const list = await call('GET', '/collections');
  return Promise.all(list.collections.map(async ({ name }) => {
    try { return { name, info: await call('GET', `/collections/${seg(name)}`) }; } catch (e) { return { name, error: e.message }; }
  }));
}

/** The collections list. */
export async function collectionsPage() {
  const rows = await infos();
  const withDisk = rows.some((r) => r.info && diskSize(r.info) !== undefined);
  const headers = ['Collection', 'Status', 'Points', 'Segments', 'Indexed vectors', 'Vectors', 'Payload indexes'];
  if (withDisk) headers.push('Disk size');
  const body = rows.map(({ name, info, error }) => {
    const link = h('a', { href: `#/collections/${seg(name)}` }, name);
    if (error) return [link, errorBox(error), '', '', '', '', '', ...(withDisk ? [''] : [])];
    const cells = [link, statusBadge(info.status), info.points_count ?? '—', info.segments_count ?? '—',
      info.indexed_vectors_count ?? '—', vectorsSummary(info.config && info.config.params),
      Object.keys(info.payload_schema || {}).length];
    if (withDisk) cells.push(bytes(diskSize(info)));
    return cells;
  });
  return h('div', h('h1', 'Collections'),
    h('p.muted', `${rows.length} collection${rows.length === 1 ? '' : 's'}`),
    h('div#collections-table', table(headers, body, { numeric: [2, 3, 4, 6, 7] })));
}

async function shardRows(name, n) {
  const rows = [];
  for (let id = 0; id < n; id++) {
    let snaps;
    try { snaps = (await call('GET', `/collections/${seg(name)}/shards/${id}/snapshots`)).length; } catch (e) { snaps = e.message; }
    rows.push([id, 'Active', 'local', snaps]);
  }
  return rows;
}

/** One collection. */
export async function collectionPage(ctx, name) {
  const info = await call('GET', `/collections/${seg(name)}`);
  const [aliases, snaps] = await Promise.all([
    call('GET', `/collections/${seg(name)}/aliases`).then((r) => r.aliases).catch((e) => e),
    call('GET', `/collections/${seg(name)}/snapshots`).catch((e) => e),
  ]);
  const params = (info.config && info.config.params) || {};
  const shards = await shardRows(name, params.shard_number || 1);
  const schema = Object.entries(info.payload_schema || {}).map(([field, s]) =>
    [h('code', field), s.data_type, s.points ?? '—', s.params ? JSON.stringify(s.params) : '']);
  const warnings = (info.warnings || []).map((w) => h('div.note', w.message || JSON.stringify(w)));
  const card = (label, value) => h('div.card', h('span.muted', label), h('b', value));
  return h('div',
    h('h1', 'Collection ', h('code', name), ' ', statusBadge(info.status)),
    warnings,
    h('div.cards',
      card('Points', info.points_count ?? '—'), card('Segments', info.segments_count ?? '—'),
      card('Indexed vectors', info.indexed_vectors_count ?? '—'), card('Optimizer', JSON.stringify(info.optimizer_status)),
      card('Snapshots', Array.isArray(snaps) ? snaps.length : '—')),
    h('div.row', h('a', { href: `#/search?collection=${seg(name)}` }, 'Search this collection'), ' · ',
      h('a', { href: '#/backups' }, 'Snapshots and backups')),
    h('h2', 'Payload indexes'), table(['Field', 'Type', 'Points', 'Params'], schema, { numeric: [2] }),
    h('h2', 'Aliases'), aliases instanceof Error ? errorBox(aliases.message)
      : table(['Alias'], aliases.map((a) => [h('code', a.alias_name)])),
    h('h2', 'Shards'), table(['Shard', 'State', 'Placement', 'Snapshots'], shards, { numeric: [0, 3] }),
    h('h2', 'Config'), jsonPre(info.config));
}
