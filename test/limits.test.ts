/**
 * Server limits over real sockets: frame size, idle timeout, maxConnections,
 * calls in flight per connection, replies a client never reads; and the
 * validation of those options.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ErrorCode, LIPBusyError, LIPClient, LIPModule, LIPProtocolError } from '../src/index.js';
import { decodeValue } from '../src/protocol/codec.js';
import { serveFixture, startFixture } from './helpers/fixture-server.js';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';
import { frame } from './helpers/raw-cbor.js';
import { encodeValue, PREAMBLE, RawPeer } from './helpers/raw-peer.js';
import { oneShotReply } from './helpers/one-shot.js';

function sock(dir: string, name: string): string {
  return join(dir, `lipcm-${name}.sock`);
}

async function probe(client: LIPClient): Promise<{ rss: number; sockets: number }> {
  return client.callFunction('probe');
}

test('a length header over the maximum frame size is refused before the body is sent', async (t) => {
  const { dir, client: good } = await serveFixture(t, 'target-server.ts', { env: { TARGET_OPTS: JSON.stringify({ maxFrameBytes: 1024 }) } });
  const before = await probe(good);

  for (const announced of [1025, 0x7fffffff, 0xffffffff]) {
    const peer = await RawPeer.connect(sock(dir, 'echo'));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(announced, 0);
    // Only the header: if the server waited for (or allocated) the body, no answer would come.
    peer.write(Buffer.concat([PREAMBLE, header]));
    const error = await peer.waitFrame((f) => f[0] === 3 && f[1] === 0);
    assert.ok(error, `an Error frame answers a ${announced}-byte header`);
    assert.equal((error[2] as { code: string }).code, ErrorCode.FrameTooLarge);
    assert.match((error[2] as { message: string }).message, /exceeds the limit of 1024 bytes/);
    await peer.waitClosed();
    assert.deepEqual(peer.invalid, []);
  }
  // A frame exactly at the limit is fine.
  const peer = await RawPeer.connect(sock(dir, 'echo'));
  t.after(() => peer.destroy());
  let pad = 1000;
  let body = encodeValue([1, 1, 'echo', ['x'.repeat(pad)], null, null]);
  while (body.length !== 1024) body = encodeValue([1, 1, 'echo', ['x'.repeat((pad += 1024 - body.length))], null, null]);
  assert.equal(body.length, 1024);
  peer.write(Buffer.concat([PREAMBLE, frame(body)]));
  const reply = await peer.reply(1);
  assert.equal(reply?.[0], 2);

  const after = await probe(good);
  // Nothing near the announced 4 GiB was allocated.
  assert.ok(after.rss - before.rss < 64 * 1024 * 1024, `rss grew by ${after.rss - before.rss}`);
  assert.equal(await good.callFunction('add', [2, 3]), 5);
});

test('a client refuses a reply frame over its own maxFrameBytes', async (t) => {
  const { client: small } = await serveFixture(t, 'target-server.ts', { client: { maxFrameBytes: 1024 } });
  await assert.rejects(small.callFunction('echo', ['y'.repeat(4096)]), (error: unknown) => {
    assert.ok(error instanceof LIPProtocolError);
    assert.equal(error.code, ErrorCode.FrameTooLarge);
    return true;
  });
  // The next call opens a new connection and works.
  assert.equal(await small.callFunction('add', [1, 1]), 2);
});

test('idle connections are closed after idleTimeoutMs; busy ones are not', async (t) => {
  const dir = socketDir(t);
  await startFixture(t, 'target-server.ts', dir, { TARGET_OPTS: JSON.stringify({ idleTimeoutMs: 300 }) });

  await t.test('a client that sends half a frame and stops is closed', async () => {
    // The server's idle clock starts at accept, which may come well before connect() resolves here under load.
    const started = Date.now();
    const peer = await RawPeer.connect(sock(dir, 'echo'));
    const body = encodeValue([1, 1, 'echo', ['z'.repeat(100)], null, null]);
    peer.write(Buffer.concat([PREAMBLE, frame(body).subarray(0, 50)]));
    await peer.waitClosed(5000);
    assert.ok(Date.now() - started >= 250, 'not before the idle timeout');
  });

  await t.test('a client that connects and sends nothing is closed', async () => {
    const peer = await RawPeer.connect(sock(dir, 'echo'));
    await peer.waitClosed(5000);
  });

  await t.test('a client that trickles a frame byte by byte is still closed', async () => {
    const peer = await RawPeer.connect(sock(dir, 'echo'));
    peer.write(PREAMBLE);
    const big = frame(Buffer.alloc(100_000, 0x61));
    let i = 0;
    const trickle = setInterval(() => peer.write(big.subarray(i, ++i)), 20);
    t.after(() => clearInterval(trickle));
    await peer.waitClosed(5000);
    clearInterval(trickle);
  });

  await t.test('a call running longer than the idle timeout keeps its connection', async () => {
    const peer = await RawPeer.connect(sock(dir, 'sleep'));
    peer.write(PREAMBLE);
    peer.send([1, 7, 'sleep', [1200, 'late'], null, null]);
    const reply = await peer.reply(7, 5000);
    assert.deepEqual(reply, [2, 7, 'late']);
    assert.equal(peer.closed, false);
    await peer.waitClosed(5000);
  });

  await t.test('a Python one-shot call running longer than the idle timeout still gets its reply', async () => {
    const reply = await oneShotReply(sock(dir, 'sleep'), { args: [1200, 'one-shot'], kwargs: {} }, { halfClose: true });
    assert.deepEqual(decodeValue(reply), { result: 'one-shot' });
  });

  await t.test('LIPClient reconnects on its own after its idle connection was closed', async () => {
    const client = new LIPClient({ socketDir: dir });
    try {
      assert.equal(await client.callFunction('add', [1, 2]), 3);
      await new Promise((r) => setTimeout(r, 900));
      assert.equal(await client.callFunction('add', [3, 4]), 7);
    } finally {
      client.destroy();
    }
  });
});

test('maxConnections caps the connections a server holds; more are refused cleanly', async (t) => {
  const dir = socketDir(t);
  await startFixture(t, 'target-server.ts', dir, { TARGET_OPTS: JSON.stringify({ maxConnections: 3 }) });
  const path = sock(dir, 'add');
  const held: RawPeer[] = [];
  t.after(() => {
    for (const p of held) p.destroy();
  });
  for (let i = 0; i < 3; i++) {
    const peer = await RawPeer.connect(path);
    peer.write(PREAMBLE);
    assert.ok(await peer.waitFrame((f) => f[0] === 0), 'Hello');
    held.push(peer);
  }
  const refused = await RawPeer.connect(path);
  refused.write(PREAMBLE);
  const error = await refused.waitFrame((f) => f[0] === 3 && f[1] === 0);
  assert.equal((error![2] as { code: string }).code, ErrorCode.Busy);
  assert.match((error![2] as { message: string }).message, /maximum of 3 connections/);
  await refused.waitClosed();
  assert.equal(
    refused.frames.some((f) => (f as unknown[])[0] === 0),
    false,
    'no Hello for a refused connection',
  );

  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  await assert.rejects(client.callFunction('add', [1, 2]), (e: unknown) => e instanceof LIPBusyError && e.code === ErrorCode.Busy);

  // Other functions have their own servers and their own cap.
  assert.equal(await client.callFunction('echo', ['ok']), 'ok');
  // A slot freed is a slot taken again.
  held.pop()!.destroy();
  await until(async () => {
    try {
      return (await client.callFunction('add', [1, 2])) === 3;
    } catch {
      return false;
    }
  }, 5000);
});

test('maxInFlightPerConnection answers calls beyond it with ERR_LIP_BUSY', async (t) => {
  const dir = socketDir(t);
  await startFixture(t, 'target-server.ts', dir, { TARGET_OPTS: JSON.stringify({ maxInFlightPerConnection: 8 }) });
  const peer = await RawPeer.connect(sock(dir, 'sleep'));
  t.after(() => peer.destroy());
  peer.write(PREAMBLE);
  for (let id = 1; id <= 12; id++) peer.send([1, id, 'sleep', [400, id], null, null]);
  const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => peer.reply(i + 1)));
  const ok = replies.filter((r) => r?.[0] === 2).map((r) => r![1]);
  const busy = replies.filter((r) => r?.[0] === 3 && (r[2] as { code: string }).code === ErrorCode.Busy).map((r) => r![1]);
  assert.deepEqual(ok, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(busy, [9, 10, 11, 12]);
  // Slots come back as calls finish.
  peer.send([1, 20, 'sleep', [1, 'again'], null, null]);
  assert.deepEqual(await peer.reply(20), [2, 20, 'again']);
});

test('a client that never reads its replies does not make the server buffer them without bound', async (t) => {
  const { dir, client: good } = await serveFixture(t, 'target-server.ts');
  const before = await probe(good);
  const peer = await RawPeer.connect(sock(dir, 'echo'));
  t.after(() => peer.destroy());
  peer.socket.pause(); // never read
  peer.write(PREAMBLE);
  const payload = Buffer.alloc(1024 * 1024, 7);
  // 256 MiB of replies asked for.
  for (let id = 1; id <= 256; id++) peer.write(frame(encodeValue([1, id, 'echo', [payload], null, null])));
  await new Promise((r) => setTimeout(r, 1500));
  const after = await probe(good);
  const grew = after.rss - before.rss;
  t.diagnostic(`server rss grew by ${(grew / 1048576).toFixed(1)} MiB for 256 MiB of unread replies`);
  assert.ok(grew < 128 * 1024 * 1024, `server rss grew by ${grew} bytes`);
  assert.equal(await good.callFunction('add', [2, 2]), 4);
});

test('the limit options are checked up front', () => {
  const wrap = (options: object) => () => LIPModule(options as never)(function f() {});
  assert.throws(wrap({ idleTimeoutMs: -1 }), /'idleTimeoutMs' must be a whole number >= 0/);
  assert.throws(wrap({ idleTimeoutMs: 1.5 }), /'idleTimeoutMs'/);
  assert.throws(wrap({ maxConnections: 0 }), /'maxConnections' must be a whole number > 0/);
  assert.throws(wrap({ maxInFlightPerConnection: 'many' }), /'maxInFlightPerConnection'/);
  wrap({ idleTimeoutMs: 0, maxConnections: 1, maxInFlightPerConnection: 1 })();
  assert.throws(() => new LIPClient({ trustUids: [-1] }), /'trustUids'/);
});
