/**
 * A hostile (or broken) server against a caller that passes callbacks and iterables, with a raw
 * server speaking the wire: callback calls for unknown calls, for calls that ended, for channels
 * that aren't callbacks, a flood of callback calls, endless credit while never reading, and a
 * malformed callback call. The caller runs nothing it shouldn't, holds bounded memory, and its
 * other calls go on.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, LIPClient, LIPProtocolError, LIPTimeoutError } from '../src/index.js';
import { rawServer } from './helpers/raw-server.js';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';

const CallbackCall = 9;
const CallbackResult = 10;
const CallbackError = 11;
const ArgItem = 12;
const ArgCredit = 14;

test('a server calling back out of turn runs nothing here', async (t) => {
  const dir = socketDir(t);
  const answers: unknown[][] = [];
  await rawServer(t, dir, 'h', (frame, connection) => {
    if (frame[0] === CallbackResult || frame[0] === CallbackError) answers.push(frame);
    if (frame[0] !== 1) return;
    const id = frame[1] as number;
    connection.send([CallbackCall, 999_999, 1, 1, ['unknown call']]);
    connection.send([2, id, 'done']);
    connection.send([CallbackCall, id, 1, 2, ['after the end']]);
  });
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  const ran: unknown[] = [];
  assert.equal(await client.callFunction('h', [(x: unknown) => ran.push(x)]), 'done');
  // The next call (no callbacks) on the same connection: the late callback call still runs nothing.
  assert.equal(await client.callFunction('h', [1]), 'done');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(ran, []);
  assert.deepEqual(answers, []);
});

test('callback calls for unknown calls and channels are not answered with a run', async (t) => {
  const dir = socketDir(t);
  let answers: unknown[][] = [];
  await rawServer(t, dir, 'h2', (frame, connection) => {
    if (frame[0] === CallbackResult || frame[0] === CallbackError) answers.push(frame);
    if (frame[0] !== 1) return;
    const id = frame[1] as number;
    connection.send([CallbackCall, id, 2, 1, ['an iterable, not a callback']]);
    connection.send([CallbackCall, id, 1, 2, [21]]);
  });
  const client = new LIPClient({ socketDir: dir, timeoutMs: 2000 });
  t.after(() => client.destroy());
  async function* source() {
    yield 1;
  }
  answers = [];
  const call = client.callFunction('h2', [(x: number) => x * 2, source()]);
  call.catch(() => {});
  await until(() => answers.length === 2);
  const bySeq = new Map(answers.map((a) => [a[2], a]));
  assert.equal(bySeq.get(1)?.[0], CallbackError);
  assert.equal((bySeq.get(1)![3] as { code: string }).code, ErrorCode.Protocol);
  assert.deepEqual(bySeq.get(2), [CallbackResult, bySeq.get(2)?.[1], 2, 42]);
  await assert.rejects(call, LIPTimeoutError);
});

test('a flood of callback calls runs at most maxCallbackCalls at once; the rest are answered busy', async (t) => {
  const dir = socketDir(t);
  const busy: unknown[][] = [];
  await rawServer(t, dir, 'flood', (frame, connection) => {
    if (frame[0] === CallbackError) busy.push(frame);
    if (frame[0] !== 1) return;
    for (let seq = 1; seq <= 1000; seq++) connection.send([CallbackCall, frame[1], 1, seq, []]);
  });
  const client = new LIPClient({ socketDir: dir, timeoutMs: 3000 });
  t.after(() => client.destroy());
  let running = 0;
  const call = client.callFunction('flood', [
    () => {
      running++;
      return new Promise(() => {});
    },
  ]);
  call.catch(() => {});
  await until(() => busy.length === 744);
  assert.equal(running, 256);
  assert.ok(busy.every((frame) => (frame[3] as { code: string }).code === ErrorCode.Busy));
  await assert.rejects(call, LIPTimeoutError);
});

test("callbacks running hold at most 2 x maxFrameBytes of the server's arguments; the rest are answered busy", async (t) => {
  const dir = socketDir(t);
  const busy: unknown[][] = [];
  await rawServer(t, dir, 'heavy', (frame, connection) => {
    if (frame[0] === CallbackError) busy.push(frame);
    if (frame[0] !== 1) return;
    const big = Buffer.alloc(4 * 1024 * 1024);
    for (let seq = 1; seq <= 20; seq++) connection.send([CallbackCall, frame[1], 1, seq, [big]]);
  });
  // 80 MiB must cross before the call's deadline (calls that come after it are dropped): slow on a loaded machine.
  const client = new LIPClient({ socketDir: dir, timeoutMs: 12_000 });
  t.after(() => client.destroy());
  let running = 0;
  const call = client.callFunction('heavy', [
    () => {
      running++;
      return new Promise(() => {});
    },
  ]);
  call.catch(() => {});
  await until(() => running + busy.length === 20, 12_000);
  // 32 MiB of 4 MiB arguments (and a little framing): 7 run, 13 are refused.
  assert.equal(running, 7);
  assert.ok(busy.every((frame) => (frame[3] as { code: string }).code === ErrorCode.Busy));
  await assert.rejects(call, LIPTimeoutError);
});

test('endless credit from a server that never reads: the caller pulls only what its socket takes', async (t) => {
  const dir = socketDir(t);
  let items = 0;
  await rawServer(t, dir, 'sink', (frame, connection) => {
    if (frame[0] === ArgItem) items++;
    if (frame[0] !== 1) return;
    connection.send([ArgCredit, frame[1], 1, 2 ** 32 - 1]);
    connection.socket.pause();
  });
  const client = new LIPClient({ socketDir: dir, timeoutMs: 1500 });
  t.after(() => client.destroy());
  let pulled = 0;
  let finallyRan = false;
  async function* endless() {
    try {
      for (;;) {
        pulled++;
        yield Buffer.alloc(64 * 1024);
      }
    } finally {
      finallyRan = true;
    }
  }
  await assert.rejects(client.callFunction('sink', [endless()]), LIPTimeoutError);
  // What the kernel's socket buffers and one burst hold, not the credit: a few MiB at most.
  assert.ok(pulled * 64 * 1024 < 16 * 1024 * 1024, `pulled ${pulled} items of 64 KiB`);
  await until(() => finallyRan);
  t.diagnostic(`pulled ${pulled} items of 64 KiB for a server that never read (${items} arrived)`);
});

test('a malformed callback call ends the connection with a protocol error, not the process', async (t) => {
  const dir = socketDir(t);
  await rawServer(t, dir, 'bad', (frame, connection) => {
    if (frame[0] !== 1) return;
    if ((frame[3] as unknown[])[0] === null) connection.send([CallbackCall, frame[1], 1, 1, 'not an array']);
    else connection.send([2, frame[1], 'fine']);
  });
  const client = new LIPClient({ socketDir: dir, timeoutMs: 3000 });
  t.after(() => client.destroy());
  await assert.rejects(client.callFunction('bad', [() => 1]), LIPProtocolError);
  // A new connection serves the next call.
  assert.equal(await client.callFunction('bad', [1]), 'fine');
});
