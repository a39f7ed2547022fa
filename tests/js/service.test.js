// Service routes and error envelopes: what works without collections.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { QdrantClient } from '@qdrant/js-client-rest';
import { startCairn, raw } from './cairn.js';

let srv;
before(async () => { srv = await startCairn(); });
after(async () => {
  const { code } = await srv.stop();
  assert.equal(code, 0, 'cairn exits 0 on SIGTERM');
});

function assertErrorEnvelope(res, status, fragment) {
  assert.equal(res.status, status, res.text);
  assert.ok(res.json, `JSON body: ${res.text}`);
  assert.equal(typeof res.json.status.error, 'string');
  assert.equal(typeof res.json.time, 'number');
  assert.ok(res.json.status.error.includes(fragment), `"${res.json.status.error}" includes "${fragment}"`);
}

test('GET / reports the Qdrant API version', async () => {
  const res = await raw(srv.url, 'GET', '/');
  assert.equal(res.status, 200);
  assert.match(res.json.version, /^1\.\d+\.\d+$/);
  assert.ok(res.json.title.includes('cairn'));
  assert.ok(res.json.cairn_version);
});

test('the official client connects without a version warning', async () => {
  const warnings = [];
  const orig = console.warn;
  console.warn = (...a) => warnings.push(a.join(' '));
  try {
    const client = new QdrantClient({ url: srv.url, checkCompatibility: true });
    const v = await client.versionInfo();
    assert.ok(v.version);
  } finally {
    console.warn = orig;
  }
  assert.deepEqual(warnings.filter((w) => /version/i.test(w)), []);
});

test('health routes answer text/plain', async () => {
  for (const [path, body] of [['/healthz', 'healthz check passed'], ['/livez', 'livez check passed']]) {
    const res = await raw(srv.url, 'GET', path);
    assert.equal(res.status, 200);
    assert.equal(res.text, body);
    assert.match(res.type, /^text\/plain/);
  }
  const ready = await raw(srv.url, 'GET', '/readyz');
  assert.equal(ready.status, 200);
  assert.equal(ready.text, 'all shards are ready');
  assert.match(ready.type, /^text\/plain/);
});

test('unknown route and wrong method get the error envelope', async () => {
  assertErrorEnvelope(await raw(srv.url, 'GET', '/no/such/route'), 404, 'Not found');
  assertErrorEnvelope(await raw(srv.url, 'DELETE', '/healthz'), 404, 'Not found'); // as Qdrant's router: never 405
});

test('telemetry and metrics', async () => {
  const tel = await raw(srv.url, 'GET', '/telemetry');
  assert.equal(tel.status, 200);
  assert.equal(tel.json.status, 'ok');
  assert.equal(tel.json.result.app.name, 'cairn');
  const m = await raw(srv.url, 'GET', '/metrics');
  assert.equal(m.status, 200);
  assert.match(m.text, /rest_responses_total\{endpoint="\/telemetry",method="GET",status="200"\} 1/);
});

test('API key: 401 plain text, header and bearer accepted, read-only key reads', async () => {
  const keyed = await startCairn({ env: { QDRANT__SERVICE__API_KEY: 'full-key', CAIRN__SERVICE__READ_ONLY_API_KEY: 'ro-key' } });
  try {
    const none = await raw(keyed.url, 'GET', '/telemetry');
    assert.equal(none.status, 401);
    assert.equal(none.text, 'Must provide an API key or an Authorization bearer token');
    const wrong = await raw(keyed.url, 'GET', '/telemetry', { headers: { 'api-key': 'nope' } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.text, 'Invalid API key or JWT');
    assert.equal((await raw(keyed.url, 'GET', '/telemetry', { headers: { 'api-key': 'full-key' } })).status, 200);
    assert.equal((await raw(keyed.url, 'GET', '/telemetry', { headers: { authorization: 'Bearer ro-key' } })).status, 200);
    assert.equal((await raw(keyed.url, 'GET', '/healthz')).status, 200);
    assert.equal((await raw(keyed.url, 'GET', '/')).status, 200);
  } finally {
    await keyed.stop();
  }
});

test('an unknown configuration key stops start-up naming it', async () => {
  await assert.rejects(startCairn({ env: { CAIRN__SERVICE__NO_SUCH_KEY: '1' } }), /CAIRN__SERVICE__NO_SUCH_KEY/);
});
