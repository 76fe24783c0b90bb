/**
 * Callbacks and iterables as arguments (issue 19) against other processes and users: a second local
 * Unix user injecting answers and items, callers SIGKILLed while the server awaits their callbacks and
 * reads their uploads, and a hostile server sending stops, credit and callback calls where it shouldn't.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LIPClient } from '../src/index.js';
import { joinFrame } from '../src/protocol/frame.js';
import { ArgCredit, ArgEnd, ArgItem, ArgStop, attackServer, Call, CallbackCall, CallbackResult, MiB } from './helpers/callback-attack.js';
import { watchOutput } from './helpers/child-output.js';
import { startFixture } from './helpers/fixture-server.js';
import { FIXTURES } from './helpers/paths.js';
import { rssOf } from './helpers/process-memory.js';
import { encodeValue } from './helpers/raw-peer.js';
import { rawServer } from './helpers/raw-server.js';
import { SECOND_USER_SKIP, secondUser } from './helpers/second-user.js';
import { socketDir, tempDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';

/** Connects to a socket as another user, writes the preamble and the frames given (hex), again every 20 ms; reports what happened. */
const INJECTOR_SCRIPT = `
const net = require('node:net');
const [path, hex] = process.argv.slice(1);
const socket = net.createConnection({ path });
let got = 0;
socket.on('connect', () => {
  console.log('CONNECTED');
  socket.write(Buffer.from('4c495001', 'hex'));
  const frames = Buffer.from(hex, 'hex');
  const timer = setInterval(() => socket.write(frames), 20);
  process.stdin.on('end', () => { clearInterval(timer); socket.destroy(); });
});
socket.on('data', (d) => { got += d.length; });
socket.on('error', (e) => console.log('DENIED ' + e.code));
process.stdin.resume();
process.stdin.on('end', () => { console.log('GOT ' + got); process.exit(0); });
`;

test("another local user can't reach a caller's callbacks or iterables: refused by the socket's mode, and on a socket opened to it on purpose, its connection is its own", {
  skip: SECOND_USER_SKIP,
}, async (t) => {
  const user = secondUser(t);
  // Forged answers and items for the ids and sequence numbers a caller's first calls use.
  const forged: Buffer[] = [];
  for (let id = 1; id <= 20; id++) {
    for (let seq = 1; seq <= 3; seq++) forged.push(joinFrame(encodeValue([CallbackResult, id, seq, 'INJECTED'])));
    forged.push(joinFrame(encodeValue([ArgItem, id, 1, 'INJECTED'])), joinFrame(encodeValue([ArgEnd, id, 1])));
  }
  const hex = Buffer.concat(forged).toString('hex');
  for (const socketMode of [undefined, 0o666]) {
    const dir = tempDir(t, '/tmp/lipu-');
    chmodSync(dir, 0o711);
    const server = await startFixture(t, 'callback-attack-server.ts', dir, socketMode === undefined ? {} : { ATTACK_LIMITS: JSON.stringify({ socketMode }) });
    assert.ok(server.child.pid);
    const injector = user.node(INJECTOR_SCRIPT, [join(dir, 'lipcm-echoThrough.sock'), hex]);
    const drainInjector = user.node(INJECTOR_SCRIPT, [join(dir, 'lipcm-drain.sock'), hex]);
    await injector.waitFor(socketMode === undefined ? 'DENIED EACCES' : 'CONNECTED');
    await drainInjector.waitFor(socketMode === undefined ? 'DENIED EACCES' : 'CONNECTED');
    const good = new LIPClient({ socketDir: dir, timeoutMs: 10_000 });
    t.after(() => good.destroy());
    for (let i = 0; i < 5; i++) {
      const mine = await good.callFunction('echoThrough', [
        async (x: number) => {
          await new Promise((r) => setTimeout(r, 50));
          return `mine ${x}`;
        },
        i,
      ]);
      assert.equal(mine, `mine ${i}`);
      async function* items() {
        for (let k = 0; k < 10; k++) {
          await new Promise((r) => setTimeout(r, 5));
          yield k;
        }
      }
      assert.deepEqual(await good.callFunction('drain', [items()]), [10]);
    }
    await injector.stop();
    await drainInjector.stop();
    t.diagnostic(`socket mode ${socketMode?.toString(8) ?? '600 (default)'}: the other user ${injector.stdout().trim().split('\n').join(', ')}`);
  }
});

test('callers killed (SIGKILL) while the server awaits their callbacks and reads their uploads: everything they held is freed, others are served', async (t) => {
  const s = await attackServer(t);
  const rounds = 2;
  const calls = 20;
  const before = rssOf(s.pid);
  for (let round = 0; round < rounds; round++) {
    const caller = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'callback-caller.ts'), String(calls)], {
      env: { ...process.env, LIP_SOCKET_DIR: s.dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => caller.kill('SIGKILL'));
    const output = watchOutput(caller, 'callback caller');
    await output.waitFor('READY');
    caller.kill('SIGKILL');
    await output.closed;
    await s.alive();
  }
  // Each call's wait on its callback ended with the connection (an AbortError), none is left waiting.
  const ended: string[] = [];
  await until(async () => {
    ended.push(...((await s.good.callFunction('state', [])) as { ended: string[] }).ended);
    return ended.length === rounds * calls;
  });
  assert.ok(
    ended.every((e) => e === 'AbortError:'),
    JSON.stringify(ended.slice(0, 3)),
  );
  t.diagnostic(
    `${rounds} callers killed with ${calls} callback waits and ${calls} uploads each: server RSS ${Math.round(before / MiB)} -> ${Math.round(rssOf(s.pid) / MiB)} MiB`,
  );
  // A good caller's callbacks and uploads still work.
  assert.equal(await s.good.callFunction('echoThrough', [(x: string) => `${x}!`, 'hi']), 'hi!');
});

test('a hostile server: ArgStop and credit for the wrong channels, a callback call on an iterable, credit and calls after the end run and send nothing', async (t) => {
  const dir = socketDir(t);
  await rawServer(t, dir, 'h', (frame, connection) => {
    if (frame[0] !== Call) return;
    const id = frame[1] as number;
    connection.send([ArgStop, id, 99]);
    connection.send([ArgStop, id, 1]);
    connection.send([ArgCredit, id, 1, 5]);
    connection.send([CallbackCall, id, 2, 1, ['a callback call on an iterable']]);
    connection.send([ArgCredit, id, 3, 3]);
    connection.send([ArgCredit, id, 2, 2]);
    setTimeout(() => {
      connection.send([2, id, 'done']);
      connection.send([CallbackCall, id, 1, 5, ['after the end']]);
      connection.send([ArgCredit, id, 2, 100]);
    }, 200);
  });
  const client = new LIPClient({ socketDir: dir, timeoutMs: 5000 });
  t.after(() => client.destroy());
  let ran = 0;
  let pulled = 0;
  let finallyRan = false;
  async function* source() {
    try {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    } finally {
      finallyRan = true;
    }
  }
  assert.equal(await client.callFunction('h', [() => ran++, source()]), 'done');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(ran, 0);
  // Two items for the credit of 2 (a generator is one step ahead at most), none after the end; the generator was stopped.
  assert.ok(pulled <= 3, `pulled ${pulled}`);
  assert.ok(finallyRan);
});
