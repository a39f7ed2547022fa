// The schedules part of #/backups: last and next run, outcome, duration,
// what each holds, the freshness of each and overall, and "Run now".
import { call, request, seg } from '../api.js';
import { h, fill, table, bytes, age, utc, errorBox } from '../ui.js';
import { writeButton, busy } from './common.js';
import { scheduleFreshness, staleIssuesBySchedule, worse } from './freshness.js';

function lastRunCell(run) {
  if (!run) return h('span.muted', 'never');
  const start = new Date(run.start);
  const secs = (new Date(run.end) - start) / 1000;
  return h('span', h(`span.badge.${run.outcome === 'success' ? 'ok' : 'red'}`, run.outcome), ' ',
    h('span', { title: utc(start) }, age(start)), h('span.muted', ` · ${secs.toFixed(2)} s${run.manual ? ' · manual' : ''}`),
    run.error ? h('div.error', run.error) : null);
}

/**
 * Loads the schedules and the backup issues; returns {freshness, table,
 * schedules}: the overall indicator, the schedules' table and the listing
 * (with each schedule's run history).
 */
export async function schedulesSection(ctx, reload) {
  let schedules;
  let issues = [];
  try {
    schedules = (await call('GET', '/backup/schedules')).schedules;
    issues = (await call('GET', '/issues')).issues;
  } catch (e) {
    return { freshness: errorBox(e.message), table: h('div'), schedules: [] };
  }
  const staleBy = staleIssuesBySchedule(issues);
  let overall = schedules.length ? 'green' : 'grey';
  const reasons = [];
  const rows = schedules.map((s) => {
    const f = scheduleFreshness(s, staleBy[s.name] || []);
    overall = worse(overall, f.level);
    if (f.level === 'red' || f.level === 'amber') reasons.push(`${s.name}: ${f.reason}`);
    const runMsg = h('div');
    const run = writeButton(ctx, 'Run now', async (ev) => {
      await busy(ev.currentTarget, async () => {
        fill(runMsg, h('span.muted', 'running…'));
        const r = await request('POST', `/backup/schedules/${seg(s.name)}/run?wait=true`);
        if (!r.ok) fill(runMsg, errorBox(r.error)); else reload();
      });
    });
    const next = s.next_run ? new Date(s.next_run) : null;
    const last = s.last_success ? new Date(s.last_success) : null;
    return [h('b', s.name),
      s.full ? 'full storage' : s.collections.join(', '),
      s.every ? `every ${s.every}` : `cron ${s.cron}`, s.target,
      lastRunCell(s.last_run),
      h('span', { title: utc(last) }, last ? age(last) : 'never'),
      h('span', { title: utc(next) }, s.running ? 'running now' : age(next)),
      s.failures, `${s.snapshots_held} · ${bytes(s.snapshots_bytes)}`,
      h('span.fresh', { dataset: { level: f.level } }, h(`span.dot.${f.level}`), f.reason),
      h('div', run, runMsg)];
  });
  const label = { green: 'Backups are fresh', amber: 'A backup is late', red: 'A backup is overdue', grey: 'No backup schedule has run' }[overall];
  const freshness = h('div#freshness.card.fresh', { dataset: { level: overall } }, h(`span.dot.${overall}`), label,
    reasons.length ? h('span.muted', ` — ${reasons.join('; ')}`) : null,
    schedules.length ? null : h('span.muted', ' (none configured: backup.schedules, docs/backup.md)'));
  return {
    freshness,
    schedules,
    table: h('div#schedules-table', table(['Schedule', 'Covers', 'When', 'Target', 'Last run', 'Last success', 'Next run',
      'Failures', 'Held', 'Freshness', ''], rows, { numeric: [7] })),
  };
}

