// The official Qdrant JavaScript client over HTTPS, with a CA, a server
// certificate and a client certificate made by the test with openssl.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Agent, fetch } from 'undici';
import { startCairn } from './cairn.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cairn-tls-'));
const file = (name) => join(dir, name);

// makePKI writes ca.pem, cert.pem/key.pem (server, 127.0.0.1) and
// client.pem/client.key.
function makePKI() {
  const ssl = (...args) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=cairn test CA');
  const issue = (name, key, ext) => {
    writeFileSync(file(`${name}.ext`), ext);
    ssl('req', ...ec, '-keyout', file(key), '-out', file(`${name}.csr`), '-subj', `/CN=${name}`);
    ssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'),
      '-CAcreateserial', '-out', file(`${name}.pem`), '-days', '1', '-extfile', file(`${name}.ext`));
  };
  issue('cert', 'key.pem', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  issue('client', 'client.key', 'extendedKeyUsage=clientAuth\n');
}

const tlsEnv = () => ({
  CAIRN__SERVICE__ENABLE_TLS: 'true',
  QDRANT__TLS__CERT: file('cert.pem'),
  QDRANT__TLS__KEY: file('key.pem'),
  QDRANT__TLS__CA_CERT: file('ca.pem'),
});

// runClient runs tls-client.mjs against url, trusting the test CA.
async function runClient(url) {
  const { stdout } = await promisify(execFile)(process.execPath, [join(here, 'tls-client.mjs')], {
    cwd: here,
    env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: file('ca.pem'), CAIRN_URL: url },
  });
  return JSON.parse(stdout.trim().split('\n').pop());
}

let srv;
let mtls;
before(async () => {
  makePKI();
  srv = await startCairn({ env: tlsEnv() });
  mtls = await startCairn({ env: { ...tlsEnv(), QDRANT__SERVICE__VERIFY_HTTPS_CLIENT_CERTIFICATE: 'true' } });
});
after(async () => {
  for (const s of [srv, mtls]) {
    if (s) assert.equal((await s.stop()).code, 0);
  }
  rmSync(dir, { recursive: true, force: true });
});

test('the official client over HTTPS, trusting the test CA', async () => {
  const res = await runClient(`https://127.0.0.1:${srv.port}`);
  assert.equal(res.ok, true, res.error);
  assert.equal(res.hits.length, 1);
  assert.equal(res.hits[0].id, 1);
  assert.deepEqual(res.hits[0].payload, { city: 'Oslo' });
});

test('plain HTTP is refused on the HTTPS port', async () => {
  const res = await fetch(`http://127.0.0.1:${srv.port}/healthz`).catch((err) => err);
  assert.ok(res instanceof Error || res.status !== 200, 'plain HTTP answered 200');
});

test('a client certificate is required when verify_https_client_certificate is set', async () => {
  const url = `https://127.0.0.1:${mtls.port}`;
  const res = await runClient(url);
  assert.equal(res.ok, false, 'the client without a certificate was served');

  const ca = readFileSync(file('ca.pem'));
  const without = new Agent({ connect: { ca } });
  await assert.rejects(async () => {
    const r = await fetch(`${url}/collections`, { dispatcher: without });
    await r.text();
  });
  const withCert = new Agent({ connect: { ca, cert: readFileSync(file('client.pem')), key: readFileSync(file('client.key')) } });
  const r = await fetch(`${url}/collections`, { dispatcher: withCert });
  assert.equal(r.status, 200);
  assert.deepEqual((await r.json()).result, { collections: [] });
  await Promise.all([without.close(), withCert.close()]);
});
