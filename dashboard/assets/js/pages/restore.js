// Restoring a collection snapshot into a new collection: the recover is
// sent with wait=false and its progress followed by polling the new
// collection until it exists and its optimizer is done.
import { call, request, seg, getKey } from '../api.js';
import { h, fill, errorBox } from '../ui.js';

const POLL_MS = 400;
const GIVE_UP_MS = 30 * 60 * 1000;

function sleep(ms) { return new Promise((r) => { setTimeout(r, ms); }); }

/** The progress view: a bar whose width is the stage reached, and a text. */
function progressView() {
  const bar = h('div');
  const text = h('span.restore-text');
  const el = h('div.card.restore', h('span.progress', bar), ' ', text);
  return { el, set(frac, msg) { bar.style.width = `${Math.round(frac * 100)}%`; text.textContent = msg; } };
}

/**
 * Asks for a new collection's name, then recovers the snapshot at path
 * (its download route on this server) into it and shows the progress in status.
 */
export async function restoreInto(e, path, status) {
  const target = window.prompt(`Restore ${e.name} into a new collection named:`, `${e.collection}_restored`);
  if (!target) return;
  const exists = await request('GET', `/collections/${seg(target)}/exists`);
  if (exists.ok && exists.json.result.exists) {
    fill(status, errorBox(`Collection ${target} exists already: choose a new name (restoring over it would replace its points).`));
    return;
  }
  const p = progressView();
  fill(status, p.el);
  p.set(0.05, `Asking the server to restore ${e.name} into ${target}…`);
  // The server downloads the snapshot from its own route, with the key.
  const body = { location: new URL(path, window.location.origin).href };
  if (getKey()) body.api_key = getKey();
  const r = await request('PUT', `/collections/${seg(target)}/snapshots/recover?wait=false`, body);
  if (!r.ok) { fill(status, errorBox(r.error)); return; }
  const started = Date.now();
  p.set(1 / 3, `Accepted; the server is downloading and restoring ${e.name}…`);
  for (;;) {
    await sleep(POLL_MS);
    if (!status.isConnected) return; // the user left the page: the server goes on alone
    const secs = Math.round((Date.now() - started) / 1000);
    let info = null;
    try { info = await call('GET', `/collections/${seg(target)}`); } catch (err) {
      if (err.status !== 404) { fill(status, errorBox(err.message)); return; }
    }
    if (!info) {
      if (Date.now() - started > GIVE_UP_MS) { fill(status, errorBox(`${target} has not appeared after ${secs} s; see the server's log.`)); return; }
      p.set(1 / 3, `Restoring ${e.name} into ${target}: not there yet (${secs} s)…`);
      continue;
    }
    if (info.status === 'yellow') {
      p.set(2 / 3, `${target} is restored with ${info.points_count} points; optimizing (${secs} s)…`);
      continue;
    }
    p.set(1, `Restored ${target}: ${info.points_count} points, status ${info.status}.`);
    status.append(h('p', h('a', { href: `#/collections/${seg(target)}` }, `Open ${target}`)));
    return;
  }
}
