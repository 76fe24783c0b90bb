/**
 * `npm run attack`: the hostile load of issue 12 (items 5-9) against one server
 * process, each attack made by ATTACK_CONNECTIONS connections at once (50),
 * while a good client calls `add` with 2 s deadlines. Prints a table: attack,
 * server RSS before / peak / after (after: once the attackers left and the
 * server collected its garbage), and the good calls answered / failed.
 * Exits 1 if the server died, a good call failed, RSS grew past the server-wide
 * budget (ATTACK_BUDGET_MIB, 512) or did not come back within 64 MiB.
 *
 *   npm run attack                       every attack, 50 connections each
 *   npm run attack -- 10 trickle held    10 connections, two attacks
 */
import { spawn } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { LIPClient } from '../../src/index.js';
import { encodeValue } from '../../src/protocol/codec.js';
import { DEFAULT_MAX_FRAME_BYTES, PREAMBLE } from '../../src/protocol/frame.js';
import { watchOutput } from '../helpers/child-output.js';
import { startFixture } from '../helpers/fixture-server.js';
import { FIXTURES } from '../helpers/paths.js';
import { rssOf, sampleRssPeak } from '../helpers/process-memory.js';
import { cbor, frame, head } from '../helpers/raw-cbor.js';
import { runScript } from '../helpers/script-run.js';
import { socketDir } from '../helpers/temp-dir.js';

const MiB = 1024 * 1024;
const args = process.argv.slice(2);
const connections = Number(args.find((a) => /^\d+$/.test(a)) ?? process.env.ATTACK_CONNECTIONS ?? '50');
const only = args.filter((a) => !/^\d+$/.test(a));
const budgetMiB = Number(process.env.ATTACK_BUDGET_MIB ?? '512');
const ATTACK_MS = Number(process.env.ATTACK_MS ?? '6000');
const SETTLE_MS = 3000;

type Attack = {
  name: string;
  item: number;
  what: string;
  /** Opens one attacking connection and starts the attack on it; returns a function that stops it. */
  start(path: (fn: string) => string): Promise<() => void>;
};

function call(id: number, fn: string, args: unknown[], options: Record<string, unknown> | null = null): Buffer {
  return frame(encodeValue([1, id, fn, args, null, options]));
}

/** The same bytes for every attacking connection, built once (building 50 copies would tax this process, not the server). */
const built = new Map<string, Buffer>();
function once(key: string, build: () => Buffer): Buffer {
  let bytes = built.get(key);
  if (!bytes) built.set(key, (bytes = build()));
  return bytes;
}

function open(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A connection that says hello and never reads what it is sent. */
async function deaf(path: string): Promise<Socket> {
  const socket = await open(path);
  socket.on('error', () => {});
  socket.pause();
  socket.write(PREAMBLE);
  return socket;
}

const attacks: Attack[] = [
  {
    name: 'stream-credit',
    item: 5,
    what: 'bigen(3000, 1 MiB) streamed with credit 2^32-1, never read',
    async start(path) {
      const socket = await deaf(path('bigen'));
      socket.write(call(1, 'bigen', [3000, MiB], { stream: true, credit: 0xffffffff }));
      return () => socket.destroy();
    },
  },
  {
    name: 'fast-generator',
    item: 5,
    what: 'an endless generator with no await, streamed to a reader that keeps up',
    async start(path) {
      const socket = await open(path('fastgen'));
      socket.on('error', () => {});
      socket.on('data', () => {});
      socket.write(Buffer.concat([PREAMBLE, call(1, 'fastgen', [], { stream: true, credit: 0xffffffff })]));
      return () => socket.destroy();
    },
  },
  {
    name: 'unread-replies',
    item: 6,
    what: '3000 calls for 1 MiB replies in one write, never read',
    async start(path) {
      const socket = await deaf(path('bigreply'));
      socket.write(once('unread', () => Buffer.concat(Array.from({ length: 3000 }, (_, i) => call(i + 1, 'bigreply', [MiB])))));
      return () => socket.destroy();
    },
  },
  {
    name: 'late-replies',
    item: 6,
    what: '3000 calls for 1 MiB replies that come 100 ms later, never read',
    async start(path) {
      const socket = await deaf(path('lateReply'));
      socket.write(once('late', () => Buffer.concat(Array.from({ length: 3000 }, (_, i) => call(i + 1, 'lateReply', [100, MiB])))));
      return () => socket.destroy();
    },
  },
  {
    name: 'trickle',
    item: 7,
    what: 'a 16 MiB frame header, then 1-byte writes',
    async start(path) {
      const socket = await open(path('add'));
      socket.on('error', () => {});
      const header = Buffer.alloc(4);
      header.writeUInt32BE(DEFAULT_MAX_FRAME_BYTES, 0);
      socket.write(Buffer.concat([PREAMBLE, header]));
      let stopped = false;
      const drip = (): void => {
        if (stopped || socket.destroyed) return;
        socket.write(Buffer.of(0x61));
        setImmediate(drip);
      };
      drip();
      return () => {
        stopped = true;
        socket.destroy();
      };
    },
  },
  {
    name: 'held-calls',
    item: 8,
    what: 'six 16 MiB frames to a function that keeps its arguments (5 s)',
    async start(path) {
      const socket = await deaf(path('hold'));
      for (let id = 1; id <= 6; id++) socket.write(once(`held ${id}`, () => call(id, 'hold', [5000, Buffer.alloc(DEFAULT_MAX_FRAME_BYTES - 64, 7)])));
      return () => socket.destroy();
    },
  },
  {
    name: 'empty-maps',
    item: 8,
    what: 'a 16 MiB frame of empty maps (0xa0) to a function that keeps it (5 s)',
    async start(path) {
      const socket = await deaf(path('hold'));
      const count = DEFAULT_MAX_FRAME_BYTES - 64;
      // [1, 1, 'hold', [5000, [{}, {}, ...]], null, null]
      socket.write(
        once('maps', () =>
          frame(
            Buffer.concat([
              head(4, 6),
              head(0, 1),
              head(0, 1),
              cbor.text('hold'),
              head(4, 2),
              head(0, 5000),
              head(4, count),
              Buffer.alloc(count, 0xa0),
              cbor.null,
              cbor.null,
            ]),
          ),
        ),
      );
      return () => socket.destroy();
    },
  },
  {
    name: 'bignums',
    item: 9,
    what: '2040 bignums of 8 KiB in one frame',
    async start(path) {
      const socket = await deaf(path('hold'));
      const bignum = cbor.tag(2, cbor.bytes(Buffer.alloc(8192, 0xff)));
      const items = Array.from({ length: 2040 }, () => bignum);
      socket.write(
        once('bignums', () =>
          frame(cbor.array([head(0, 1), head(0, 1), cbor.text('hold'), cbor.array([head(0, 5000), cbor.array(items)]), cbor.null, cbor.null])),
        ),
      );
      return () => socket.destroy();
    },
  },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Row = {
  attack: string;
  item: number;
  before: number;
  peak: number;
  after: number;
  answered: number;
  failed: number;
  alive: boolean;
  errors: string[];
  /** The longest the server's event loop was held up during the attack, in ms. */
  loopDelayMs: number;
};

async function runAttack(attack: Attack, dir: string, pid: number, alive: () => boolean): Promise<Row> {
  const path = (fn: string) => join(dir, `lipcm-${fn}.sock`);
  const probe = new LIPClient({ socketDir: dir });
  const row: Row = { attack: attack.name, item: attack.item, before: 0, peak: 0, after: 0, answered: 0, failed: 0, alive: true, errors: [], loopDelayMs: 0 };
  // The good client runs in its own process: the attackers' traffic here must not slow it down.
  const caller = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'good-caller.ts')], {
    env: { ...process.env, LIP_SOCKET_DIR: dir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output = watchOutput(caller, 'good caller');
  try {
    await output.waitFor('READY');
    await probe.callFunction('memory');
    await probe.callFunction('loopDelayMax');
    row.before = rssOf(pid);
    const sampler = sampleRssPeak(pid, { everyMs: 25, start: row.before });
    const stops = await Promise.all(Array.from({ length: connections }, () => attack.start(path).catch(() => () => {})));
    await sleep(ATTACK_MS);
    for (const stop of stops) stop();
    await sleep(SETTLE_MS);
    caller.stdin!.end();
    await output.waitFor((out) => out.includes('{'), 10_000);
    const figures = JSON.parse(
      output
        .stdout()
        .split('\n')
        .find((line) => line.startsWith('{'))!,
    ) as { answered: number; failed: number; errors: string[] };
    Object.assign(row, figures);
    sampler.stop();
    row.peak = sampler.peak();
    row.alive = alive();
    if (row.alive) {
      row.loopDelayMs = await probe.callFunction<number>('loopDelayMax').catch(() => -1);
      await probe.callFunction('memory').catch(() => {});
      row.after = rssOf(pid);
    }
  } finally {
    probe.destroy();
    if (caller.exitCode === null) caller.kill();
  }
  return row;
}

const mib = (bytes: number) => (bytes / MiB).toFixed(0);
await runScript(async (t) => {
  const dir = socketDir(t);
  let failed = false;
  const chosen = attacks.filter((a) => only.length === 0 || only.includes(a.name));
  console.log(
    `attack: ${connections} connections per attack, ${ATTACK_MS} ms each, a good client calling with 2 s deadlines; server-wide budget ${budgetMiB} MiB\n`,
  );
  const rows: Row[] = [];
  for (const attack of chosen) {
    // A fresh server per attack: one attack's leftovers don't count against the next.
    const server = await startFixture(t, 'hostile-server.ts', dir, { NODE_OPTIONS: '--expose-gc' });
    const pid = server.child.pid!;
    const alive = () => server.child.exitCode === null && server.child.signalCode === null;
    const row = await runAttack(attack, dir, pid, alive);
    rows.push(row);
    const growth = row.peak - row.before;
    const back = row.after - row.before;
    const ok = row.alive && row.failed === 0 && growth < budgetMiB * MiB && back < 64 * MiB;
    if (!ok) failed = true;
    console.log(
      `${ok ? 'ok  ' : 'FAIL'} ${attack.name.padEnd(15)} item ${attack.item}  rss ${mib(row.before)} / ${mib(row.peak)} / ${row.alive ? mib(row.after) : 'died'} MiB` +
        `  good ${row.answered} answered / ${row.failed} failed  loop held up ≤ ${row.loopDelayMs < 0 ? '?' : row.loopDelayMs.toFixed(0)} ms${row.errors.length ? `  (${row.errors.join('; ')})` : ''}`,
    );
    if (!row.alive) console.log(`     server stderr: ${server.errors().split('\n').filter(Boolean).slice(-3).join(' | ')}`);
    server.child.kill('SIGKILL');
    await server.exited;
  }
  console.log(
    '\n| attack | item | what | RSS before / peak / after (MiB) | growth (MiB) | good calls answered / failed | longest event-loop delay (ms) | server |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const attack = attacks.find((a) => a.name === row.attack)!;
    console.log(
      `| ${row.attack} | ${row.item} | ${attack.what} | ${mib(row.before)} / ${mib(row.peak)} / ${row.alive ? mib(row.after) : '-'} | ${mib(row.peak - row.before)} | ${row.answered} / ${row.failed} | ${row.alive && row.loopDelayMs >= 0 ? row.loopDelayMs.toFixed(0) : '?'} | ${row.alive ? 'alive' : 'died'} |`,
    );
  }
  return { failed };
});
