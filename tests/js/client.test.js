// The official Qdrant JavaScript client against a real cairn.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { QdrantClient } from '@qdrant/js-client-rest';
import { startCairn, raw } from './cairn.js';

let srv;
let client;
before(async () => {
  srv = await startCairn();
  client = new QdrantClient({ url: srv.url, checkCompatibility: false });
});
after(async () => {
  const { code } = await srv.stop();
  assert.equal(code, 0);
});

const UUID = 'b1a7e9e0-3c5d-4a8e-9f0a-1234567890ab';
const cities = ['Berlin', 'London', 'Moscow', 'Paris'];

test('collection lifecycle, aliases and payload index', async () => {
  assert.equal(await client.createCollection('js', { vectors: { size: 4, distance: 'Cosine' } }), true);
  assert.deepEqual((await client.getCollections()).collections.map((c) => c.name), ['js']);
  assert.equal((await client.collectionExists('js')).exists, true);
  const info = await client.getCollection('js');
  assert.equal(info.config.params.vectors.size, 4);
  assert.equal(info.config.params.vectors.distance, 'Cosine');

  assert.equal(await client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: 'js', alias_name: 'js-alias' } }] }), true);
  assert.deepEqual((await client.getAliases()).aliases, [{ alias_name: 'js-alias', collection_name: 'js' }]);
  assert.deepEqual((await client.getCollectionAliases('js')).aliases.map((a) => a.alias_name), ['js-alias']);

  const idx = await client.createPayloadIndex('js', { field_name: 'city', field_schema: 'keyword', wait: true });
  assert.equal(idx.status, 'completed');
  assert.equal((await client.getCollection('js')).payload_schema.city.data_type, 'keyword');
});

test('upsert, retrieve, search, query, scroll, count, delete', async () => {
  const points = [];
  for (let i = 1; i <= 20; i++) {
    points.push({ id: i, vector: [i % 3, (i % 5) / 5, 1, i / 20], payload: { city: cities[i % 4], n: i } });
  }
  const up = await client.upsert('js', { wait: true, points });
  assert.equal(up.status, 'completed');

  // 2^53+1 cannot pass through JavaScript numbers: send and read it as raw JSON.
  const big = '9007199254740993';
  const body = `{"points":[{"id":${big},"vector":[1,0,0,0],"payload":{"city":"Oslo"}},{"id":"${UUID.toUpperCase()}","vector":[0,1,0,0],"payload":{"city":"Rome"}}]}`;
  const rawUp = await raw(srv.url, 'PUT', '/collections/js-alias/points?wait=true', { body });
  assert.equal(rawUp.status, 200, rawUp.text);
  const got = await raw(srv.url, 'GET', `/collections/js/points/${big}`);
  assert.equal(got.status, 200);
  assert.match(got.text, new RegExp(`"id":${big}[,}]`));

  const byUUID = await client.retrieve('js', { ids: [UUID], with_payload: true });
  assert.equal(byUUID.length, 1);
  assert.equal(byUUID[0].id, UUID, 'UUIDs come back canonical');
  assert.equal(byUUID[0].payload.city, 'Rome');

  const some = await client.retrieve('js', { ids: [1, 2, 999], with_vector: true });
  assert.deepEqual(some.map((p) => p.id).sort(), [1, 2]);
  assert.equal(some[0].vector.length, 4);

  const hits = await client.search('js', {
    vector: [1, 0.2, 1, 0.5], limit: 3, with_payload: true,
    filter: { must: [{ key: 'city', match: { value: 'London' } }] },
  });
  assert.equal(hits.length, 3);
  for (const h of hits) assert.equal(h.payload.city, 'London');
  for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score >= hits[i].score);

  const batch = await client.searchBatch('js', { searches: [{ vector: [1, 0, 0, 0], limit: 2 }, { vector: [0, 1, 0, 0], limit: 1 }] });
  assert.equal(batch.length, 2);
  assert.equal(batch[0].length, 2);
  assert.equal(batch[1][0].id, UUID);

  const q = await client.query('js', { query: [1, 0.2, 1, 0.5], limit: 3, filter: { must: [{ key: 'city', match: { value: 'London' } }] } });
  assert.deepEqual(q.points.map((p) => p.id), hits.map((h) => h.id));
  const rec = await client.query('js', { query: { recommend: { positive: [1], negative: [2] } }, limit: 5 });
  assert.equal(rec.points.length, 5);
  assert.ok(!rec.points.some((p) => p.id === 1 || p.id === 2));
  const fused = await client.query('js', { prefetch: [{ query: [1, 0, 0, 0], limit: 5 }, { query: [0, 1, 0, 0], limit: 5 }], query: { fusion: 'rrf' }, limit: 4 });
  assert.equal(fused.points.length, 4);
  const recommended = await client.recommend('js', { positive: [3], limit: 2 });
  assert.equal(recommended.length, 2);

  const page1 = await client.scroll('js', { limit: 10, with_payload: false });
  assert.equal(page1.points.length, 10);
  assert.equal(page1.next_page_offset, 11);
  const page2 = await client.scroll('js', { limit: 100, offset: page1.next_page_offset });
  assert.equal(page2.points.length, 12);
  assert.equal(page2.next_page_offset, null);

  assert.equal((await client.count('js', { exact: true })).count, 22);
  assert.equal((await client.count('js', { filter: { must: [{ key: 'city', match: { value: 'London' } }] } })).count, 5);

  await client.setPayload('js', { payload: { flag: true }, points: [1], wait: true });
  assert.equal((await client.retrieve('js', { ids: [1] }))[0].payload.flag, true);

  const del = await client.delete('js', { points: [1, 2, UUID], wait: true });
  assert.equal(del.status, 'completed');
  await client.delete('js', { filter: { must: [{ key: 'city', match: { value: 'Oslo' } }] }, wait: true });
  assert.equal((await client.count('js')).count, 18);
});

function assertError(res, status, ...fragments) {
  assert.equal(res.status, status, res.text);
  assert.ok(res.json && res.json.status && typeof res.json.status.error === 'string', res.text);
  assert.equal(typeof res.json.time, 'number');
  for (const f of fragments) assert.ok(res.json.status.error.includes(f), `"${res.json.status.error}" lacks "${f}"`);
}

test('error cases: status, envelope and message', async () => {
  await client.createCollection('errs', { vectors: { size: 3, distance: 'Dot' } });
  const P = '/collections/errs/points?wait=true';
  assertError(await raw(srv.url, 'PUT', P, { body: { points: [{ id: 1, vector: [1, 2] }] } }), 400, 'expected dim: 3', 'got 2');
  assertError(await raw(srv.url, 'PUT', P, { body: '{"points":[{"id":1,"vector":[1,2,1e39]}]}' }), 400, 'vector[2]');
  assertError(await raw(srv.url, 'PUT', P, { body: { points: [{ id: 1, vector: 'abc' }] } }), 400, 'vector');
  assertError(await raw(srv.url, 'PUT', P, { body: '{"points":[' }), 400, 'Format error in JSON body');
  assertError(await raw(srv.url, 'PUT', '/collections/e2', { body: { vectors: { size: 3, distance: 'Hamming' } } }), 400, 'distance', 'Hamming');
  assertError(await raw(srv.url, 'PUT', '/collections/e2', { body: { vectors: { size: 0, distance: 'Dot' } } }), 422, 'vectors.size');
  assertError(await raw(srv.url, 'PUT', '/collections/errs', { body: { vectors: { size: 3, distance: 'Dot' } } }), 409, 'already exists');
  assertError(await raw(srv.url, 'GET', '/collections/missing'), 404, 'Collection `missing` doesn\'t exist');
  assertError(await raw(srv.url, 'GET', '/collections/errs/points/42'), 404, 'No point with id 42 found');
  assertError(await raw(srv.url, 'POST', '/collections/errs/points/search', { body: { vector: [1, 2, 3], limit: 0 } }), 422, 'limit');
  await assert.rejects(client.getCollection('missing'), (e) => e.status === 404);
});

test('413 over max_request_size_mb, 401 and 403 on a keyed server', async () => {
  const small = await startCairn({ env: { CAIRN__SERVICE__MAX_REQUEST_SIZE_MB: '1', QDRANT__SERVICE__API_KEY: 'w', QDRANT__SERVICE__READ_ONLY_API_KEY: 'r' } });
  try {
    const w = { 'api-key': 'w' };
    assert.equal((await raw(small.url, 'PUT', '/collections/k', { headers: w, body: { vectors: { size: 2, distance: 'Dot' } } })).status, 200);
    const huge = JSON.stringify({ points: [{ id: 1, vector: [1, 2], payload: { blob: 'x'.repeat(1100000) } }] });
    assertError(await raw(small.url, 'PUT', '/collections/k/points', { headers: w, body: huge }), 413, 'larger than allowed');
    const none = await raw(small.url, 'GET', '/collections');
    assert.equal(none.status, 401);
    assert.equal(none.text, 'Must provide an API key or an Authorization bearer token');
    assert.match(none.type, /^text\/plain/);
    const ro = new QdrantClient({ url: small.url, apiKey: 'r', checkCompatibility: false });
    assert.equal((await ro.getCollections()).collections.length, 1);
    assert.equal((await ro.count('k')).count, 0);
    assertError(await raw(small.url, 'PUT', '/collections/k/points', { headers: { 'api-key': 'r' }, body: { points: [] } }), 403, 'Forbidden');
    await assert.rejects(ro.upsert('k', { points: [{ id: 1, vector: [1, 1] }] }), (e) => e.status === 403);
    const bearer = await raw(small.url, 'GET', '/collections', { headers: { authorization: 'Bearer w' } });
    assert.equal(bearer.status, 200);
  } finally {
    await small.stop();
  }
});
