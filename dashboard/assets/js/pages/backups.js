// #/backups: every snapshot (collection, full, shard) with size, age and
// checksum; create, download, verify, delete, restore into a new
// collection; the backup schedules with their freshness; charts of snapshot
// sizes and of backup run durations over time.
import { call, request, seg, getKey } from '../api.js';
import { h, fill, table, bytes, age, utc, parseTime, errorBox } from '../ui.js';
import { writeButton, busy } from './common.js';
import { sizeChart, durationChart, runSizePoints } from './chart.js';
import { schedulesSection } from './schedules.js';
import { restoreInto } from './restore.js';

/** The route prefix of a snapshot entry's list. */
function base(e) {
  if (e.kind === 'full') return '/snapshots';
  if (e.kind === 'shard') return `/collections/${seg(e.collection)}/shards/${e.shard}/snapshots`;
  return `/collections/${seg(e.collection)}/snapshots`;
}

/** Lists every snapshot: full, then per collection, then per shard. */
async function allSnapshots() {
  const names = (await call('GET', '/collections')).collections.map((c) => c.name);
  const out = [];
  const errors = [];
  const add = (kind, collection, shard, list) => {
    for (const s of list) out.push({ kind, collection, shard, ...s, time: parseTime(s.creation_time) });
  };
  await call('GET', '/snapshots').then((l) => add('full', null, null, l), (e) => errors.push(`full: ${e.message}`));
  for (const c of names) {
    await call('GET', `/collections/${seg(c)}/snapshots`).then((l) => add('collection', c, null, l), (e) => errors.push(`${c}: ${e.message}`));
    const info = await call('GET', `/collections/${seg(c)}`).catch(() => null);
    const shards = (info && info.config && info.config.params && info.config.params.shard_number) || 1;
    for (let id = 0; id < shards; id++) {
      await call('GET', `/collections/${seg(c)}/shards/${id}/snapshots`).then((l) => add('shard', c, id, l), (e) => errors.push(`${c}/${id}: ${e.message}`));
    }
  }
  out.sort((a, b) => (b.time || 0) - (a.time || 0));
  return { names, snapshots: out, errors };
}

async function download(e, b, status) {
  await busy(b, async () => {
    fill(status, h('span.muted', `Downloading ${e.name}…`));
    const r = await request('GET', `${base(e)}/${seg(e.name)}`, undefined, { raw: true });
    if (!r.ok) { fill(status, errorBox(r.error)); return; }
    const url = URL.createObjectURL(await r.res.blob());
    const a = h('a', { href: url, download: e.name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    fill(status, h('div.okmsg', `Downloaded ${e.name}.`));
  });
}

async function verify(e, b, status) {
  await busy(b, async () => {
    fill(status, h('span.muted', `Verifying ${e.name}…`));
    const r = await request('POST', `${base(e)}/${seg(e.name)}/verify`);
    if (!r.ok) { fill(status, errorBox(r.error)); return; }
    const v = r.json.result;
    fill(status, v.ok
      ? h('div.okmsg.verify-result', `Verified ${e.name}: checksum ${v.checksum_checked ? 'matches' : 'not checked'}, ${v.points} points, ${v.files} files, ${v.duration_seconds.toFixed(2)} s.`)
      : h('div.error.verify-result', `Verification of ${e.name} failed: ${(v.failures || []).map((f) => f.message || JSON.stringify(f)).join('; ')}`));
  });
}

function snapshotRows(ctx, list, status, reload) {
  return list.map((e) => {
    const act = (label, fn, cls) => {
      const b = h(`button${cls ? `.${cls}` : ''}`, { type: 'button' }, label);
      b.addEventListener('click', () => fn(e, b, status));
      return b;
    };
    const del = writeButton(ctx, 'Delete', async () => {
      if (!window.confirm(`Delete snapshot ${e.name}?`)) return;
      const r = await request('DELETE', `${base(e)}/${seg(e.name)}?wait=true`);
      if (!r.ok) fill(status, errorBox(r.error)); else { fill(status, h('div.okmsg', `Deleted ${e.name}.`)); reload(); }
    }, 'danger');
    const restore = e.kind === 'collection'
      ? writeButton(ctx, 'Restore…', () => restoreInto(e, `${base(e)}/${seg(e.name)}`, status)) : null;
    return [e.kind, e.collection ?? '—', e.shard ?? '—', h('code.snap-name', e.name), bytes(e.size),
      h('span', { title: utc(e.time) }, age(e.time)),
      h('code', { title: e.checksum || '' }, e.checksum ? `${e.checksum.slice(0, 12)}…` : '—'),
      h('span.actions', act('Download', download), act('Verify', verify), restore, del)];
  });
}

function createControls(ctx, names, status, reload) {
  const coll = h('select#snap-collection', { 'aria-label': 'Collection' }, names.map((n) => h('option', { value: n }, n)));
  const shard = h('input#snap-shard', { type: 'number', min: 0, value: 0, size: 3, 'aria-label': 'Shard' });
  const make = (label, path) => writeButton(ctx, label, async (ev) => {
    const b = ev.currentTarget;
    await busy(b, async () => {
      fill(status, h('span.muted', 'Creating snapshot…'));
      const r = await request('POST', `${path()}?wait=true`);
      if (!r.ok) { fill(status, errorBox(r.error)); return; }
      fill(status, h('div.okmsg', `Created ${r.json.result.name} (${bytes(r.json.result.size)}).`));
      reload();
    });
  });
  const noColl = !names.length;
  const bc = make('Create collection snapshot', () => `/collections/${seg(coll.value)}/snapshots`);
  bc.id = 'snap-create';
  const bs = make('Create shard snapshot', () => `/collections/${seg(coll.value)}/shards/${Number(shard.value) || 0}/snapshots`);
  if (noColl) { bc.disabled = true; bs.disabled = true; }
  const bf = make('Create full snapshot', () => '/snapshots');
  return h('div.row', coll, bc, 'shard', shard, bs, bf);
}

/** The backups page. */
export async function backupsPage(ctx) {
  const root = h('div');
  const status = h('div#backup-status', { 'aria-live': 'polite' });
  const reload = async () => {
    const [{ names, snapshots, errors }, sched] = await Promise.all([allSnapshots(), schedulesSection(ctx, () => reload())]);
    if (!ctx.isCurrent()) return;
    const points = snapshots.filter((e) => e.time && e.kind !== 'shard')
      .map((e) => ({ series: e.kind === 'full' ? 'full' : e.collection, time: e.time, size: e.size }))
      .concat(runSizePoints(sched.schedules));
    fill(root,
      h('h1', 'Backups'),
      sched.freshness,
      h('h2', 'Schedules'), sched.table,
      h('h2', `Snapshots (${snapshots.length})`),
      createControls(ctx, names, status, reload), status,
      errors.map((m) => errorBox(m)),
      h('div#snapshots-table', table(['Kind', 'Collection', 'Shard', 'Name', 'Size', 'Age', 'Checksum', ''],
        snapshotRows(ctx, snapshots, status, reload), { numeric: [4] })),
      h('h2', 'Snapshot sizes over time'), h('div#size-chart', sizeChart(points)),
      h('h2', 'Backup run durations over time'), h('div#duration-chart', durationChart(sched.schedules)),
      h('p.muted', getKey() ? 'Requests carry the API key entered above.' : ''));
  };
  await reload();
  return root;
}
