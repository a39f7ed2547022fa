// Run by tls.test.js in a child process whose NODE_EXTRA_CA_CERTS names the
// test CA: the official client's own undici Agent then trusts it, as a user
// trusting a private CA would set it up. Prints one JSON line.
import { QdrantClient } from '@qdrant/js-client-rest';

const client = new QdrantClient({ url: process.env.CAIRN_URL, checkCompatibility: false });
try {
  await client.createCollection('tls', { vectors: { size: 2, distance: 'Dot' } });
  await client.upsert('tls', { wait: true, points: [{ id: 1, vector: [1, 0], payload: { city: 'Oslo' } }] });
  const hits = await client.search('tls', { vector: [1, 0], limit: 1, with_payload: true });
  console.log(JSON.stringify({ ok: true, hits }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: String(err?.cause?.code ?? err?.cause ?? err) }));
}
