// Starts and stops a real `bin/cairn serve` for the tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const binary = process.env.CAIRN_BIN || join(root, 'bin', 'cairn');

// startCairn runs the server on a port the kernel picks (--http-port 0) with
// a fresh storage folder, and resolves once the server logs the address it
// listens on. env adds environment variables (e.g. CAIRN__SERVICE__API_KEY).
export async function startCairn({ env = {}, args = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-js-'));
  const child = spawn(binary, [
    'serve', '--host', '127.0.0.1', '--http-port', '0', '--grpc-port', '0',
    '--storage-path', join(dir, 'storage'), '--snapshots-path', join(dir, 'snapshots'),
    '--config-path', join(root, 'config', 'config.yaml'), ...args,
  ], {
    env: { PATH: process.env.PATH, CAIRN__LOGGER__FORMAT: 'json', CAIRN__LOG_LEVEL: 'INFO', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs = [];
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const addr = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stderr });
    rl.on('line', (line) => {
      logs.push(line);
      try {
        const rec = JSON.parse(line);
        if (rec.msg === 'listening') resolve(rec.addr);
      } catch { /* not a JSON log line */ }
    });
    exited.then(({ code }) => reject(new Error(`cairn exited with ${code} before listening:\n${logs.join('\n')}`)));
    child.once('error', reject);
  });
  const url = `http://${addr}`;
  return {
    url,
    port: Number(addr.split(':').pop()),
    logs,
    async stop() {
      child.kill('SIGTERM');
      const res = await exited;
      rmSync(dir, { recursive: true, force: true });
      return res;
    },
  };
}

// raw sends a request with fetch and returns {status, type, text, json}.
export async function raw(url, method, path, { body, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(url + path, init);
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, type: res.headers.get('content-type') || '', text, json };
}
