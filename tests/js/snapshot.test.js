// Snapshots through the official Qdrant JavaScript client against a real cairn.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { QdrantClient } from '@qdrant/js-client-rest';
import { startCairn, raw } from './cairn.js';

let srv;
let client;
before(async () => {
  srv = await startCairn();
  client = new QdrantClient({ url: srv.url, checkCompatibility: false });
  await client.createCollection('snap', { vectors: { size: 3, distance: 'Dot' } });
  const points = [];
  for (let i = 1; i <= 5; i++) points.push({ id: i, vector: [i, 1, 0], payload: { n: i } });
  await client.upsert('snap', { wait: true, points });
});
after(async () => {
  const { code } = await srv.stop();
  assert.equal(code, 0);
});

test('collection snapshots: create, list, download, recover, delete', async () => {
  const snap = await client.createSnapshot('snap');
  assert.match(snap.name, /^snap-\d+-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.snapshot$/);
  assert.match(snap.checksum, /^[0-9a-f]{64}$/);
  assert.match(snap.creation_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  assert.ok(snap.size > 0);
  assert.deepEqual((await client.listSnapshots('snap')).map((s) => s.name), [snap.name]);

  const res = await fetch(`${srv.url}/collections/snap/snapshots/${snap.name}`);
  assert.equal(res.status, 200);
  const body = Buffer.from(await res.arrayBuffer());
  assert.equal(body.length, snap.size);
  assert.equal(createHash('sha256').update(body).digest('hex'), snap.checksum);

  // Recover from the server's own download URL into a new collection, then
  // over a changed one.
  const location = `${srv.url}/collections/snap/snapshots/${snap.name}`;
  assert.equal(await client.recoverSnapshot('restored', { location, priority: 'snapshot', checksum: snap.checksum }), true);
  assert.equal((await client.count('restored', { exact: true })).count, 5);
  await client.upsert('restored', { wait: true, points: [{ id: 99, vector: [0, 0, 1] }] });
  assert.equal(await client.recoverSnapshot('restored', { location }), true);
  assert.equal((await client.count('restored', { exact: true })).count, 5);

  // A wrong checksum is refused and changes nothing.
  await assert.rejects(client.recoverSnapshot('restored', { location, checksum: '0'.repeat(64) }), (err) => err.status === 400);
  const forbidden = await raw(srv.url, 'PUT', '/collections/restored/snapshots/recover', { body: { location: 'file:///etc/passwd' } });
  assert.equal(forbidden.status, 403, forbidden.text);
  assert.equal((await client.count('restored', { exact: true })).count, 5);

  assert.equal(await client.deleteSnapshot('snap', snap.name), true);
  assert.deepEqual(await client.listSnapshots('snap'), []);
  await assert.rejects(client.deleteSnapshot('snap', snap.name), (err) => err.status === 404);
});

test('full snapshots: create, list, delete', async () => {
  const full = await client.createFullSnapshot();
  assert.match(full.name, /^full-snapshot-.*\.snapshot$/);
  assert.deepEqual((await client.listFullSnapshots()).map((s) => s.name), [full.name]);
  assert.equal(await client.deleteFullSnapshot(full.name), true);
  assert.deepEqual(await client.listFullSnapshots(), []);
});
