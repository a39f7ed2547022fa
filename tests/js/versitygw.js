// Starts and stops a real S3 server for the tests: versitygw (Apache-2.0, an
// S3 gateway over a local folder) on a free loopback port.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// `make versitygw` installs it into ../../bin; CAIRN_VERSITYGW overrides.
export const gwBinary = process.env.CAIRN_VERSITYGW || join(root, 'bin', 'versitygw');

export const accessKey = 'cairn-js-access';
export const secretKey = 'cairn-js-secret-0123456789';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// startVersitygw serves a new temp folder with the buckets named (the posix
// backend's buckets are the folders under its root, so they are made before
// it starts), and resolves once it answers HTTP.
export async function startVersitygw({ buckets = [] } = {}) {
  if (!existsSync(gwBinary)) {
    throw new Error(`versitygw not found at ${gwBinary}: run \`make versitygw\` or set CAIRN_VERSITYGW`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'cairn-js-s3-'));
  for (const b of buckets) mkdirSync(join(dir, b));
  const port = await freePort();
  const child = spawn(gwBinary, ['--port', `127.0.0.1:${port}`, '--access', accessKey, '--secret', secretKey, '--quiet', 'posix', dir], {
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let out = '';
  child.stderr.on('data', (b) => { out += b; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  exited.then(() => { gone = true; });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (gone) throw new Error(`versitygw exited at start: ${out}`);
    try {
      await fetch(endpoint + '/', { signal: AbortSignal.timeout(1000) });
      break;
    } catch (err) {
      if (i >= 300) throw new Error(`versitygw on ${endpoint} does not answer: ${err} ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    endpoint,
    dir,
    async stop() {
      if (!gone) child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
