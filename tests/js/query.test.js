// The official Qdrant JavaScript client on the universal query's kinds:
// formula, order_by, sample, rrf with k, MMR and relevance_feedback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { QdrantClient } from '@qdrant/js-client-rest';
import { startCairn } from './cairn.js';

let srv;
let client;
// Four 2-d points (Dot): 1 [1,0], 2 [0.99,0.141], 3 [0.6,0.8], 4 [0,1]; price 10, 4, 7, none.
const vecs = { 1: [1, 0], 2: [0.99, 0.141], 3: [0.6, 0.8], 4: [0, 1] };
const price = { 1: 10, 2: 4, 3: 7 };

before(async () => {
  srv = await startCairn();
  client = new QdrantClient({ url: srv.url, checkCompatibility: false });
  await client.createCollection('q', { vectors: { size: 2, distance: 'Dot' } });
  const points = Object.keys(vecs).map((id) => ({ id: Number(id), vector: vecs[id], payload: price[id] === undefined ? {} : { price: price[id] } }));
  await client.upsert('q', { wait: true, points });
  await client.createPayloadIndex('q', { field_name: 'price', field_schema: 'integer', wait: true });
});
after(async () => {
  const { code } = await srv.stop();
  assert.equal(code, 0);
});

const ids = (pts) => pts.map((p) => p.id);
const close = (a, b) => assert.ok(Math.abs(a - b) < 1e-5, `${a} != ${b}`);

test('formula over a prefetch, with defaults and its error', async () => {
  const res = await client.query('q', {
    prefetch: { query: [1, 0], limit: 4 },
    query: { formula: { sum: ['$score', { mult: [0.1, 'price'] }] }, defaults: { price: 0 } },
  });
  // 1: 1 + 1 = 2, 3: 0.6 + 0.7 = 1.3, 2: 0.99 + 0.4 = 1.39, 4: 0 + 0.
  assert.deepEqual(ids(res.points), [1, 2, 3, 4]);
  close(res.points[0].score, 2);
  close(res.points[1].score, 0.99 + 0.4);
  await assert.rejects(
    client.query('q', { prefetch: { query: [1, 0], limit: 4 }, query: { formula: { mult: [2, 'price'] } } }),
    (err) => /Expected number value for price in the payload and\/or in the formula defaults/.test(JSON.stringify(err.data ?? err.message)),
  );
});

test('order_by and sample queries', async () => {
  const desc = await client.query('q', { query: { order_by: { key: 'price', direction: 'desc' } } });
  assert.deepEqual(ids(desc.points), [1, 3, 2]);
  assert.equal(desc.points[0].order_value, 10);
  const sample = await client.query('q', { query: { sample: 'random' }, limit: 4 });
  assert.deepEqual(ids(sample.points).sort(), [1, 2, 3, 4]);
});

test('rrf k, MMR and relevance_feedback', async () => {
  const rrf = await client.query('q', { prefetch: [{ query: [1, 0], limit: 2 }, { query: [0, 1], limit: 2 }], query: { rrf: { k: 5 } } });
  close(rrf.points[0].score, 1 / 5);
  const mmr = await client.query('q', { query: { nearest: [1, 0], mmr: { diversity: 0.7, candidates_limit: 4 } }, limit: 3 });
  assert.deepEqual(ids(mmr.points), [1, 4, 3]);
  const fb = await client.query('q', {
    query: { relevance_feedback: { target: [1, 0], feedback: [{ example: [0, 1], score: 0.9 }, { example: [1, 0], score: 0.1 }], strategy: { naive: { a: 1, b: 1, c: 1 } } } },
  });
  assert.deepEqual(ids(fb.points), [4, 3, 2, 1]);
});
