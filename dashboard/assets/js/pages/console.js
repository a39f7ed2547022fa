// #/console: any REST request with a JSON body, and the server's answer.
import { request } from '../api.js';
import { h, fill, jsonEditor, errorBox, jsonPre } from '../ui.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The console page. The query string can preset method and path (?method=POST&path=/x). */
export function consolePage(ctx) {
  const method = h('select', { 'aria-label': 'Method', id: 'console-method' },
    METHODS.map((m) => h('option', { value: m }, m)));
  method.value = ctx.query.get('method') || 'GET';
  const path = h('input', { id: 'console-path', size: 60, value: ctx.query.get('path') || '/collections', 'aria-label': 'Path' });
  const editor = jsonEditor({ placeholder: '{ "limit": 10 }  (body, JSON; empty for none)', label: 'Body' });
  editor.textarea.id = 'console-body';
  const out = h('div#console-answer');
  const send = h('button#console-send', { type: 'submit' }, 'Send');
  const form = h('form', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      const p = path.value.trim();
      if (!p.startsWith('/')) { fill(out, errorBox('The path starts with "/", e.g. /collections.')); return; }
      editor.parse();
      send.disabled = true;
      fill(out, h('p.muted', 'Sending…'));
      // The body is sent as typed, invalid JSON included: the server's
      // answer (Qdrant's "Format error in JSON body") is what is shown.
      const r = await request(method.value, p, editor.textarea.value);
      send.disabled = false;
      const head = h('div.row', h(`span.badge.${r.ok ? 'ok' : 'red'}`, r.status || 'no answer'),
        h('span.muted', `${method.value} ${p} · ${Math.round(r.ms || 0)} ms`));
      fill(out, head, r.ok ? null : errorBox(r.error), r.json !== undefined ? jsonPre(r.json) : h('pre', r.text));
    },
  }, h('div.row', method, path, send), editor.el);
  return h('div', h('h1', 'Console'),
    h('p.muted', 'Send any request of the REST API; the body is JSON. The API key entered above is sent with it.'),
    form, h('h2', 'Answer'), out);
}
