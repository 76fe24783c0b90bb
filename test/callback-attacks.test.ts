/**
 * Hostile callers against callbacks and iterables as arguments (issue 19), made over a real socket
 * with hand-made frames against a server in its own process: items that decode far bigger than
 * their frames, answers for calls and callback calls that don't exist, credit overrun, nonsense
 * `channels` options, callers that never answer or vanish mid-iterable. The server's RSS is read
 * from /proc; each bad call gets its own typed error and a good client keeps its answers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, LIPArgumentError } from '../src/index.js';
import { joinFrame } from '../src/protocol/frame.js';
import {
  ArgCredit,
  ArgEnd,
  ArgItem,
  ArgStop,
  attackServer,
  Call,
  CallbackCall,
  CallbackError,
  CallbackResult,
  Error_,
  MiB,
} from './helpers/callback-attack.js';
import { rssOf, sampleRssPeak } from './helpers/process-memory.js';
import { encodeValue, type RawPeer } from './helpers/raw-peer.js';
import { until } from './helpers/until.js';
/** The frame of `[kind, id, channel, <raw CBOR>]`: a value written byte by byte. */
function rawItemFrame(id: number, channel: number, raw: Buffer): Buffer {
  const head = encodeValue([ArgItem, id, channel, 0]);
  return joinFrame(Buffer.concat([head.subarray(0, head.length - 1), raw]));
}

/** CBOR of an array of `n` empty maps: 1 byte each on the wire, ~60 bytes each once decoded. */
function emptyMaps(n: number): Buffer {
  const head = Buffer.from([0x9a, 0, 0, 0, 0]);
  head.writeUInt32BE(n, 1);
  return Buffer.concat([head, Buffer.alloc(n, 0xa0)]);
}

function credits(peer: RawPeer, id: number, channel: number): number[] {
  return peer.frames.filter((f) => Array.isArray(f) && f[0] === ArgCredit && f[1] === id && f[2] === channel).map((f) => (f as number[])[3]!);
}

test('iterable items are weighed as they decode, not as their frames: small frames of empty maps are refused once the budget is full', async (t) => {
  const s = await attackServer(t);
  const peer = await s.connect('hold');
  const channels = 3;
  peer.send([Call, 1, 'hold', Array(channels).fill(null), null, { channels: Array.from({ length: channels }, (_, i) => [i + 1, 1, [i]]), timeoutMs: 30_000 }]);
  // A tiny first item each: the server then grants a window sized by it (16 items).
  for (let ch = 1; ch <= channels; ch++) {
    await peer.waitFrame((f) => f[0] === ArgCredit && f[1] === 1 && f[2] === ch);
    peer.send([ArgItem, 1, ch, 1]);
  }
  await until(() => [1, 2, 3].every((ch) => credits(peer, 1, ch).length === 2));
  const granted = credits(peer, 1, 1)[1]!;
  t.diagnostic(`granted ${granted} items after a 1-byte item`);
  // Then every granted item as 150 KB of empty maps: ~8.5 MiB each once decoded (~15.6 MiB estimated).
  const big = emptyMaps(150_000);
  const before = rssOf(s.pid);
  const peak = sampleRssPeak(s.pid, { everyMs: 20, start: before });
  t.after(() => peak.stop());
  for (let ch = 1; ch <= channels; ch++) for (let i = 0; i < granted; i++) peer.write(rawItemFrame(1, ch, big));
  // Counted as frames (7 MiB in all) they would all be held; counted as decoded, the streams are stopped.
  await until(() => [1, 2, 3].every((ch) => peer.frames.some((f) => Array.isArray(f) && f[0] === ArgStop && f[2] === ch)), 30_000);
  await s.alive();
  peak.stop();
  const grew = (peak.peak() - before) / MiB;
  t.diagnostic(`${channels * granted} items of ${big.length} bytes: server RSS ${Math.round(before / MiB)} MiB, peak +${grew.toFixed(0)} MiB`);
  // Held as frames: ~48 x 8.5 MiB = 400 MiB. Weighed as decoded: one connection's budget (32 MiB estimated) plus what decoding leaves for the GC.
  assert.ok(grew < 300, `server RSS grew by ${grew.toFixed(0)} MiB`);
});

test("a call's arguments are held as they decode: calls of small frames of empty maps kept waiting on a callback are refused busy once the budget is full", async (t) => {
  const s = await attackServer(t);
  const peer = await s.connect('awaitCallback');
  // [1, id, 'awaitCallback', [null, <300,000 empty maps>], null, {channels, timeoutMs}], written by hand.
  const head = Buffer.from(encodeValue([Call, 0, 'awaitCallback']));
  head[0] = 0x86;
  const args = Buffer.concat([Buffer.from([0x82, 0xf6]), emptyMaps(150_000)]);
  const tail = encodeValue([null, { channels: [[1, 0, [0]]], timeoutMs: 20_000 }]).subarray(1);
  const calls = 12;
  const before = rssOf(s.pid);
  for (let id = 1; id <= calls; id++) {
    const idHead = Buffer.from(head);
    // The id is the second item: a one-byte uint (ids 1..23).
    idHead[2] = id;
    peer.write(joinFrame(Buffer.concat([idHead, args, tail])));
  }
  const answered = () => new Set(peer.frames.filter((f) => Array.isArray(f) && (f[0] === CallbackCall || f[0] === Error_)).map((f) => (f as number[])[1])).size;
  await until(() => answered() === calls, 40_000);
  const busy = peer.frames.filter((f) => Array.isArray(f) && f[0] === Error_ && (f[2] as { code: string }).code === ErrorCode.Busy);
  const waiting = peer.frames.filter((f) => Array.isArray(f) && f[0] === CallbackCall);
  t.diagnostic(
    `${calls} calls of ${args.length} bytes (~8.5 MiB decoded each): ${waiting.length} wait on their callback, ${busy.length} refused busy; RSS ${Math.round(before / MiB)} -> ${Math.round(rssOf(s.pid) / MiB)} MiB`,
  );
  // Counted as frames (1.8 MiB) all 12 would be held (~100 MiB); as decoded (~15.6 MiB each), one connection's 32 MiB holds two.
  assert.ok(busy.length >= calls - 3, `${busy.length} refused`);
  await s.alive();
});

/** The frames the server sent about call `id`. */
function about(peer: RawPeer, id: number): unknown[][] {
  return peer.frames.filter((f) => Array.isArray(f) && f[1] === id) as unknown[][];
}

test('answers and items for calls, callback calls and channels that do not exist run nothing; a duplicate answer is dropped', async (t) => {
  const s = await attackServer(t);
  const peer = await s.connect('echoThrough');
  // Nothing is running: all of these are dropped, no reply.
  peer.send([CallbackResult, 999, 1, 'stray']);
  peer.send([CallbackError, 999, 1, { name: 'E', message: 'stray' }]);
  peer.send([ArgItem, 999, 1, 'stray']);
  peer.send([ArgEnd, 999, 1]);
  peer.send([Call, 1, 'echoThrough', [null, 'hello'], null, { channels: [[1, 0, [0]]], timeoutMs: 10_000 }]);
  const callback = await peer.waitFrame((f) => f[0] === CallbackCall && f[1] === 1);
  assert.deepEqual(callback, [CallbackCall, 1, 1, 1, ['hello']]);
  // A result for a callback call never made, an item and an end for a channel that is a callback, one for a channel it doesn't have.
  peer.send([CallbackResult, 1, 77, 'never asked']);
  peer.send([ArgItem, 1, 1, 'not an iterable']);
  peer.send([ArgEnd, 1, 1, { name: 'E', message: 'not an iterable' }]);
  peer.send([ArgItem, 1, 9, 'no such channel']);
  // Then the answer, twice: the first one counts.
  peer.send([CallbackResult, 1, 1, 'first']);
  peer.send([CallbackResult, 1, 1, 'second']);
  assert.deepEqual(await peer.reply(1), [2, 1, 'first']);
  // After the end: dropped too.
  peer.send([CallbackError, 1, 1, { name: 'E', message: 'late' }]);
  peer.send([Call, 2, 'echoThrough', [null, 2], null, { channels: [[1, 0, [0]]], timeoutMs: 10_000 }]);
  await peer.waitFrame((f) => f[0] === CallbackCall && f[1] === 2);
  peer.send([CallbackError, 2, 1, { name: 'RangeError', message: 'no', code: 'E_NO' }]);
  const failed = (await peer.reply(2))!;
  assert.equal(failed[0], Error_);
  assert.equal((failed[2] as { name: string }).name, 'LIPRemoteError');
  assert.deepEqual(
    peer.frames.filter((f) => Array.isArray(f) && (f[0] === Error_ || f[0] === 2)).length,
    2,
    'nothing but the two replies: the stray frames were dropped without an answer',
  );
  await s.alive();
});

test('malformed channel frames and nonsense channels options fail only their own call, with a typed error', async (t) => {
  const s = await attackServer(t);
  const peer = await s.connect('echoThrough');
  const bad: [string, unknown][] = [
    ['not an array', 'x'],
    ['an entry not a triple', [[1, 0]]],
    ['channel 0', [[0, 0, [0]]]],
    ['negative channel', [[-1, 0, [0]]]],
    ['fractional channel', [[1.5, 0, [0]]]],
    ['channel over 2^32-1', [[2 ** 40, 0, [0]]]],
    ['NaN channel', [[Number.NaN, 0, [0]]]],
    ['unknown kind', [[1, 7, [0]]]],
    ['a path past the arguments', [[1, 0, [5]]]],
    ['a path to a value, not null', [[1, 0, [1]]]],
    ['a path into a non-object', [[1, 0, [1, 'p']]]],
    ['a kwargs path without kwargs', [[1, 0, ['k']]]],
    ['__proto__ as a property', [[1, 0, [0, '__proto__']]]],
    [
      'the same slot twice',
      [
        [1, 0, [0]],
        [2, 1, [0]],
      ],
    ],
    [
      'the same id twice',
      [
        [1, 0, [0]],
        [1, 0, [0]],
      ],
    ],
    ['a path of three', [[1, 0, [0, 'a', 'b']]]],
  ];
  let id = 0;
  for (const [what, channels] of bad) {
    id++;
    peer.send([Call, id, 'echoThrough', [null, 'v'], null, { channels, timeoutMs: 5000 }]);
    const reply = await peer.reply(id);
    assert.equal(reply?.[0], Error_, what);
    assert.equal((reply![2] as { code: string }).code, ErrorCode.Protocol, what);
  }
  // 10,000 channels declared: refused by count before any is looked at.
  id++;
  peer.send([Call, id, 'echoThrough', Array(10_000).fill(null), null, { channels: Array.from({ length: 10_000 }, (_, i) => [i + 1, 0, [i]]) }]);
  const many = (await peer.reply(id))!;
  assert.equal((many[2] as { code: string }).code, ErrorCode.Argument);
  // Malformed channel messages: a typed error naming the call, the connection stays.
  id++;
  peer.send([Call, id, 'echoThrough', [null, 'v'], null, { channels: [[1, 0, [0]]], timeoutMs: 5000 }]);
  await peer.waitFrame((f) => f[0] === CallbackCall && f[1] === id);
  for (const frame of [
    [CallbackResult, id, 2 ** 40, 'seq too big'],
    [CallbackResult, id, -1, 'negative seq'],
    [CallbackError, id, 1, 'not an error shape'],
    [ArgItem, id, 1],
    [ArgEnd, id, 0],
  ]) {
    const before = about(peer, id).length;
    peer.send(frame);
    await until(() => about(peer, id).length > before);
    const last = about(peer, id).at(-1)!;
    assert.equal(last[0], Error_, JSON.stringify(frame));
    assert.equal((last[2] as { code: string }).code, ErrorCode.Protocol);
  }
  // The call itself still gets its answer.
  peer.send([CallbackResult, id, 1, 'still here']);
  await until(() => about(peer, id).some((f) => f[0] === 2));
  assert.deepEqual(
    about(peer, id).find((f) => f[0] === 2),
    [2, id, 'still here'],
  );
  assert.equal(peer.closed, false);
  await s.alive();
});

test('a caller that never answers its callback calls: each deadline frees its call and its slot; the connection goes on', async (t) => {
  const s = await attackServer(t);
  const peer = await s.connect('awaitCallback');
  // More calls than maxCallbackCalls (256), each awaiting a callback this caller never answers.
  const calls = 300;
  for (let id = 1; id <= calls; id++) peer.send([Call, id, 'awaitCallback', [null], null, { channels: [[1, 0, [0]]], timeoutMs: 300 }]);
  // The server answers no call its deadline ended (the caller times out on its own); the function saw how each ended.
  const ended: string[] = [];
  await until(async () => {
    ended.push(...((await s.good.callFunction('state', [])) as { ended: string[] }).ended);
    return ended.length === calls;
  }, 30_000);
  const outcomes: Record<string, number> = {};
  for (const e of ended) outcomes[e] = (outcomes[e] ?? 0) + 1;
  const called = peer.frames.filter((f) => Array.isArray(f) && f[0] === CallbackCall).length;
  t.diagnostic(`${calls} calls never answered: ${called} callback calls sent; the function saw ${JSON.stringify(outcomes)}`);
  // At most maxCallbackCalls (256) wait at once, the rest are refused busy at once; every wait ends with its deadline.
  // (The library's LIPTimeoutError; the function's signal itself carries the standard TimeoutError.)
  assert.equal(called, outcomes[`LIPTimeoutError:${ErrorCode.Timeout}`]);
  assert.equal(called + (outcomes[`LIPBusyError:${ErrorCode.Busy}`] ?? 0), calls);
  // Every slot was given back: the next call's callback is called and its answer counts.
  peer.send([Call, 1000, 'awaitCallback', [null, 'again'], null, { channels: [[1, 0, [0]]], timeoutMs: 10_000 }]);
  const callback = await peer.waitFrame((f) => f[0] === CallbackCall && f[1] === 1000);
  peer.send([CallbackResult, 1000, callback![3], 'answered']);
  assert.deepEqual(await peer.reply(1000), [2, 1000, 'answered']);
  await s.alive();
});

test('items beyond the credit, and a caller gone mid-iterable, fail only the function reading them', async (t) => {
  const s = await attackServer(t);
  const peer = await s.connect('drain');
  peer.send([Call, 1, 'drain', [null], null, { channels: [[1, 1, [0]]], timeoutMs: 10_000 }]);
  await peer.waitFrame((f) => f[0] === ArgCredit && f[1] === 1);
  // 1,000 items where 1 was asked for.
  for (let i = 0; i < 1000; i++) peer.send([ArgItem, 1, 1, i]);
  const overrun = (await peer.reply(1))!;
  assert.equal(overrun[0], 2);
  assert.match(String((overrun[2] as string[])[0]), /LIPProtocolError:ERR_LIP_PROTOCOL/);
  assert.ok(peer.frames.some((f) => Array.isArray(f) && f[0] === ArgStop && f[1] === 1));
  // A second caller sends some items, then vanishes.
  const gone = await s.connect('drain');
  gone.send([
    Call,
    1,
    'drain',
    [null, null],
    null,
    {
      channels: [
        [1, 1, [0]],
        [2, 1, [1]],
      ],
      timeoutMs: 10_000,
    },
  ]);
  await gone.waitFrame((f) => f[0] === ArgCredit && f[2] === 2);
  gone.send([ArgItem, 1, 1, 'one']);
  gone.send([ArgItem, 1, 2, 'two']);
  await gone.waitFrame((f) => f[0] === ArgCredit && f[2] === 1 && f[3] !== 1);
  gone.destroy();
  await s.alive();
  // A good client's upload on the same server.
  async function* numbers() {
    for (let i = 0; i < 100; i++) yield i;
  }
  assert.deepEqual(await s.good.callFunction('drain', [numbers()]), [100]);
});

test('a good caller whose items grow past what its credit was sized for gets a busy error, not a protocol error', async (t) => {
  // maxFrameBytes 4 MiB: a connection holds 8 MiB.
  const s = await attackServer(t, { ATTACK_LIMITS: JSON.stringify({ maxFrameBytes: 4 * MiB }) });
  async function* growing() {
    // A 1-byte header sizes the window (16 items); then 1 MiB chunks, all within the credit given.
    yield Buffer.alloc(1);
    for (let i = 0; i < 24; i++) yield Buffer.alloc(MiB, i);
  }
  const outcome = await s.good.callFunction('readLater', [growing(), 3000]);
  t.diagnostic(`readLater: ${String(outcome)}`);
  // Either all were read (the socket was slow enough) or the loop failed busy; never ERR_LIP_PROTOCOL.
  assert.ok(outcome === 25 || /^\d+ then LIPBusyError:ERR_LIP_BUSY$/.test(String(outcome)), String(outcome));
  await s.alive();
});

test("a callback named 'then' is refused at both ends: it would make its object a thenable that the function's call waits on for good", async (t) => {
  // Before: giveBack returned { then: <the caller's callback> }, the server awaited it as a thenable,
  // and the call never ended: its concurrency slot was held after the caller had gone, wedging the function.
  const s = await attackServer(t);
  const peer = await s.connect('giveBack');
  for (let id = 1; id <= 3; id++) {
    // biome-ignore lint/suspicious/noThenProperty: the slot under test
    peer.send([Call, id, 'giveBack', [{ then: null, v: id }], null, { channels: [[1, 0, [0, 'then']]], timeoutMs: 2000 }]);
    const reply = (await peer.reply(id))!;
    assert.equal(reply[0], Error_);
    assert.equal((reply[2] as { code: string }).code, ErrorCode.Argument);
    assert.match((reply[2] as { message: string }).message, /args\[0\]\.then: a callback can't be named 'then'/);
  }
  // The one slot of giveBack is free: a good call is answered at once, and nothing is left running.
  assert.deepEqual(await s.good.callFunction('giveBack', [{ v: 4 }]), { v: 4 });
  assert.equal((await s.good.stats('giveBack')).inFlight, 0);
  // A good client is told before anything is sent.
  await assert.rejects(
    // biome-ignore lint/suspicious/noThenProperty: the slot under test
    s.good.callFunction('giveBack', [{ then: () => 1 }]),
    (error: unknown) => error instanceof LIPArgumentError && /args\[0\]\.then: a callback can't be named 'then'/.test(error.message),
  );
  await s.alive();
});

test('items still unread when the caller ended its iterable are given back when the call ends, though the function never left a loop', async (t) => {
  // Before: a function reading one item with next() and returning kept the rest charged to the memory
  // budget for the life of the connection; 24 such calls filled an 8 MiB account and a good upload waited.
  const s = await attackServer(t, { ATTACK_LIMITS: JSON.stringify({ maxFrameBytes: 4 * MiB, maxConnectionBytes: 4 * MiB, maxServerBytes: 8 * MiB }) });
  // 500 empty maps: a frame of about 500 bytes that counts as about 60 KB once decoded.
  const item = Array.from({ length: 500 }, () => ({}));
  let id = 0;
  for (let c = 0; c < 8; c++) {
    const peer = await s.connect('first');
    for (let n = 0; n < 3; n++) {
      id++;
      peer.send([Call, id, 'first', [null], null, { channels: [[1, 1, [0]]], timeoutMs: 10_000 }]);
      await peer.waitFrame((f) => f[0] === ArgCredit && f[1] === id);
      // The first item (its credit), fifteen more within the credit it earns, then the end: in one write.
      const frames = Array.from({ length: 16 }, () => joinFrame(encodeValue([ArgItem, id, 1, item])));
      peer.write(Buffer.concat([...frames, joinFrame(encodeValue([ArgEnd, id, 1]))]));
      const reply = (await peer.reply(id))!;
      assert.deepEqual(reply, [2, id, 'an item']);
    }
  }
  // A good caller's upload of a 2 MiB chunk fits the account again.
  async function* chunks() {
    yield Buffer.alloc(2 * MiB, 1);
  }
  assert.equal(await s.good.callFunction('first', [chunks()], {}, { timeoutMs: 5000 }), 2 * MiB);
  await s.alive();
});
