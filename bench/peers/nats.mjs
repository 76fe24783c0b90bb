/**
 * lipmodule over its NATS transport: the same functions served with
 * `init({ nats, socket: false })`, called by `LIPClient({ nats })`. The server
 * process also runs the nats-server (its CPU is not in the server column).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIPClient, LIPModule } from '../../dist/index.js';
import { blobs } from '../lib/work.mjs';

const quiet = { logLevel: 'silent' };
const urlFile = (dir) => join(dir, 'nats.url');

function startNatsServer() {
  // NATS refuses messages over max_payload (1 MiB by default): the 1 MiB echo needs a little more.
  const config = join(mkdtempSync(join(tmpdir(), 'lipnats-')), 'nats.conf');
  writeFileSync(config, 'max_payload: 8388608\n');
  const server = spawn('nats-server', ['-a', '127.0.0.1', '-p', '-1', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`nats-server did not start: ${log}`)), 10_000);
    const read = (chunk) => {
      log += chunk;
      const match = /Listening for client connections on ([\d.]+):(\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve({ server, url: `nats://${match[1]}:${match[2]}` });
      }
    };
    server.stdout.on('data', read);
    server.stderr.on('data', read);
    server.once('error', (error) => reject(new Error(`nats-server is needed for this peer (apt-get install nats-server): ${error.message}`)));
  });
}

export async function serve({ dir }) {
  const { server, url } = await startNatsServer();
  const wrap = (fn) => LIPModule({ ...quiet })(fn);
  const functions = [
    wrap(function add(a, b) {
      return a + b;
    }),
    wrap(function echo(value) {
      return value;
    }),
    wrap(async function* count(n) {
      for (let i = 0; i < n; i++) yield i;
    }),
    wrap(blobs),
  ];
  await Promise.all(functions.map((f) => f.init({ nats: url, socket: false })));
  writeFileSync(urlFile(dir), url);
  return {
    close: async () => {
      await Promise.all(functions.map((f) => f.exit({ timeoutMs: 1000 })));
      server.kill();
    },
  };
}

export async function connect({ dir, streamWindow }) {
  const client = new LIPClient({ socketDir: dir, nats: readFileSync(urlFile(dir), 'utf8'), streamWindow });
  return {
    call: (fn, args) => client.callFunction(fn, args),
    stream: (fn, args) => client.stream(fn, args),
    close: () => client.close(),
  };
}
