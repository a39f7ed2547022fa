// Hybrid search (dense + sparse prefetch, fused) with the official Qdrant
// JavaScript client, as RAG tutorials build it.
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

// Dense vectors rank 5,4,1,2 for [1, 0.5]; sparse vectors rank 2,1,4 for {2, 7}.
const docs = [
  { id: 1, dense: [1, 0], sparse: { indices: [5, 2], values: [0.5, 1] } },
  { id: 2, dense: [0, 1], sparse: { indices: [2, 7], values: [2, 3] } },
  { id: 3, dense: [-1, -1], sparse: { indices: [40], values: [1] } },
  { id: 4, dense: [1, 1], sparse: { indices: [7], values: [1] } },
  { id: 5, dense: [2, 2], sparse: { indices: [], values: [] } },
];

test('hybrid search: dense and sparse prefetch fused with rrf', async () => {
  assert.equal(await client.createCollection('hy', {
    vectors: { dense: { size: 2, distance: 'Dot' } },
    sparse_vectors: { text: { modifier: 'none' } },
  }), true);
  const info = await client.getCollection('hy');
  assert.deepEqual(info.config.params.sparse_vectors, { text: { modifier: 'none' } });
  const up = await client.upsert('hy', {
    wait: true,
    points: docs.map((d) => ({ id: d.id, vector: { dense: d.dense, text: d.sparse }, payload: { n: d.id } })),
  });
  assert.equal(up.status, 'completed');

  const [p] = await client.retrieve('hy', { ids: [1], with_vector: true });
  assert.deepEqual(p.vector.text, { indices: [2, 5], values: [1, 0.5] }, 'indices come back sorted');

  const sparse = await client.query('hy', { query: { indices: [2, 7], values: [1, 1] }, using: 'text', limit: 10 });
  assert.deepEqual(sparse.points.map((x) => [x.id, x.score]), [[2, 5], [1, 1], [4, 1]]);

  const fused = await client.query('hy', {
    prefetch: [
      { query: [1, 0.5], using: 'dense', limit: 4 },
      { query: { indices: [2, 7], values: [1, 1] }, using: 'text', limit: 3 },
    ],
    query: { fusion: 'rrf' },
    limit: 3,
    with_payload: true,
  });
  // RRF, k = 2: 1/(2 + rank) summed over the lists (rank from 0).
  // Points 1 and 4 tie (ranks 2+1 and 1+2): the lower id first.
  assert.deepEqual(fused.points.map((x) => x.id), [2, 1, 4]);
  assert.ok(Math.abs(fused.points[0].score - (1 / 5 + 1 / 2)) < 1e-6);
  assert.ok(Math.abs(fused.points[1].score - (1 / 3 + 1 / 4)) < 1e-6);
  assert.equal(fused.points[1].score, fused.points[2].score);
  assert.equal(fused.points[0].payload.n, 2);

  const dbsf = await client.query('hy', {
    prefetch: [
      { query: [1, 0.5], using: 'dense', limit: 4 },
      { query: { indices: [2, 7], values: [1, 1] }, using: 'text', limit: 3 },
    ],
    query: { fusion: 'dbsf' },
  });
  assert.equal(dbsf.points.length, 4);

  const bad = await raw(srv.url, 'PUT', '/collections/hy/points?wait=true', {
    body: { points: [{ id: 9, vector: { text: { indices: [1, 1], values: [1, 2] } } }] },
  });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /points\[0\]\.vector\.\?\.indices: Validation error: must be unique/);
  assert.equal((await client.count('hy')).count, 5);
});
