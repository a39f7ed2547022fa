// The REST client of the dashboard: every request carries the API key the
// user entered (sessionStorage), and every answer is reduced to
// {ok, status, json, text, error} where error is Qdrant's status.error (or
// the plain-text body of a 401) so that pages can show it as it is.
const KEY = 'cairn.apiKey';

/** Returns the key kept for this browser tab ('' when none). */
export function getKey() { return sessionStorage.getItem(KEY) || ''; }

/** Keeps key for this tab; an empty key forgets it. */
export function setKey(key) {
  if (key) sessionStorage.setItem(KEY, key); else sessionStorage.removeItem(KEY);
}

/**
 * Sends one request. body is an object (sent as JSON), a string (sent as
 * it is, for the console) or undefined.
 */
export async function request(method, path, body, { raw = false } = {}) {
  const headers = {};
  const key = getKey();
  if (key) headers['api-key'] = key;
  const init = { method, headers };
  if (body !== undefined && body !== null && body !== '') {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const started = performance.now();
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    return { ok: false, status: 0, json: undefined, text: '', error: `Request failed: ${e.message}`, ms: 0 };
  }
  if (raw && res.ok) return { ok: true, status: res.status, res };
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  const ms = performance.now() - started;
  const out = { ok: res.ok, status: res.status, json, text, ms, error: '' };
  if (!res.ok) out.error = errorText(res, json, text);
  return out;
}

function errorText(res, json, text) {
  if (json && json.status && typeof json.status.error === 'string') return json.status.error;
  if (text && text.trim()) return text.trim();
  return `${res.status} ${res.statusText}`;
}

/** Like request, but returns the result and throws an Error with Qdrant's text. */
export async function call(method, path, body) {
  const r = await request(method, path, body);
  if (!r.ok) {
    const err = new Error(r.error);
    err.status = r.status;
    throw err;
  }
  return r.json ? r.json.result : undefined;
}

/** Encodes one path segment (a collection or snapshot name). */
export const seg = (s) => encodeURIComponent(String(s));

let writeAccess = null;

/**
 * Tells whether the key may write: a no-op alias update ({"actions": []},
 * which changes nothing) answers 403 to the read-only key and 401 to a
 * wrong one. Cached until the key changes.
 */
export async function canWrite() {
  if (writeAccess !== null) return writeAccess;
  const r = await request('POST', '/collections/aliases', { actions: [] });
  writeAccess = r.status !== 403 && r.status !== 401;
  return writeAccess;
}

/** Forgets the cached write access (after the key changed). */
export function resetAccess() { writeAccess = null; }
