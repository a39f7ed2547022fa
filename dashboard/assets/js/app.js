// The dashboard's entry: the API key form, the hash router and the pages
// (#/collections, #/collections/NAME, #/console, #/search, #/backups).
import { getKey, setKey, request, canWrite, resetAccess } from './api.js';
import { h, fill, errorBox } from './ui.js';
import { collectionsPage, collectionPage } from './pages/collections.js';
import { consolePage } from './pages/console.js';
import { searchPage } from './pages/search.js';
import { backupsPage } from './pages/backups.js';

const page = document.getElementById('page');
const banner = document.getElementById('banner');
const keyState = document.getElementById('key-state');
let renderSeq = 0;

/** Parses '#/a/b?x=1' into {parts: ['a','b'], query: URLSearchParams}. */
function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, qs] = hash.split('?');
  const parts = path.split('/').filter(Boolean).map((p) => {
    try { return decodeURIComponent(p); } catch { return p; } // a stray '%': taken as it is
  });
  return { parts, query: new URLSearchParams(qs || '') };
}

const pages = {
  collections: (ctx) => (ctx.parts[1] !== undefined ? collectionPage(ctx, ctx.parts[1]) : collectionsPage(ctx)),
  console: consolePage,
  search: searchPage,
  backups: backupsPage,
};

const titles = { collections: 'Collections', console: 'Console', search: 'Search', backups: 'Backups' };

function showBanner(node) {
  if (!node) { banner.hidden = true; banner.replaceChildren(); return; }
  fill(banner, node);
  banner.hidden = false;
}

/** Checks the key against the server and says what it allows. */
async function checkKey() {
  const r = await request('GET', '/collections');
  if (!r.ok) {
    keyState.textContent = r.status === 401 ? 'key refused' : '';
    showBanner(errorBox(r.status === 401
      ? `${r.error} — enter the server's API key above.` : r.error));
    return false;
  }
  const writable = await canWrite();
  keyState.textContent = getKey() ? (writable ? 'full access' : 'read-only key') : (writable ? 'no key needed' : 'read-only');
  showBanner(null);
  return writable;
}

async function render() {
  const seq = ++renderSeq;
  // The page shown stays until the new one is ready (no flicker), dimmed.
  page.classList.add('loading');
  const r = route();
  if (!r.parts.length) { location.replace('#/collections'); return; } // renders again on hashchange
  const name = r.parts[0];
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === name);
  let writable = false;
  try {
    writable = await checkKey();
  } catch (e) {
    showBanner(errorBox(e.message || String(e)));
  }
  if (seq !== renderSeq) return;
  const ctx = { ...r, writable, isCurrent: () => seq === renderSeq };
  const fn = pages[name];
  try {
    const node = fn ? await fn(ctx) : h('div', h('h1', 'Not found'), errorBox(`No page "${name}".`));
    if (seq === renderSeq) fill(page, node);
  } catch (e) {
    if (seq === renderSeq) fill(page, h('h1', titles[name] || name), errorBox(e.message || String(e)));
  } finally {
    if (seq === renderSeq) page.classList.remove('loading');
  }
  document.title = `Cairn · ${name}`;
}

document.getElementById('key-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const input = document.getElementById('key-input');
  setKey(input.value.trim());
  input.value = '';
  resetAccess();
  render();
});
document.getElementById('key-clear').addEventListener('click', () => {
  setKey('');
  resetAccess();
  render();
});
window.addEventListener('hashchange', render);
window.addEventListener('unhandledrejection', (ev) => showBanner(errorBox(String(ev.reason && ev.reason.message || ev.reason))));
render();
