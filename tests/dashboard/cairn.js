// Starts and stops a real `bin/cairn serve` for the dashboard tests, and
// writes a backup state file (docs/format/backup-state.md) before start.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const binary = process.env.CAIRN_BIN || join(root, 'bin', 'cairn');

// CRC-32C (Castagnoli), as the state file's header carries.
const table = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
export function crc32c(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Writes {snapshotsPath}/.backup-state holding state (the JSON body), as
 * version 1 (no run history), as an older build wrote it: still read.
 */
export function writeBackupState(snapshotsPath, state) {
  const body = Buffer.from(JSON.stringify(state), 'utf8');
  const head = Buffer.alloc(20);
  head.write('CAIRNBKS', 0, 'latin1');
  head.writeUInt32LE(1, 8);
  head.writeUInt32LE(body.length, 12);
  head.writeUInt32LE(crc32c(body), 16);
  mkdirSync(snapshotsPath, { recursive: true });
  writeFileSync(join(snapshotsPath, '.backup-state'), Buffer.concat([head, body]));
}

// startCairn runs the server on a port the kernel picks with a fresh
// storage folder; prepare(dir) runs before the start (dir/snapshots is the
// snapshots path). Resolves once the server logs the address it listens on.
export async function startCairn({ env = {}, prepare } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-dash-'));
  if (prepare) prepare({ snapshots: join(dir, 'snapshots') });
  const child = spawn(binary, [
    'serve', '--host', '127.0.0.1', '--http-port', '0', '--grpc-port', '0',
    '--storage-path', join(dir, 'storage'), '--snapshots-path', join(dir, 'snapshots'),
    '--config-path', join(root, 'config', 'config.yaml'),
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
  return {
    url: `http://${addr}`,
    logs,
    async stop() {
      child.kill('SIGTERM');
      const res = await exited;
      rmSync(dir, { recursive: true, force: true });
      return res;
    },
  };
}

/** Sends one API request with key and returns the parsed answer. */
export async function api(url, key, method, path, body) {
  const headers = { 'api-key': key };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}
