/**
 * Clients that try to take a server down or eat its memory (issue 12, items
 * 4-8, 11, 12), each attack made over a real socket against a server in its own
 * process. Memory is the server's RSS read from /proc (and, where a figure must
 * be exact, its ArrayBuffer bytes after a full collection); the bounds are
 * generous multiples of the documented budgets, never timings.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { ErrorCode, LIPBusyError, LIPClient, isLIPRemoteError } from '../src/index.js';
import { decodeValue } from '../src/protocol/codec.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../src/protocol/frame.js';
import { ROOT, socketDir, startFixture, until, type ServerProcess } from './helpers.js';
import { cbor, encodeValue, frame, head, PREAMBLE, RawPeer } from './fixtures/rel-wire.js';

const MiB = 1024 * 1024;
const run = promisify(execFile);

/** Resident memory of a process, from /proc (what the kernel charges it). */
function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb[1]) * 1024;
}

interface Hostile {
  dir: string;
  server: ServerProcess;
  pid: number;
  good: LIPClient;
  path(fn: string): string;
  rss(): number;
  /** The server's memory after a full collection. */
  memory(): Promise<{ rss: number; arrayBuffers: number; heapUsed: number }>;
  state(): Promise<{ produced: number; streamsStopped: number; holding: number; held: number; kept: number }>;
  /** A raw connection that has sent its preamble. */
  connect(fn: string): Promise<RawPeer>;
  alive(): Promise<void>;
}

async function startHostile(t: TestContext, options: Record<string, unknown> = {}): Promise<Hostile> {
  const dir = socketDir(t);
  const server = await startFixture(t, 'hostile-server.ts', dir, { NODE_OPTIONS: '--expose-gc', HOSTILE_OPTS: JSON.stringify(options) });
  const pid = server.child.pid!;
  const good = new LIPClient({ socketDir: dir, timeoutMs: 10_000 });
  const peers: RawPeer[] = [];
  t.after(() => {
    good.destroy();
    for (const peer of peers) peer.destroy();
  });
  const path = (fn: string) => join(dir, `lipcm-${fn}.sock`);
  return {
    dir,
    server,
    pid,
    good,
    path,
    rss: () => rssOf(pid),
    memory: () => good.callFunction('memory'),
    state: () => good.callFunction('state'),
    async connect(fn: string) {
      const peer = await RawPeer.connect(path(fn));
      peers.push(peer);
      peer.write(PREAMBLE);
      return peer;
    },
    async alive() {
      assert.equal(server.child.exitCode, null, `the server is alive (stderr: ${server.errors()})`);
      assert.equal(await good.callFunction('add', [2, 40], undefined, { timeoutMs: 2000 }), 42);
    },
  };
}

/** One request of the Python original's protocol: a bare CBOR map; resolves with the decoded reply. */
async function oneShot(path: string, request: unknown): Promise<unknown> {
  const socket = createConnection(path);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(encodeValue(request));
  await new Promise((resolve) => socket.once('close', resolve));
  return decodeValue(Buffer.concat(chunks));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('item 4: whatever a function throws becomes an error reply; the server never crashes', async (t) => {
  // Logging on: the error log line reads the thrown value too.
  const h = await startHostile(t, { logLevel: 'error' });
  const kinds = [
    'code-getter', 'assigned-input', 'message-symbol', 'name-getter', 'message-getter', 'stack-getter',
    'proxy', 'null-prototype', 'symbol', 'to-string-throws', 'bigint', 'undefined',
  ];
  for (const fn of ['thrower', 'rejecter', 'streamThrower']) {
    for (const kind of kinds) {
      const label = `${fn}(${kind})`;
      await assert.rejects(
        (async () => {
          if (fn === 'streamThrower') {
            for await (const _ of h.good.stream(fn, [kind])) void _;
          } else await h.good.callFunction(fn, [kind]);
        })(),
        (error: unknown) => {
          assert.ok(isLIPRemoteError(error), `${label}: a LIPRemoteError, got ${String(error)}`);
          assert.equal(typeof error.remote.name, 'string', label);
          assert.equal(typeof error.remote.message, 'string', label);
          return true;
        },
        label,
      );
      await h.alive();
    }
  }
  // The Python original's one-shot protocol answers with {"error": text} just the same.
  for (const fn of ['thrower', 'rejecter', 'streamThrower']) {
    for (const kind of kinds) {
      const reply = await oneShot(h.path(fn), { args: [kind], kwargs: {} });
      assert.equal(typeof (reply as { error?: unknown }).error, 'string', `one-shot ${fn}(${kind}): ${JSON.stringify(reply)}`);
      await h.alive();
    }
  }
});
