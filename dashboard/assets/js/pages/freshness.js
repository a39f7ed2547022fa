// Backup freshness: green while a schedule's last success is within its
// interval, amber past one interval (or after a failed attempt), red when
// the server flags it stale (past twice the interval: GET /backup/schedules'
// "stale", GET /issues' backup_stale issues).

/** Parses a Go duration ("1h30m", "90s", "24h") to seconds; NaN when it is not one. */
export function goDuration(s) {
  if (!s) return NaN;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
  const unit = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, 'µs': 1e-6, ns: 1e-9 };
  let total = 0;
  let used = 0;
  for (const m of s.matchAll(re)) { total += Number(m[1]) * unit[m[2]]; used += m[0].length; }
  return used === s.length ? total : NaN;
}

const rank = { grey: 0, green: 1, amber: 2, red: 3 };

/** The worse of two levels. */
export const worse = (a, b) => (rank[b] > rank[a] ? b : a);

/**
 * The freshness of one schedule: {level, reason}. staleIssues are the
 * backup_stale issues naming it.
 */
export function scheduleFreshness(s, staleIssues = [], now = Date.now()) {
  if ((s.stale && s.stale.length) || staleIssues.length) {
    const what = (s.stale && s.stale.length ? s.stale : staleIssues.map((i) => i.collection)).map((c) => (c === '*' ? 'full storage' : c));
    return { level: 'red', reason: `overdue: no good backup for twice the interval (${what.join(', ')})` };
  }
  const last = s.last_success ? new Date(s.last_success).getTime() : null;
  const interval = goDuration(s.every);
  if (last !== null && Number.isFinite(interval) && now - last > interval * 1000) {
    return { level: 'amber', reason: 'late: the last success is older than the interval' };
  }
  if (s.last_run && s.last_run.outcome !== 'success') {
    return { level: 'amber', reason: `last run ${s.last_run.outcome}${s.failures ? `, ${s.failures} failed attempt(s)` : ''}` };
  }
  if (last === null) return { level: 'grey', reason: s.running ? 'first run in progress' : 'no run yet' };
  return { level: 'green', reason: 'fresh' };
}

/** The backup_stale issues by schedule name ("backup_stale/{schedule}/{collection}"). */
export function staleIssuesBySchedule(issues) {
  const out = {};
  for (const i of issues || []) {
    const id = i.id || '';
    if (!id.startsWith('backup_stale/')) continue;
    const [, schedule, ...rest] = id.split('/');
    (out[schedule] = out[schedule] || []).push({ collection: rest.join('/') || i.related_collection || '*', issue: i });
  }
  return out;
}
