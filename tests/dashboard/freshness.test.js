// The freshness rules of the backups page (dashboard/assets/js/pages/freshness.js),
// a module without DOM, run in node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goDuration, scheduleFreshness, staleIssuesBySchedule, worse } from '../../dashboard/assets/js/pages/freshness.js';

const now = Date.parse('2026-12-07T12:00:00Z');
const sched = (o) => ({ name: 'h', every: '1h', stale: [], last_run: { outcome: 'success' }, failures: 0, ...o });

test('goDuration reads Go durations', () => {
  assert.equal(goDuration('1h'), 3600);
  assert.equal(goDuration('1h30m'), 5400);
  assert.equal(goDuration('90s'), 90);
  assert.equal(goDuration('1.5h'), 5400);
  assert.ok(Number.isNaN(goDuration('1 hour')));
  assert.ok(Number.isNaN(goDuration('')));
});

test('levels: green, amber when late or failing, red when stale, grey before a run', () => {
  assert.equal(scheduleFreshness(sched({ last_success: '2026-12-07T11:30:00Z' }), [], now).level, 'green');
  assert.equal(scheduleFreshness(sched({ last_success: '2026-12-07T10:30:00Z' }), [], now).level, 'amber');
  assert.equal(scheduleFreshness(sched({ last_success: '2026-12-07T11:30:00Z', last_run: { outcome: 'failed' }, failures: 2 }), [], now).level, 'amber');
  assert.equal(scheduleFreshness(sched({ last_success: '2026-12-07T11:30:00Z', stale: ['a'] }), [], now).level, 'red');
  assert.equal(scheduleFreshness(sched({ last_success: null, last_run: null }), [], now).level, 'grey');
  const cron = sched({ every: undefined, cron: '0 0 1 1 *', last_success: '2026-01-01T00:00:00Z' });
  assert.equal(scheduleFreshness(cron, [], now).level, 'green', 'a cron schedule is judged by the server\'s stale list');
  assert.equal(scheduleFreshness(cron, [{ collection: 'a' }], now).level, 'red', 'a backup_stale issue makes it red');
});

test('backup_stale issues grouped by schedule, worst level wins', () => {
  const by = staleIssuesBySchedule([
    { id: 'backup_stale/hourly/a', related_collection: 'a' },
    { id: 'backup_stale/hourly/b', related_collection: 'b' },
    { id: 'backup_stale/full/*', related_collection: null },
    { id: 'collection_failed_to_open/x' },
  ]);
  assert.deepEqual(Object.keys(by).sort(), ['full', 'hourly']);
  assert.deepEqual(by.hourly.map((i) => i.collection), ['a', 'b']);
  assert.equal(worse('green', 'red'), 'red');
  assert.equal(worse('amber', 'green'), 'amber');
});
