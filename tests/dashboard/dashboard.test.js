// The dashboard end to end: headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) against a real `bin/cairn serve` with an API
// key, a read-only key and a backup schedule whose state file says its
// last success was long ago. Screenshots of each page go to
// tests/dashboard/screenshots/ (ignored by git) and are checked non-empty.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startCairn, writeBackupState, api } from './cairn.js';

const KEY = 'dash-secret-key';
const RO_KEY = 'dash-read-only-key';
const shots = process.env.DASHBOARD_SCREENSHOTS || join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
const year = new Date().getUTCFullYear();

let srv;
let browser;
let page;

// A yearly schedule of "demo" that served this year's 1 January but whose
// last good snapshot is from two years before: overdue (stale) at once,
// and its next run is next January, so nothing runs during the test.
function staleState({ snapshots }) {
  const longAgo = `${year - 2}-01-01T00:00:05Z`;
  writeBackupState(snapshots, {
    schedules: {
      yearly: {
        since: `${year - 3}-01-01T00:00:00Z`,
        last_slot: `${year}-01-01T00:00:00Z`,
        last_run: { start: `${year}-01-01T00:00:01Z`, end: `${year}-01-01T00:00:02Z`, outcome: 'failed', error: 'disk unplugged', manual: false, attempt: 5 },
        last_success: longAgo,
        series: { demo: longAgo },
        snapshots: [],
        failures: 5,
      },
    },
  });
}

before(async () => {
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  srv = await startCairn({
    prepare: staleState,
    env: {
      CAIRN__SERVICE__API_KEY: KEY,
      CAIRN__SERVICE__READ_ONLY_API_KEY: RO_KEY,
      CAIRN__BACKUP__SCHEDULES: '[{name: yearly, collections: ["demo"], cron: "0 0 1 1 *", keep: {last: 3}}]',
    },
  });
  await api(srv.url, KEY, 'PUT', '/collections/demo', { vectors: { size: 4, distance: 'Cosine' } });
  const colors = ['red', 'blue', 'green', 'red', 'blue'];
  await api(srv.url, KEY, 'PUT', '/collections/demo/points?wait=true', {
    points: colors.map((color, i) => ({ id: i + 1, vector: [1, i, i * i % 3, 0.5], payload: { color, n: i + 1 } })),
  });
  await api(srv.url, KEY, 'PUT', '/collections/demo/index?wait=true', { field_name: 'color', field_schema: 'keyword' });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(15000);
  page.on('pageerror', (err) => { throw err; });
});

after(async () => {
  if (browser) await browser.close();
  if (srv) {
    const { code } = await srv.stop();
    assert.equal(code, 0, 'cairn exits 0 on SIGTERM');
  }
});

async function login(key) {
  await page.fill('#key-input', key);
  await page.click('#key-form button[type=submit]');
  await page.locator('#page:not(.loading)').waitFor(); // the page rendered again with the key
}

/** Saves a screenshot of the page, once rendered, and checks it has pixels and text. */
async function shot(name) {
  await page.locator('#page:not(.loading)').waitFor();
  const file = join(shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const png = readFileSync(file);
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', `${file} is a PNG`);
  assert.ok(png.length > 10000, `${file} has content (${png.length} bytes)`);
  const text = await page.evaluate(() => document.body.innerText);
  assert.ok(text.trim().length > 100, `the page ${name} shows text`);
}

test('a wrong key shows Qdrant\'s error text', async () => {
  await page.goto(`${srv.url}/dashboard`);
  assert.ok(page.url().endsWith('/dashboard/#/collections'), page.url());
  await login('not-the-key');
  await page.locator('#banner .error', { hasText: 'Invalid API key or JWT' }).waitFor();
  await page.locator('#page .error', { hasText: 'Invalid API key or JWT' }).waitFor();
  await shot('wrong-key');
});

test('an unknown collection or page shows the error, not a blank page', async () => {
  await login(KEY);
  await page.goto(`${srv.url}/dashboard/#/collections/no%20such%zz`);
  await page.locator('#page .error', { hasText: "Collection `no%20such%zz` doesn't exist!" }).or(page.locator('#page .error', { hasText: "doesn't exist" })).first().waitFor();
  await page.goto(`${srv.url}/dashboard/#/nowhere`);
  await page.locator('#page .error', { hasText: 'No page "nowhere"' }).waitFor();
  await page.goto(`${srv.url}/dashboard/#/collections`);
});

test('log in and list the collections', async () => {
  await login(KEY);
  // Read the row in one go inside the page: a render may replace the table meanwhile.
  const cells = await (await page.waitForFunction(() => {
    const tr = [...document.querySelectorAll('#collections-table tbody tr')].find((r) => r.cells[0] && r.cells[0].innerText === 'demo');
    return tr && [...tr.cells].map((c) => c.innerText);
  })).jsonValue();
  assert.equal(cells[0], 'demo');
  assert.equal(cells[1], 'green');
  assert.equal(cells[2], '5', 'points');
  // The disk size from GET /cairn/collections/demo/disk: allocated, then apparent.
  assert.match(cells[7], /^[\d.]+ (B|KiB|MiB|GiB) \([\d.]+ (B|KiB|MiB|GiB) apparent\)$/, 'disk size');
  const disk = await page.locator('#collections-table tbody tr', { hasText: 'demo' }).locator('.disk-size').first();
  assert.ok(Number(await disk.getAttribute('data-allocated')) > 0, 'allocated disk size is non-zero');
  assert.ok(Number(await disk.getAttribute('data-apparent')) > 0, 'apparent disk size is non-zero');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('cairn.apiKey')), KEY);
  assert.match(await page.locator('#key-state').innerText(), /full access/);
  await shot('collections');
});

test('one collection: config, payload indexes, shards', async () => {
  await page.click('#collections-table a:text("demo")');
  await page.locator('h2:text("Payload indexes") + table td', { hasText: 'color' }).waitFor();
  const text = await page.locator('#page').innerText();
  assert.match(text, /keyword/);
  // Segments and indexed vectors may be 0 or more (the head seals in the background): never blank.
  assert.match(text, /Points\s+5\s+Segments\s+\d+\s+Indexed vectors\s+\d+\s+Optimizer/, 'counts, zero included, are shown');
  assert.match(text, /"distance": "Cosine"/);
  assert.match(text, /Shards/);
  assert.match(text, /Disk size\s+[\d.]+ (B|KiB|MiB|GiB) \([\d.]+ (B|KiB|MiB|GiB) apparent\)/, 'the disk size card');
  const total = await page.locator('#disk-table tr', { hasText: 'Total' }).innerText();
  assert.match(total, /Total\s+[1-9][\d.]* (B|KiB|MiB|GiB)\s+[1-9][\d.]* (B|KiB|MiB|GiB)/, 'non-zero totals by kind');
  assert.match(text, /Backup schedule `yearly`.*twice its interval/, 'the stale schedule warns in the collection info');
  await shot('collection');
});

test('search by point id with a filter shows hits with payloads', async () => {
  await page.goto(`${srv.url}/dashboard/#/search?collection=demo`);
  await page.fill('#search-point', '1');
  await page.fill('#search-filter', '{"must": [{"key": "color", "match": {"value": "red"}}]}');
  await page.click('#search-run');
  const rows = page.locator('#search-hits tbody tr');
  await rows.first().waitFor();
  const texts = await rows.allInnerTexts();
  // The point queried is not among its own hits (as in Qdrant): point 4 is the other red one.
  assert.equal(texts.length, 1, texts.join('\n'));
  assert.match(texts[0], /^4\s.*"color":"red"/);
  await shot('search');
  // A pasted vector works too.
  await page.selectOption('#search-mode', 'vector');
  await page.fill('#search-vector', '[1, 4, 1, 0.5]');
  await page.fill('#search-filter', '');
  await page.click('#search-run');
  await page.locator('#search-hits', { hasText: '5 hits' }).waitFor();
});

test('invalid JSON in the console shows the error', async () => {
  await page.goto(`${srv.url}/dashboard/#/console`);
  await page.selectOption('#console-method', 'POST');
  await page.fill('#console-path', '/collections/demo/points/search');
  await page.fill('#console-body', '{"vector": [1, 0, 0, 0], "limit": }');
  await page.locator('.json-msg.error', { hasText: 'Invalid JSON' }).waitFor();
  await page.click('#console-send');
  await page.locator('#console-answer .error', { hasText: 'Format error in JSON body' }).waitFor();
  assert.match(await page.locator('#console-answer .badge').innerText(), /400/);
  await shot('console-error');
  await page.fill('#console-body', '{"vector": [1, 0, 0, 0], "limit": 2}');
  await page.click('#console-send');
  await page.locator('#console-answer pre', { hasText: '"status": "ok"' }).waitFor();
  await shot('console');
});

test('backups: overdue schedule flagged, create, verify and restore a snapshot', async () => {
  await page.goto(`${srv.url}/dashboard/#/backups`);
  const fresh = page.locator('#freshness');
  await fresh.waitFor();
  assert.equal(await fresh.getAttribute('data-level'), 'red');
  assert.match(await fresh.innerText(), /overdue/);
  const sched = page.locator('#schedules-table tr', { hasText: 'yearly' });
  assert.equal(await sched.locator('.fresh').getAttribute('data-level'), 'red');
  assert.match(await sched.innerText(), /disk unplugged/);
  // The state file is version 1 (no run history): no run to chart yet.
  await page.locator('#duration-chart', { hasText: 'No backup run yet.' }).waitFor();

  await page.selectOption('#snap-collection', 'demo');
  await page.click('#snap-create');
  await page.locator('#backup-status .okmsg', { hasText: 'Created demo-' }).waitFor();
  const created = (await page.locator('#backup-status .okmsg').innerText()).match(/Created (\S+)/)[1];
  const row = page.locator('#snapshots-table tr', { hasText: created });
  await row.waitFor();
  assert.match(await row.innerText(), /collection\s+demo/);

  await row.locator('button:text("Verify")').click();
  await page.locator('#backup-status .verify-result', { hasText: `Verified ${created}` }).waitFor();

  const [dl] = await Promise.all([page.waitForEvent('download'), row.locator('button:text("Download")').click()]);
  assert.equal(dl.suggestedFilename(), created);
  const archive = readFileSync(await dl.path());
  const listed = await api(srv.url, KEY, 'GET', '/collections/demo/snapshots');
  assert.equal(archive.length, listed.result.find((e) => e.name === created).size, 'the whole archive is downloaded');

  page.once('dialog', (d) => d.accept('demo_copy'));
  await page.locator('#snapshots-table tr', { hasText: created }).locator('button:text("Restore…")').click();
  await page.locator('#backup-status .restore-text', { hasText: 'Restored demo_copy: 5 points' }).waitFor();
  const info = await api(srv.url, KEY, 'GET', '/collections/demo_copy');
  assert.equal(info.result.points_count, 5);
  await page.locator('#page svg[aria-label="Snapshot sizes over time"] circle').first().waitFor();
  await shot('backups');

  page.once('dialog', (d) => d.accept());
  await page.locator('#snapshots-table tr', { hasText: created }).locator('button:text("Delete")').click();
  await page.locator('#backup-status .okmsg', { hasText: `Deleted ${created}` }).waitFor();
  await page.locator('#snapshots-table tr', { hasText: created }).waitFor({ state: 'detached' });

  // A manual run that succeeds makes the schedule fresh again.
  await page.locator('#schedules-table tr', { hasText: 'yearly' }).locator('button:text("Run now")').click();
  await page.locator('#freshness[data-level="green"]').waitFor();
  assert.match(await page.locator('#schedules-table tr', { hasText: 'yearly' }).innerText(), /success/);

  // The run is in the history: a point on the durations chart, and its
  // bytes a point of the size chart's per-run series.
  const dur = page.locator('#duration-chart svg[aria-label="Backup run durations over time"]');
  await dur.locator('circle').first().waitFor();
  assert.equal(await dur.locator('circle').count(), 1);
  assert.match(await dur.locator('circle title').first().textContent(), /^yearly: \d+\.\d\d s at .* · success, manual, 1 snapshot, /);
  await page.locator('#size-chart .legend', { hasText: 'yearly (per run)' }).waitFor();
  const sched2 = await api(srv.url, KEY, 'GET', '/backup/schedules');
  const runs = sched2.result.schedules[0].runs;
  assert.equal(runs.length, 1);
  assert.equal(runs[0].outcome, 'success');
  assert.equal(runs[0].snapshots, 1);
  assert.ok(runs[0].bytes > 0, 'the run wrote bytes');
  await page.locator('#duration-chart').scrollIntoViewIfNeeded();
  await shot('backups-durations');
});

test('a read-only key: write buttons disabled, reads work', async () => {
  await login(RO_KEY);
  await page.locator('#key-state', { hasText: 'read-only key' }).waitFor();
  await page.locator('#page:not(.loading)').waitFor(); // the backups page shown again, for this key
  await page.locator('#snapshots-table tbody tr').first().waitFor();
  assert.equal(await page.locator('#snap-create').isDisabled(), true);
  for (const b of await page.locator('#snapshots-table button:text("Delete")').all()) assert.equal(await b.isDisabled(), true);
  assert.equal(await page.locator('#snapshots-table button:text("Verify")').first().isDisabled(), false);
  await shot('backups-read-only');
  // A write sent anyway (console) shows the server's 403.
  await page.goto(`${srv.url}/dashboard/#/console?method=DELETE&path=/collections/demo`);
  await page.click('#console-send');
  await page.locator('#console-answer .error', { hasText: 'Forbidden: Write access is required' }).waitFor();
});
