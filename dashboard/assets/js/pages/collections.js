// #/collections (every collection with its counts) and #/collections/NAME
// (one collection's config, payload indexes, aliases, disk usage and shards;
// disk sizes come from Cairn's GET /cairn/collections/NAME/disk).
import { call, seg } from '../api.js';
import { h, table, bytes, jsonPre, errorBox } from '../ui.js';

const statusBadge = (s) => h(`span.badge.${s || 'grey'}`, s || 'unknown');

/** The collection's disk usage from Cairn's GET /cairn/collections/NAME/disk (an Error on failure). */
const diskUsage = (name) => call('GET', `/cairn/collections/${seg(name)}/disk`).catch((e) => e);

/** The allocated size with the apparent one beside it (WAL segments are preallocated). */
function diskSize(u) {
  if (!u) return '—';
  if (u instanceof Error) return h('span.muted', { title: u.message }, '—');
  return h('span.disk-size', { title: `${u.total.allocated_bytes} bytes allocated, ${u.total.apparent_bytes} bytes apparent`,
    dataset: { allocated: String(u.total.allocated_bytes), apparent: String(u.total.apparent_bytes) } },
  bytes(u.total.allocated_bytes), h('span.muted', ` (${bytes(u.total.apparent_bytes)} apparent)`));
}

/** One row per kind of file of a disk usage. */
function diskRows(u) {
  const kinds = [['Vectors', 'vectors'], ['HNSW graphs', 'graphs'], ['Payload and indexes', 'payload'],
    ['Segments: ids, versions, deletions', 'other'], ['WAL', 'wal'], ['Collection file, manifests', 'meta'], ['Total', 'total']];
  return kinds.map(([label, k]) => [label, bytes(u[k].allocated_bytes), bytes(u[k].apparent_bytes)]);
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
    const disk = diskUsage(name);
    try { return { name, info: await call('GET', `/collections/${seg(name)}`), disk: await disk }; } catch (e) { await disk; return { name, error: e.message }; }
  }));
}

/** The collections list. */
export async function collectionsPage() {
  const rows = await infos();
  const headers = ['Collection', 'Status', 'Points', 'Segments', 'Indexed vectors', 'Vectors', 'Payload indexes', 'Disk size'];
  const body = rows.map(({ name, info, error, disk }) => {
    const link = h('a', { href: `#/collections/${seg(name)}` }, name);
    if (error) return [link, errorBox(error), '', '', '', '', '', ''];
    return [link, statusBadge(info.status), info.points_count ?? '—', info.segments_count ?? '—',
      info.indexed_vectors_count ?? '—', vectorsSummary(info.config && info.config.params),
      Object.keys(info.payload_schema || {}).length, diskSize(disk)];
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
  const [aliases, snaps, disk] = await Promise.all([
    call('GET', `/collections/${seg(name)}/aliases`).then((r) => r.aliases).catch((e) => e),
    call('GET', `/collections/${seg(name)}/snapshots`).catch((e) => e),
    diskUsage(name),
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
      card('Snapshots', Array.isArray(snaps) ? snaps.length : '—'), card('Disk size', diskSize(disk))),
    h('div.row', h('a', { href: `#/search?collection=${seg(name)}` }, 'Search this collection'), ' · ',
      h('a', { href: '#/backups' }, 'Snapshots and backups')),
    h('h2', 'Payload indexes'), table(['Field', 'Type', 'Points', 'Params'], schema, { numeric: [2] }),
    h('h2', 'Aliases'), aliases instanceof Error ? errorBox(aliases.message)
      : table(['Alias'], aliases.map((a) => [h('code', a.alias_name)])),
    h('h2', 'Disk'), disk instanceof Error ? errorBox(disk.message)
      : h('div#disk-table', table(['Files', 'Allocated', 'Apparent'], diskRows(disk), { numeric: [1, 2] })),
    h('h2', 'Shards'), table(['Shard', 'State', 'Placement', 'Snapshots'], shards, { numeric: [0, 3] }),
    h('h2', 'Config'), jsonPre(info.config));
}
