/**
 * Hostile callers against callbacks and iterables as arguments (issue 19), made over a real socket
 * with hand-made frames against a server in its own process: items that decode far bigger than
 * their frames, answers for calls and callback calls that don't exist, credit overrun, nonsense
 * `channels` options, callers that never answer or vanish mid-iterable. The server's RSS is read
 * from /proc; each bad call gets its own typed error and a good client keeps its answers.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ErrorCode, LIPClient } from '../src/index.js';
import { joinFrame } from '../src/protocol/frame.js';
import { startFixture } from './helpers/fixture-server.js';
import { rssOf, sampleRssPeak } from './helpers/process-memory.js';
import { encodeValue, PREAMBLE, RawPeer } from './helpers/raw-peer.js';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';

const MiB = 1024 * 1024;
const Call = 1;
const Error_ = 3;
const CallbackCall = 9;
const CallbackResult = 10;
const CallbackError = 11;
const ArgItem = 12;
const ArgEnd = 13;
const ArgCredit = 14;
const ArgStop = 15;

async function attackServer(t: TestContext, env: Record<string, string> = {}) {
  const dir = socketDir(t);
  const server = await startFixture(t, 'callback-attack-server.ts', dir, env);
  const pid = server.child.pid!;
  const good = new LIPClient({ socketDir: dir, timeoutMs: 20_000 });
  t.after(() => good.destroy());
  const connect = async (fn: string) => {
    const peer = await RawPeer.connect(join(dir, `lipcm-${fn}.sock`));
    t.after(() => peer.destroy());
    peer.write(PREAMBLE);
    await peer.waitFrame((f) => f[0] === 0);
    return peer;
  };
  /** A good client's call is still answered right. */
  const alive = async () => assert.equal(await good.callFunction('ping2', [41]), 42);
  return { dir, server, pid, good, connect, alive };
}

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
  // Then every granted item as 300 KB of empty maps: ~17 MiB each once decoded.
  const big = emptyMaps(300_000);
  const before = rssOf(s.pid);
  const peak = sampleRssPeak(s.pid, { everyMs: 20, start: before });
  t.after(() => peak.stop());
  for (let ch = 1; ch <= channels; ch++) for (let i = 0; i < granted; i++) peer.write(rawItemFrame(1, ch, big));
  // Counted as frames (14 MiB in all) they would all be held; counted as decoded, the streams are stopped.
  await until(() => [1, 2, 3].every((ch) => peer.frames.some((f) => Array.isArray(f) && f[0] === ArgStop && f[2] === ch)), 30_000);
  await s.alive();
  peak.stop();
  const grew = (peak.peak() - before) / MiB;
  t.diagnostic(`${channels * granted} items of ${big.length} bytes: server RSS ${Math.round(before / MiB)} MiB, peak +${grew.toFixed(0)} MiB`);
  // Held as frames: ~48 x 17 MiB = 800 MiB. Weighed as decoded: one connection's budget (32 MiB estimated) plus what decoding leaves for the GC.
  assert.ok(grew < 450, `server RSS grew by ${grew.toFixed(0)} MiB`);
});

test("a call's arguments are held as they decode: calls of small frames of empty maps kept waiting on a callback are refused busy once the budget is full", async (t) => {
  const s = await attackServer(t);
  const peer = await s.connect('awaitCallback');
  // [1, id, 'awaitCallback', [null, <300,000 empty maps>], null, {channels, timeoutMs}], written by hand.
  const head = Buffer.from(encodeValue([Call, 0, 'awaitCallback']));
  head[0] = 0x86;
  const args = Buffer.concat([Buffer.from([0x82, 0xf6]), emptyMaps(300_000)]);
  const tail = encodeValue([null, { channels: [[1, 0, [0]]], timeoutMs: 20_000 }]).subarray(1);
  const calls = 20;
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
    `${calls} calls of ${args.length} bytes (~17 MiB decoded each): ${waiting.length} wait on their callback, ${busy.length} refused busy; RSS ${Math.round(before / MiB)} -> ${Math.round(rssOf(s.pid) / MiB)} MiB`,
  );
  // Counted as frames (6 MiB) all 20 would be held (~340 MiB); as decoded, one connection's 32 MiB holds one.
  assert.ok(busy.length >= calls - 2, `${busy.length} refused`);
  await s.alive();
});
