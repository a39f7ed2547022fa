// Snapshots in S3 (snapshots_storage: s3) through the official Qdrant
// JavaScript client against a real cairn whose bucket is on a real S3
// server (versitygw on loopback).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { QdrantClient } from '@qdrant/js-client-rest';
import { startCairn, raw } from './cairn.js';
import { startVersitygw, accessKey, secretKey } from './versitygw.js';

const bucket = 'cairn-js';
const prefix = 'node1';
const p = 'QDRANT__STORAGE__SNAPSHOTS_CONFIG__';

let gw;
let srv;
let client;

// s3Env configures cairn's snapshot store: the bucket on gw, under prefix.
function s3Env() {
  return {
    [`${p}SNAPSHOTS_STORAGE`]: 's3',
    [`${p}S3_CONFIG__BUCKET`]: bucket,
    [`${p}S3_CONFIG__PREFIX`]: prefix,
    [`${p}S3_CONFIG__ENDPOINT_URL`]: gw.endpoint,
    [`${p}S3_CONFIG__ACCESS_KEY`]: accessKey,
    [`${p}S3_CONFIG__SECRET_KEY`]: secretKey,
  };
}

before(async () => {
  gw = await startVersitygw({ buckets: [bucket] });
  srv = await startCairn({ env: s3Env() });
  client = new QdrantClient({ url: srv.url, checkCompatibility: false });
  await client.createCollection('s3snap', { vectors: { size: 3, distance: 'Dot' }, shard_number: 2 });
  const points = [];
  for (let i = 1; i <= 20; i++) points.push({ id: i, vector: [i, 1, 0], payload: { n: i } });
  await client.upsert('s3snap', { wait: true, points });
});
after(async () => {
  if (srv) assert.equal((await srv.stop()).code, 0);
  if (gw) await gw.stop();
});

// bucketKeys lists the object files under the bucket's folder.
function bucketKeys(sub) {
  const base = join(gw.dir, bucket, prefix, sub);
  if (!existsSync(base)) return [];
  return readdirSync(base, { recursive: true }).map(String);
}

test('s3 collection snapshots: create, list, download, recover by name and s3:// location, delete', async () => {
  const snap = await client.createSnapshot('s3snap');
  assert.match(snap.name, /^s3snap-\d+-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.snapshot$/);
  assert.ok(snap.size > 0);
  assert.match(snap.creation_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  assert.ok(bucketKeys('snapshots/s3snap').includes(snap.name), 'the manifest is in the bucket');
  assert.ok(bucketKeys('objects').length > 0, 'the objects are in the bucket');
  assert.deepEqual((await client.listSnapshots('s3snap')).map((s) => s.name), [snap.name]);

  const res = await fetch(`${srv.url}/collections/s3snap/snapshots/${snap.name}`);
  assert.equal(res.status, 200);
  const body = Buffer.from(await res.arrayBuffer());
  assert.equal(body.length, snap.size);
  const part = await fetch(`${srv.url}/collections/s3snap/snapshots/${snap.name}`, { headers: { range: 'bytes=512-1535' } });
  assert.equal(part.status, 206);
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), body.subarray(512, 1536));

  // Recover by name over a changed collection, then by s3:// location into
  // a new one.
  await client.upsert('s3snap', { wait: true, points: [{ id: 99, vector: [0, 0, 1] }] });
  assert.equal((await client.count('s3snap', { exact: true })).count, 21);
  assert.equal(await client.recoverSnapshot('s3snap', { location: snap.name, priority: 'snapshot' }), true);
  assert.equal((await client.count('s3snap', { exact: true })).count, 20);
  const location = `s3://${bucket}/${prefix}/snapshots/s3snap/${snap.name}`;
  assert.equal(await client.recoverSnapshot('s3copy', { location }), true);
  assert.equal((await client.count('s3copy', { exact: true })).count, 20);
  const hit = await client.retrieve('s3copy', { ids: [7], with_payload: true });
  assert.deepEqual(hit.map((r) => r.payload), [{ n: 7 }]);

  // Another bucket is refused and changes nothing.
  await assert.rejects(client.recoverSnapshot('s3copy', { location: `s3://other/${prefix}/snapshots/s3snap/${snap.name}` }),
    (err) => err.status === 400);
  const missing = await raw(srv.url, 'PUT', '/collections/s3copy/snapshots/recover', { body: { location: 's3snap-1-2020-01-01-00-00-00.snapshot' } });
  assert.equal(missing.status, 404, missing.text);
  assert.equal((await client.count('s3copy', { exact: true })).count, 20);

  // A second snapshot, wait=false; then both deleted, and their objects
  // collected.
  // (the client takes only a 200 here: Qdrant's 202 for wait=false is sent raw)
  const accepted = await raw(srv.url, 'POST', '/collections/s3snap/snapshots?wait=false');
  assert.equal(accepted.status, 202, accepted.text);
  let names = [];
  for (let i = 0; i < 200 && names.length < 2; i++) {
    names = (await client.listSnapshots('s3snap')).map((s) => s.name);
    if (names.length < 2) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(names.length, 2, `listed ${names}`);
  for (const n of names) assert.equal(await client.deleteSnapshot('s3snap', n), true);
  assert.deepEqual(await client.listSnapshots('s3snap'), []);
  assert.deepEqual(bucketKeys('snapshots/s3snap'), []);
  await assert.rejects(client.deleteSnapshot('s3snap', snap.name), (err) => err.status === 404);
});

test('s3 shard snapshots: create, list, recover by name, delete', async () => {
  const snap = await client.createShardSnapshot('s3snap', 1, { wait: true });
  assert.deepEqual((await client.listShardSnapshots('s3snap', 1)).map((s) => s.name), [snap.name]);
  assert.deepEqual(await client.listShardSnapshots('s3snap', 0), []);
  assert.equal(await client.recoverShardFromSnapshot('s3snap', 1, { location: snap.name, wait: true }), true);
  assert.equal((await client.count('s3snap', { exact: true })).count, 20);
  assert.equal(await client.deleteShardSnapshot('s3snap', 1, snap.name, { wait: true }), true);
  assert.deepEqual(await client.listShardSnapshots('s3snap', 1), []);
});

test('s3 full snapshots: create, list, download, verify, recover at start-up, delete', async () => {
  const full = await client.createFullSnapshot();
  assert.match(full.name, /^full-snapshot-.*\.snapshot$/);
  assert.deepEqual((await client.listFullSnapshots()).map((s) => s.name), [full.name]);
  assert.ok(bucketKeys('snapshots').includes(full.name));
  const res = await fetch(`${srv.url}/snapshots/${full.name}`);
  assert.equal(res.status, 200);
  assert.equal(Buffer.from(await res.arrayBuffer()).length, full.size);
  const verify = await raw(srv.url, 'POST', `/snapshots/${full.name}/verify`);
  assert.equal(verify.status, 200, verify.text);
  assert.equal(verify.json.result.ok, true, verify.text);

  // Recover: a second cairn on the same bucket restores it at start-up
  // (Qdrant has no REST route for a full recover either).
  const second = await startCairn({ env: s3Env(), args: ['--storage-snapshot', `s3://${bucket}/${prefix}/snapshots/${full.name}`] });
  try {
    const other = new QdrantClient({ url: second.url, checkCompatibility: false });
    const names = (await other.getCollections()).collections.map((c) => c.name).sort();
    assert.ok(names.includes('s3snap'), `restored ${names}`);
    assert.equal((await other.count('s3snap', { exact: true })).count, 20);
    assert.deepEqual((await other.listFullSnapshots()).map((s) => s.name), [full.name]);
  } finally {
    assert.equal((await second.stop()).code, 0);
  }
  assert.equal(await client.deleteFullSnapshot(full.name), true);
  assert.deepEqual(await client.listFullSnapshots(), []);
  await assert.rejects(client.deleteFullSnapshot(full.name), (err) => err.status === 404);
});
