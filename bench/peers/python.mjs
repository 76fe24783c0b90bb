/**
 * The Python original's protocol, served by a small Python server (Debian's
 * cbor2): a bare CBOR map per connection, one reply, close. Sequential only.
 * The Node process around it only starts it; CPU and RSS are the Python process's.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Encoder } from 'cbor-x';
import { procCpuUs, procRssBytes } from '../lib/usage.mjs';

const codec = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: true });
const SCRIPT = fileURLToPath(new URL('./python_server.py', import.meta.url));
const path = (dir) => join(dir, 'python.sock');

export async function serve({ dir }) {
  const child = spawn('/usr/bin/python3', [SCRIPT, path(dir)], { stdio: ['pipe', 'pipe', 'inherit'] });
  process.on('exit', () => child.kill('SIGKILL'));
  const t0 = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /READY ([\d.]+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`python server exited (${code})`)));
  });
  return {
    t0,
    cpuUs: () => procCpuUs(child.pid),
    rss: () => procRssBytes(child.pid),
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    },
  };
}

export async function connect({ dir }) {
  const target = path(dir);
  return {
    call(fn, args) {
      if (fn !== 'add') throw new Error(`python peer has no ${fn}`);
      return new Promise((resolve, reject) => {
        const socket = net.connect(target);
        const chunks = [];
        socket.on('connect', () => socket.end(codec.encode({ args, kwargs: {} })));
        socket.on('data', (d) => chunks.push(d));
        socket.on('error', reject);
        socket.on('end', () => {
          const reply = codec.decode(Buffer.concat(chunks));
          if ('error' in reply) reject(new Error(reply.error));
          else resolve(reply.result);
        });
      });
    },
    close: async () => {},
  };
}
