/** lipmodule itself, through its public API (the built package in dist/). */
import { pino } from 'pino';
import { LIPClient, LIPModule } from '../../dist/index.js';
import { blobs, workload } from '../lib/work.mjs';

const quiet = { logLevel: 'silent' };

function served(dir, mode) {
  const wrap = (options, fn) => LIPModule({ ...quiet, socketDir: dir, ...options })(fn);
  if (mode === 'list100') {
    return Array.from({ length: 100 }, (_, i) => wrap({ name: `f${String(i).padStart(3, '0')}` }, (a, b) => a + b));
  }
  const add = wrap({}, function add(a, b) {
    return a + b;
  });
  if (mode === 'init') return [add];
  return [
    add,
    wrap({}, function echo(value) {
      return value;
    }),
    wrap({ name: 'addc', lru: true }, function add(a, b) {
      return a + b;
    }),
    // Logging at 'info' (per-call lines off), and at 'debug' with every call's line written to /dev/null.
    wrap({ name: 'addInfo', logLevel: 'info', logger: pino({ level: 'info' }, pino.destination('/dev/null')) }, function add(a, b) {
      return a + b;
    }),
    wrap({ name: 'addDebug', logLevel: 'debug', logger: pino({ level: 'debug' }, pino.destination('/dev/null')) }, function add(a, b) {
      return a + b;
    }),
    wrap({}, function work(n) {
      return workload(n);
    }),
    wrap({ name: 'workc', lru: true }, function work(n) {
      return workload(n);
    }),
    wrap({}, async function* count(n) {
      for (let i = 0; i < n; i++) yield i;
    }),
    wrap({}, blobs),
    // Issue 19: callbacks and iterables as arguments.
    wrap({}, async function fanout(n, callback) {
      let sum = 0;
      let next = 0;
      const lane = async () => {
        while (next < n) {
          const value = await callback(next++);
          sum += value;
        }
      };
      await Promise.all(Array.from({ length: 64 }, lane));
      return sum;
    }),
    wrap({}, async function upload(chunks) {
      let bytes = 0;
      for await (const chunk of chunks) bytes += chunk.length;
      return bytes;
    }),
  ];
}

export async function serve({ dir, mode }) {
  const functions = served(dir, mode);
  await Promise.all(functions.map((f) => f.init()));
  return { close: () => Promise.all(functions.map((f) => f.exit({ timeoutMs: 1000 }))) };
}

export async function connect({ dir, streamWindow }) {
  const client = new LIPClient({ socketDir: dir, streamWindow });
  return {
    call: (fn, args) => client.callFunction(fn, args),
    stream: (fn, args) => client.stream(fn, args),
    close: () => client.close(),
  };
}

/** A fresh client: list the 100 functions, then call one. */
export async function listAndCall({ dir }) {
  const client = new LIPClient({ socketDir: dir });
  try {
    const names = await client.listFunctions();
    if (names.length !== 100) throw new Error(`listFunctions found ${names.length} functions, expected 100`);
    const sum = await client.callFunction(names[0], [2, 3]);
    if (sum !== 5) throw new Error(`unexpected answer ${sum}`);
  } finally {
    await client.close();
  }
}

/** `n` clients, each with its connection open and greeted (a ping answered), then idle. */
export async function openIdle({ dir, n }) {
  const clients = [];
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, () => new LIPClient({ socketDir: dir }));
    await Promise.all(batch.map((c) => c.ping('add')));
    clients.push(...batch);
  }
  return { close: () => Promise.all(clients.map((c) => c.close())) };
}
