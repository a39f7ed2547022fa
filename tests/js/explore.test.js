// The official Qdrant JavaScript client on the explore routes: groups,
// discover and context, recommend strategies, facet and the distance matrix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { QdrantClient } from '@qdrant/js-client-rest';
import { startCairn } from './cairn.js';

let srv;
let client;
// Five 2-d points (Dot): 1 [1,0], 2 [0.8,0.6], 3 [0,1], 4 [-1,0], 5 [0.6,-0.8].
const vecs = { 1: [1, 0], 2: [0.8, 0.6], 3: [0, 1], 4: [-1, 0], 5: [0.6, -0.8] };
const docs = { 1: 'a', 2: 'a', 3: ['b', 'a'], 4: 7, 5: 7 };

before(async () => {
  srv = await startCairn();
  client = new QdrantClient({ url: srv.url, checkCompatibility: false });
  await client.createCollection('ex', { vectors: { size: 2, distance: 'Dot' } });
  await client.createCollection('docs', { vectors: { size: 2, distance: 'Dot' } });
  const points = Object.keys(vecs).map((id) => ({ id: Number(id), vector: vecs[id], payload: { doc: docs[id], g: Number(id) % 2 } }));
  await client.upsert('ex', { wait: true, points });
  await client.upsert('docs', { wait: true, points: [{ id: 7, vector: [1, 1], payload: { title: 'seven' } }] });
  await client.createPayloadIndex('ex', { field_name: 'doc', field_schema: 'keyword', wait: true });
});
after(async () => {
  const { code } = await srv.stop();
  assert.equal(code, 0);
});

const ids = (pts) => pts.map((p) => p.id);
const close = (a, b) => assert.ok(Math.abs(a - b) < 1e-6, `${a} != ${b}`);

test('groups: search, recommend and query groups with lookup', async () => {
  const want = [['a', [1, 2]], [7, [5, 4]], ['b', [3]]];
  // (The client's searchPointGroups does not pass with_lookup on.)
  const search = await client.searchPointGroups('ex', { vector: [1, 0], group_by: 'doc', group_size: 2, limit: 3 });
  assert.deepEqual(search.groups.map((g) => [g.id, ids(g.hits)]), want);
  const query = await client.queryGroups('ex', { query: [1, 0], group_by: 'doc', group_size: 2, limit: 3, with_payload: true, with_lookup: 'docs' });
  assert.deepEqual(query.groups.map((g) => [g.id, ids(g.hits)]), want);
  assert.equal(query.groups[0].hits[0].payload.doc, 'a');
  assert.equal(query.groups[1].lookup.payload.title, 'seven');
  assert.equal(query.groups[0].lookup, undefined);
  const rec = await client.recommendPointGroups('ex', { positive: [1], group_by: 'doc', group_size: 1, limit: 2 });
  assert.deepEqual(rec.groups.map((g) => [g.id, ids(g.hits)]), [['a', [2]], [7, [5]]]);
});

test('discover, context and recommend strategies', async () => {
  const context = [{ positive: [0, 1], negative: [0, -1] }];
  const disc = await client.discoverPoints('ex', { target: [1, 0], context, limit: 5 });
  assert.deepEqual(ids(disc), [2, 3, 1, 4, 5]);
  close(disc[0].score, 1 + 0.5 * (0.8 / 1.8 + 1));
  const batch = await client.discoverBatchPoints('ex', { searches: [{ target: [1, 0], limit: 1 }, { context, limit: 2 }] });
  assert.deepEqual(batch.map(ids), [[1], [2, 3]]);
  const q = await client.query('ex', { query: { context }, limit: 2 });
  assert.deepEqual(ids(q.points), [2, 3]);
  const d = await client.query('ex', { query: { discover: { target: [1, 0], context } }, limit: 1 });
  assert.deepEqual(ids(d.points), [2]);
  const best = await client.recommend('ex', { positive: [[1, 0]], negative: [[0, 1]], strategy: 'best_score', limit: 5 });
  assert.deepEqual(ids(best), [1, 2, 5, 4, 3]);
  close(best[0].score, 0.75);
  const sum = await client.query('ex', { query: { recommend: { positive: [[1, 0]], negative: [[0, 1]], strategy: 'sum_scores' } }, limit: 1 });
  close(sum.points[0].score, 1.4);
});

test('facet counts and the distance matrix', async () => {
  const facet = await client.facet('ex', { key: 'doc' });
  assert.deepEqual(facet.hits, [{ value: 'a', count: 3 }, { value: 'b', count: 1 }]);
  const filtered = await client.facet('ex', { key: 'doc', filter: { must: [{ key: 'g', match: { value: 0 } }] }, exact: true });
  assert.deepEqual(filtered.hits, [{ value: 'a', count: 1 }]);
  await assert.rejects(client.facet('ex', { key: 'g' }), (e) => e.status === 400 && /No appropriate index for faceting/.test(JSON.stringify(e.data)));

  const filter = { must: [{ key: 'g', match: { value: 1 } }] };
  const pairs = await client.searchMatrixPairs('ex', { sample: 5, limit: 1, filter });
  assert.deepEqual(pairs.pairs.map((p) => [p.a, p.b]), [[1, 5], [3, 1], [5, 1]]);
  close(pairs.pairs[0].score, 0.6);
  const offs = await client.searchMatrixOffsets('ex', { sample: 5, limit: 1, filter });
  assert.deepEqual(offs.ids, [1, 3, 5]);
  assert.deepEqual(offs.offsets_row, [0, 1, 2]);
  assert.deepEqual(offs.offsets_col, [2, 0, 0]);
});
