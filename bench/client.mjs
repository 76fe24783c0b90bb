/**
 * Client process of one benchmark cell: `node bench/client.mjs <peer> <config json>`.
 * Commands come over IPC from the runner:
 *   load   → connect, warm up, report `warm`; on `go` run timed windows and report `result`
 *   init   → connect and make the first call at once, report when it was answered (`answered`)
 *   list   → `reps` fresh clients each listing functions and making one call (`result`)
 *   idle   → open `n` idle connections (`opened`), close them on `stop`
 */
import { loadPeer } from './peers/index.mjs';
import { Samples } from './lib/stats.mjs';
import { ownCpuUs } from './lib/usage.mjs';
import { workload } from './lib/work.mjs';

const [peerId, configJson] = process.argv.slice(2);
const config = JSON.parse(configJson);
process.on('disconnect', () => process.exit(0));

const inbox = [];
let waiting;
process.on('message', (message) => {
  if (waiting && waiting.type === message.type) {
    const w = waiting;
    waiting = undefined;
    w.resolve(message);
  } else inbox.push(message);
});
function next(type) {
  const i = inbox.findIndex((m) => m.type === type || m.type === 'stop');
  if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]);
  return new Promise((resolve) => (waiting = { type, resolve }));
}

const now = () => performance.now();
// process.send is asynchronous: exiting right after it can lose the message.
const send = (message) => new Promise((resolve) => process.send(message, resolve));

/** What one call of the workload sends, and a check of the answer. */
function callOf(conn, fn) {
  if (fn === 'echo') {
    const payload = Buffer.alloc(config.payloadBytes ?? 1 << 20, 0x5a);
    return async () => {
      const back = await conn.call('echo', [payload]);
      if (back.length !== payload.length) throw new Error(`echo returned ${back.length} bytes`);
    };
  }
  if (fn === 'count') {
    // One "call" is a whole stream read to its end: `count(n)` yields 0..n-1.
    const n = config.streamItems;
    return async () => {
      let read = 0;
      for await (const item of conn.stream('count', [n])) if (item !== read++) throw new Error(`item ${read - 1} was ${item}`);
      if (read !== n) throw new Error(`the stream ended after ${read} of ${n} items`);
    };
  }
  if (fn === 'blobs') {
    // `blobs(n, bytes)` yields n Buffers of that size.
    const { streamItems: n, itemBytes } = config;
    return async () => {
      let read = 0;
      for await (const item of conn.stream('blobs', [n, itemBytes])) {
        if (item.length !== itemBytes) throw new Error(`item ${read} has ${item.length} bytes`);
        read++;
      }
      if (read !== n) throw new Error(`the stream ended after ${read} of ${n} items`);
    };
  }
  if (fn === 'fanout') {
    const n = config.callbacks;
    const expected = (n * (n - 1)) / 2;
    return async () => {
      if ((await conn.call('fanout', [n, (i) => i])) !== expected) throw new Error('fanout answered wrongly');
    };
  }
  if (fn === 'upload') {
    const total = config.payloadBytes;
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    async function* chunks() {
      for (let sent = 0; sent < total; sent += chunk.length) yield chunk;
    }
    return async () => {
      if ((await conn.call('upload', [chunks()])) !== total) throw new Error('upload answered wrongly');
    };
  }
  if (fn === 'work' || fn === 'workc') {
    const n = config.workN;
    const expected = workload(n);
    return async () => {
      if ((await conn.call(fn, [n])) !== expected) throw new Error(`${fn} answered wrongly`);
    };
  }
  // add / addc: cached variants repeat the same arguments so every call after the first is a hit.
  const fixed = fn === 'addc' || config.fixedArgs;
  let i = 0;
  return async () => {
    const a = fixed ? 3 : i++ & 1023;
    if ((await conn.call(fn, [a, 7])) !== a + 7) throw new Error(`${fn} answered wrongly`);
  };
}

/** `inflight` workers call back to back; windows close on the clock as answers arrive. */
async function drive(call, inflight, windows, windowMs, samples) {
  const counts = [];
  const durations = [];
  let count = 0;
  let total = 0;
  let start = now();
  let end = start + windowMs;
  let done = windows === 0;
  const worker = async () => {
    while (!done) {
      const t = now();
      await call();
      const e = now();
      total++;
      if (done) continue;
      samples?.add((e - t) * 1000);
      count++;
      if (e >= end) {
        counts.push(count);
        durations.push(e - start);
        count = 0;
        start = e;
        end = e + windowMs;
        if (counts.length >= windows) done = true;
      }
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  return { counts, durations, total };
}

async function load(message) {
  const conn = await peer.module.connect(options);
  const call = callOf(conn, message.fn);
  // Warm-up: a fixed time, not counted.
  const warmUntil = now() + message.warmupMs;
  await Promise.all(
    Array.from({ length: message.inflight }, async () => {
      while (now() < warmUntil) await call();
    }),
  );
  await send({ type: 'warm' });
  const go = await next('go');
  if (go.type === 'stop') return;
  const samples = new Samples();
  const cpu0 = ownCpuUs();
  const { counts, durations, total } = await drive(call, message.inflight, message.windows, message.windowMs, samples);
  const cpuUs = ownCpuUs() - cpu0;
  await send({ type: 'result', counts, durations, total, cpuUs, samples: samples.values() });
  await conn.close();
}

async function init() {
  await next('call');
  const conn = await peer.module.connect(options);
  await callOf(conn, 'add')();
  await send({ type: 'answered', t1: performance.timeOrigin + now() });
  await conn.close();
}

async function list(message) {
  const samples = new Samples();
  const cpu0 = ownCpuUs();
  for (let i = 0; i < message.reps; i++) {
    const t = now();
    await peer.module.listAndCall(options);
    samples.add((now() - t) * 1000);
  }
  await send({ type: 'result', cpuUs: ownCpuUs() - cpu0, total: message.reps, samples: samples.values() });
}

async function idle(message) {
  const handle = await peer.module.openIdle({ ...options, n: message.n });
  await send({ type: 'opened' });
  await next('stop');
  await handle.close();
}

// Listening (above) before anything async: IPC messages that arrive with no listener are lost.
// The `telemetry` workload: what the application registered of OpenTelemetry, before lipmodule makes a call.
if (config.telemetry) (await import('./lib/telemetry.mjs')).setUpTelemetry(config.telemetry);
const peer = await loadPeer(peerId);
const options = { ...peer.options, ...config };
process.send({ type: 'loaded' });

const command = await next(config.command);
const run = { load, init, list, idle }[config.command];
try {
  await run(command);
  process.exit(0);
} catch (error) {
  await send({ type: 'error', message: error.stack ?? String(error) });
  process.exit(1);
}
