/**
 * Clients that try to take a server down or eat its memory (issue 12, items
 * 4-8, 11, 12), each attack made over a real socket against a server in its own
 * process. Memory is the server's RSS read from /proc (and, where a figure must
 * be exact, its ArrayBuffer bytes after a full collection); the bounds are
 * generous multiples of the documented budgets, never timings.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { ErrorCode, LIPBusyError, LIPClient, LIPModule, LIPProtocolError, isLIPRemoteError } from '../src/index.js';
import { decodeValue } from '../src/protocol/codec.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../src/protocol/frame.js';
import { startFixture, type ServerProcess } from './helpers/fixture-server.js';
import { rssOf } from './helpers/process-memory.js';
import { ROOT } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';
import { frame } from './helpers/raw-cbor.js';
import { encodeValue, PREAMBLE, RawPeer } from './helpers/raw-peer.js';
import { oneShotReply } from './helpers/one-shot.js';

const MiB = 1024 * 1024;
const run = promisify(execFile);

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
      assert.equal(await good.callFunction('add', [2, 40], undefined, { timeoutMs: GOOD_DEADLINE_MS }), 42);
    },
  };
}

/** One request of the Python original's protocol: resolves with the decoded reply. */
async function oneShot(path: string, request: unknown): Promise<unknown> {
  return decodeValue(await oneShotReply(path, request));
}

/**
 * A good client's deadline. Generous, for a machine shared with other work: a starved event loop
 * (what these tests catch) never answers at all, so a long deadline still fails before the fixes.
 */
const GOOD_DEADLINE_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('item 4: whatever a function throws becomes an error reply; the server never crashes', async (t) => {
  // Logging on: the error log line reads the thrown value too.
  const h = await startHostile(t, { logLevel: 'error' });
  const kinds = [
    'code-getter',
    'assigned-input',
    'message-symbol',
    'name-getter',
    'message-getter',
    'stack-getter',
    'proxy',
    'null-prototype',
    'symbol',
    'to-string-throws',
    'bigint',
    'undefined',
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

/** Body of a Call frame, as a client would send it. */
function call(id: number, fn: string, args: unknown[], options: Record<string, unknown> | null = null): Buffer {
  return frame(encodeValue([1, id, fn, args, null, options]));
}

/** A connection that reads whatever arrives and throws it away: a client that keeps up without looking. */
function discardReplies(peer: RawPeer): void {
  peer.socket.removeAllListeners('data');
  peer.socket.on('data', () => {});
}

/** Waits until `read()` stops changing for `quietMs` (bounded), so a figure is read once the server is done. */
async function settled(read: () => Promise<number>, quietMs = 400, timeoutMs = 15_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  let last = await read();
  for (;;) {
    await sleep(quietMs);
    const now = await read();
    if (now === last || Date.now() > end) return now;
    last = now;
  }
}

const PER_CONNECTION_RSS = 3 * DEFAULT_MAX_FRAME_BYTES;

test('item 5: a stream asked with credit 2^32-1 and never read produces only what the socket takes', async (t) => {
  const h = await startHostile(t);
  await h.alive();
  const before = h.rss();
  const peer = await h.connect('bigen');
  peer.socket.pause(); // never reads
  peer.write(call(1, 'bigen', [400, MiB], { stream: true, credit: 0xffffffff }));
  const produced = await settled(async () => (await h.state()).produced);
  const grew = h.rss() - before;
  t.diagnostic(`produced ${produced} items of 1 MiB for a reader that took none; rss grew ${(grew / MiB).toFixed(1)} MiB`);
  assert.ok(produced < 64, `the generator produced ${produced} items of 1 MiB`);
  assert.ok(grew < PER_CONNECTION_RSS, `rss grew by ${(grew / MiB).toFixed(1)} MiB`);
  await h.alive();
  // Closing the connection stops the generator (its finally runs).
  peer.destroy();
  await until(async () => (await h.state()).streamsStopped === 1, 30_000);
});

test('item 5: a fast generator streamed to a fast reader does not starve other callers, and stops when its reader leaves', async (t) => {
  const h = await startHostile(t);
  await h.alive();
  const peer = await h.connect('fastgen');
  discardReplies(peer);
  peer.write(call(1, 'fastgen', [], { stream: true, credit: 0xffffffff }));
  await until(async () => (await h.state()).produced > 1000, 30_000);
  // Every good call is answered within its 2 s deadline while the generator runs.
  for (let i = 0; i < 20; i++) assert.equal(await h.good.callFunction('add', [i, 1], undefined, { timeoutMs: GOOD_DEADLINE_MS }), i + 1);
  peer.destroy();
  await until(async () => (await h.state()).streamsStopped === 1, 30_000);
  const stopped = (await h.state()).produced;
  await sleep(300);
  assert.equal((await h.state()).produced, stopped, 'nothing is produced after the reader left');
});

test('item 6: calls for 1 MiB replies sent in one write and never read: the server stops taking them', async (t) => {
  const h = await startHostile(t);
  await h.alive();
  const before = h.rss();

  await t.test('replies answered at once', async () => {
    const peer = await h.connect('bigreply');
    peer.socket.pause();
    peer.write(Buffer.concat(Array.from({ length: 400 }, (_, i) => call(i + 1, 'bigreply', [MiB]))));
    await sleep(1500);
    const grew = h.rss() - before;
    t.diagnostic(`rss grew ${(grew / MiB).toFixed(1)} MiB for 400 MiB of replies asked in one write`);
    assert.ok(grew < PER_CONNECTION_RSS, `rss grew by ${(grew / MiB).toFixed(1)} MiB`);
    await h.alive();
    peer.destroy();
  });

  await t.test('replies that come later: beyond the connection budget they are refused, typed', async () => {
    const before = h.rss();
    const peer = await h.connect('lateReply');
    peer.socket.pause();
    peer.write(Buffer.concat(Array.from({ length: 400 }, (_, i) => call(i + 1, 'lateReply', [200, MiB]))));
    await sleep(1500);
    const grew = h.rss() - before;
    t.diagnostic(`rss grew ${(grew / MiB).toFixed(1)} MiB for 400 late replies of 1 MiB never read`);
    assert.ok(grew < PER_CONNECTION_RSS, `rss grew by ${(grew / MiB).toFixed(1)} MiB`);
    await h.alive();
    // The peer now reads: every call got an answer, a result or a typed busy error.
    peer.socket.resume();
    const replies = await Promise.all(Array.from({ length: 400 }, (_, i) => peer.reply(i + 1, 20_000)));
    const busy = replies.filter((r) => r?.[0] === 3 && (r[2] as { code: string }).code === ErrorCode.Busy).length;
    const ok = replies.filter((r) => r?.[0] === 2).length;
    t.diagnostic(`${ok} results, ${busy} busy`);
    assert.equal(ok + busy, 400);
    assert.ok(busy > 0);
  });
});

test('item 7: a frame trickled one byte at a time costs about what has arrived, and nothing once closed', async (t) => {
  const h = await startHostile(t);
  await h.alive();
  const baseline = await h.memory();
  const before = h.rss();
  // Several connections, one byte each per turn of the event loop: the server reads each byte on its own.
  const peers = await Promise.all(Array.from({ length: 8 }, () => h.connect('add')));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(DEFAULT_MAX_FRAME_BYTES, 0);
  for (const peer of peers) peer.write(header);
  const rounds = 40_000;
  for (let i = 0; i < rounds; i++) {
    for (const peer of peers) peer.write(Buffer.of(0x61));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const sent = rounds * peers.length;
  await sleep(500);
  const grew = h.rss() - before;
  t.diagnostic(`rss grew ${(grew / MiB).toFixed(1)} MiB for ${sent} bytes trickled over ${peers.length} connections`);
  assert.ok(grew < 16 * MiB + 4 * sent, `rss grew by ${(grew / MiB).toFixed(1)} MiB for ${sent} bytes`);
  await h.alive();
  for (const peer of peers) peer.destroy();
  await sleep(200);
  const after = await h.memory();
  assert.ok(after.arrayBuffers - baseline.arrayBuffers < MiB, `ArrayBuffers held after close: ${after.arrayBuffers - baseline.arrayBuffers}`);
  assert.ok(h.rss() - before < 16 * MiB, `rss after close: ${((h.rss() - before) / MiB).toFixed(1)} MiB above the start`);
});

test('item 8: calls in flight that keep their arguments are bounded per connection', async (t) => {
  const h = await startHostile(t);
  await h.alive();
  const before = h.rss();
  const peer = await h.connect('hold');
  const payload = Buffer.alloc(8 * MiB, 3);
  // Each call keeps its 8 MiB for 8 s: long enough to see how many run at once.
  for (let id = 1; id <= 12; id++) peer.write(call(id, 'hold', [8000, payload]));
  await until(async () => (await h.state()).holding > 0, 30_000);
  const holding = await settled(async () => (await h.state()).holding, 1000);
  // What it holds: after a collection, so the garbage of receiving doesn't count.
  await h.memory();
  const grew = h.rss() - before;
  t.diagnostic(`${holding} calls of 8 MiB held; rss grew ${(grew / MiB).toFixed(1)} MiB`);
  assert.ok(holding * 8 * MiB <= 2 * DEFAULT_MAX_FRAME_BYTES, `${holding} calls of 8 MiB run at once for one connection`);
  assert.ok(grew < PER_CONNECTION_RSS, `rss grew by ${(grew / MiB).toFixed(1)} MiB`);
  await h.alive();
  // The connection is only slowed down: its calls end, others are read.
  await until(async () => (await h.state()).held > holding, 30_000);
  peer.destroy();
  await until(async () => (await h.state()).holding === 0, 30_000);
});

test('item 8: calls in flight are bounded for the whole server; a good client is still served', async (t) => {
  const h = await startHostile(t);
  await h.alive();
  const before = h.rss();
  const payload = Buffer.alloc(8 * MiB, 4);
  const peers = await Promise.all(Array.from({ length: 24 }, () => h.connect('hold')));
  for (const peer of peers) peer.write(Buffer.concat([call(1, 'hold', [60_000, payload]), call(2, 'hold', [60_000, payload])]));
  await until(async () => (await h.state()).holding > 0, 30_000);
  const holding = await settled(async () => (await h.state()).holding, 1000);
  const grew = h.rss() - before;
  t.diagnostic(`${holding} calls of 8 MiB held by 24 connections; rss grew ${(grew / MiB).toFixed(1)} MiB`);
  // The documented default budget: 256 MiB of frames in flight for the server.
  assert.ok(holding * 8 * MiB <= 256 * MiB, `${holding} calls of 8 MiB run at once`);
  for (let i = 0; i < 10; i++) await h.alive();
  for (const peer of peers) peer.destroy();
  await until(async () => (await h.state()).holding === 0, 30_000);
});

test('item 11: a small binary kept by the function does not pin the large frame it came in', async (t) => {
  const h = await startHostile(t);
  await h.alive();
  const baseline = await h.memory();
  const peer = await h.connect('keep');
  const padding = Buffer.alloc(8 * MiB, 5);
  for (let id = 1; id <= 12; id++) {
    peer.write(call(id, 'keep', [Buffer.from(`small ${id}`), padding]));
  }
  await peer.reply(12, 20_000);
  const after = await h.memory();
  const held = after.arrayBuffers - baseline.arrayBuffers;
  t.diagnostic(`ArrayBuffers held for 12 kept binaries of 8 bytes: ${(held / MiB).toFixed(1)} MiB`);
  assert.ok(held < 8 * MiB, `12 small binaries keep ${(held / MiB).toFixed(1)} MiB alive`);
  assert.equal(await h.good.callFunction('forget'), true);
});

test('item 12: a Python client refused for maxConnections reads the refusal as an error', async (t) => {
  const h = await startHostile(t, { maxConnections: 1 });
  const held = await h.connect('add');
  assert.ok(await held.waitFrame((f) => f[0] === 0), 'Hello');
  const { stdout } = await run('/usr/bin/python3', [join(ROOT, 'test/python/lip_client.py'), '--dir', h.dir, 'call', 'add', '1', '2'], {
    timeout: 30_000,
  }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  const out = JSON.parse(stdout) as { error?: string; type?: string };
  assert.equal(out.type, 'ValueError', stdout);
  assert.match(out.error!, /maximum of 1 connections/);
  // A native client refused the same way still gets its typed error.
  const client = new LIPClient({ socketDir: h.dir });
  t.after(() => client.destroy());
  await assert.rejects(client.callFunction('add', [1, 2]), (e: unknown) => e instanceof LIPBusyError);
});

test('item 5: a plain call on a big stream stops collecting at the connection budget, with a typed error', async (t) => {
  const h = await startHostile(t);
  await h.alive();
  const before = h.rss();
  await assert.rejects(h.good.callFunction('bigen', [200, MiB]), (error: unknown) => {
    assert.ok(error instanceof LIPProtocolError, String(error));
    assert.equal(error.code, ErrorCode.FrameTooLarge);
    assert.match(error.message, /read them as a stream/);
    return true;
  });
  const { produced, streamsStopped } = await h.state();
  t.diagnostic(`collected ${produced} items of 1 MiB before refusing; rss grew ${((h.rss() - before) / MiB).toFixed(1)} MiB`);
  assert.ok(produced * MiB <= 2 * DEFAULT_MAX_FRAME_BYTES + MiB, `${produced} items collected`);
  assert.equal(streamsStopped, 1, 'the generator was stopped');
  await h.alive();
});

test('the memory budget options are checked up front', () => {
  const wrap = (options: object) => () => LIPModule(options as never)(function f() {});
  assert.throws(wrap({ maxConnectionBytes: 0 }), /'maxConnectionBytes' must be a whole number > 0/);
  assert.throws(wrap({ maxServerBytes: 1.5 }), /'maxServerBytes'/);
  assert.throws(wrap({ maxConnectionBytes: 1024 }), /'maxConnectionBytes' must be at least 'maxFrameBytes'/);
  assert.throws(wrap({ maxFrameBytes: 1024, maxConnectionBytes: 4096, maxServerBytes: 2048 }), /'maxServerBytes' must be at least 'maxConnectionBytes'/);
  wrap({ maxFrameBytes: 1024, maxConnectionBytes: 4096, maxServerBytes: 8192 })();
});

test('item 5: thousands of plain calls to an endless generator share the event loop: others are answered, SIGTERM still stops the server', async (t) => {
  const h = await startHostile(t);
  await h.alive();
  const calls = Buffer.concat(Array.from({ length: 300 }, (_, i) => call(i + 1, 'fastgen', [])));
  for (let c = 0; c < 20; c++) {
    const peer = await h.connect('fastgen');
    peer.socket.pause();
    peer.write(calls);
  }
  await until(async () => (await h.state()).produced > 100_000, 30_000);
  for (let i = 0; i < 10; i++) assert.equal(await h.good.callFunction('add', [i, 1], undefined, { timeoutMs: GOOD_DEADLINE_MS }), i + 1);
  h.server.child.kill('SIGTERM');
  const exited = await Promise.race([h.server.exited, sleep(15_000).then(() => 'still running')]);
  assert.equal(exited, 0, 'the server exits on SIGTERM, with status 0');
});
