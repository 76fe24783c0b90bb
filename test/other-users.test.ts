/**
 * What another local user can do to our calls: squat the socket path in a
 * shared directory, race the client's checks, take the path of a server that
 * stopped. A real second user (useradd, runuser) runs the squatter; it records
 * every byte it receives, and none of our calls' bytes may reach it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ErrorCode, LIPClient, LIPModule, isLIPError } from '../src/index.js';
import { encodeValue } from '../src/protocol/codec.js';
import { joinFrame } from '../src/protocol/frame.js';
import { encodeOneShot } from '../src/python/wire.js';
import { watchOutput } from './helpers/child-output.js';
import { startFixture } from './helpers/fixture-server.js';
import { ROOT } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';
import { SECOND_USER_SKIP, secondUser } from './helpers/second-user.js';
import { SQUATTER_SCRIPT, squatterReport, type SquatterReport } from './fixtures/squatter.js';

// A squatter posing as a lipmodule server: a Hello at once, a forged result for call id 1.
const HELLO = joinFrame(encodeValue([0, { v: 1, pid: 1, name: 'victim', lib: 'lipmodule/0.1.0' }])).toString('hex');
const FORGED_RESULT = joinFrame(encodeValue([2, 1, 'forged'])).toString('hex');
// ... and posing as the Python original: one CBOR map per connection.
const FORGED_ONE_SHOT = encodeOneShot({ result: 'forged' }).toString('hex');

/** A directory like /tmp (sticky, world-writable, ours) inside a fresh test directory the other user can reach. */
function sharedDir(t: TestContext): string {
  const dir = socketDir(t);
  chmodSync(dir, 0o711);
  const shared = join(dir, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  return shared;
}

/** How long each racing squatter runs: seconds in `npm test`, longer with LIP_RACE_MS (the figure is for 20 s). */
const RACE_MS = Number(process.env.LIP_RACE_MS ?? 2000);

interface RaceOutcome {
  ms: number;
  calls: number;
  answers: unknown[];
  failures: Map<string, number>;
}

/** Calls the race makes at least, however slow a loaded machine makes each one. */
const MIN_RACE_CALLS = 200;

/**
 * Fresh clients, eight at once, each calling `victim` once with secrets, until RACE_MS is up and
 * MIN_RACE_CALLS were made (on a loaded machine the race runs longer, up to ten times RACE_MS).
 */
async function raceClients(shared: string): Promise<RaceOutcome> {
  const start = Date.now();
  const outcome: RaceOutcome = { ms: 0, calls: 0, answers: [], failures: new Map() };
  const racing = () => {
    const elapsed = Date.now() - start;
    return elapsed < RACE_MS || (outcome.calls < MIN_RACE_CALLS && elapsed < 10 * RACE_MS);
  };
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (racing()) {
        const client = new LIPClient({ socketDir: shared, timeoutMs: 300, connectTimeoutMs: 300 });
        try {
          outcome.answers.push(await client.callFunction('victim', [`SECRET-${outcome.calls++}`, { password: 'SECRET-pw' }]));
        } catch (error) {
          const code = isLIPError(error) ? error.code : String(error);
          outcome.failures.set(code, (outcome.failures.get(code) ?? 0) + 1);
        } finally {
          client.destroy();
        }
      }
    }),
  );
  outcome.ms = Date.now() - start;
  return outcome;
}

function assertNothingReached(t: TestContext, outcome: RaceOutcome, report: SquatterReport, minBinds: number): void {
  t.diagnostic(`${outcome.calls} calls in ${outcome.ms} ms against ${report.binds} binds; failures ${JSON.stringify(Object.fromEntries(outcome.failures))}`);
  t.diagnostic(`the other user saw ${report.connections} connections, ${report.bytes} bytes, ${report.secrets} secrets`);
  assert.ok(report.binds >= minBinds, `the squatter really raced (${report.binds} binds)`);
  assert.ok(outcome.calls > 100, `the clients really called (${outcome.calls} calls)`);
  assert.equal(report.secrets, 0, `secrets that reached the other user (first bytes: ${report.sample})`);
  assert.equal(report.bytes, 0, `bytes written to the other user's socket (first bytes: ${report.sample})`);
  assert.ok(!outcome.answers.includes('forged'), 'no forged answer was taken');
}

test('a squatter racing to bind the path as another user receives nothing from fresh clients', {
  skip: SECOND_USER_SKIP,
  timeout: 10 * RACE_MS + 60_000,
}, async (t) => {
  const user = secondUser(t);
  const shared = sharedDir(t);
  const squatter = user.node(SQUATTER_SCRIPT, [join(shared, 'lipcm-victim.sock'), 'race', FORGED_RESULT, HELLO]);
  await squatter.waitFor('READY');
  const outcome = await raceClients(shared);
  await squatter.stop();
  assertNothingReached(t, outcome, squatterReport(squatter.stdout()), 50);
  assert.deepEqual(outcome.answers, []);
});

test('a squatter racing our own restarting server for the path receives nothing (the file is checked before and after connect)', {
  skip: SECOND_USER_SKIP,
  timeout: 10 * RACE_MS + 60_000,
}, async (t) => {
  const user = secondUser(t);
  const shared = sharedDir(t);
  const path = join(shared, 'lipcm-victim.sock');
  // Ours: a server that comes and goes at the path (up to 20 ms each time), answering 'ours'.
  // Between a client's lstat and its connect, the squatter may bind the path ours just left.
  const ours = spawn(process.execPath, ['-e', SQUATTER_SCRIPT, path, 'race', joinFrame(encodeValue([2, 1, 'ours'])).toString('hex'), HELLO, '20'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const oursOutput = watchOutput(ours, 'our restarting server');
  t.after(() => ours.kill('SIGKILL'));
  await oursOutput.waitFor('READY');
  const squatter = user.node(SQUATTER_SCRIPT, [path, 'race', FORGED_RESULT, HELLO]);
  await squatter.waitFor('READY');
  const outcome = await raceClients(shared);
  await squatter.stop();
  ours.stdin!.end();
  await oursOutput.closed;
  // The squatter gets the path only in our server's short gaps.
  assertNothingReached(t, outcome, squatterReport(squatter.stdout()), 5);
  const answered = outcome.answers.filter((a) => a === 'ours').length;
  t.diagnostic(`${answered} calls answered by our own server`);
  assert.ok(answered > 0, 'our own server was reached');
});

test('a client whose server stopped sends nothing to another user who binds the path (native and Python original)', { skip: SECOND_USER_SKIP }, async (t) => {
  const user = secondUser(t);
  const shared = sharedDir(t);

  // Native: a lipmodule server of ours, called once; then it stops and the squatter takes the path.
  const server = await startFixture(t, 'target-server.ts', shared);
  const client = new LIPClient({ socketDir: shared, timeoutMs: 2000 });
  t.after(() => client.destroy());
  assert.equal(await client.callFunction('echo', ['hello']), 'hello');
  server.child.kill('SIGTERM');
  await server.exited;
  const native = user.node(SQUATTER_SCRIPT, [join(shared, 'lipcm-echo.sock'), 'hold', FORGED_RESULT, HELLO]);
  await native.waitFor('READY');
  await assert.rejects(client.callFunction('echo', ['SECRET-native']), (e: unknown) => isLIPError(e) && e.code === ErrorCode.Untrusted);

  // The Python original (one connection per call): same story, the client reconnects for every call.
  const python = spawn('/usr/bin/python3', [join(ROOT, 'test/python/lip_server.py'), '--dir', shared], { stdio: ['ignore', 'pipe', 'pipe'] });
  const pythonOutput = watchOutput(python, 'python server');
  t.after(() => python.kill('SIGKILL'));
  await pythonOutput.waitFor('READY');
  assert.deepEqual(await client.callFunction('py_echo', [{ password: 'fine' }]), { password: 'fine' });
  python.kill('SIGTERM');
  await pythonOutput.closed;
  const pyPath = join(shared, 'lipcm-py_echo.sock');
  await until(() => !existsSync(pyPath));
  const oneShot = user.node(SQUATTER_SCRIPT, [pyPath, 'hold', FORGED_ONE_SHOT]);
  await oneShot.waitFor('READY');
  await assert.rejects(client.callFunction('py_echo', [{ password: 'SECRET-python' }]), (e: unknown) => isLIPError(e) && e.code === ErrorCode.Untrusted);

  await native.stop();
  await oneShot.stop();
  for (const [label, report] of [
    ['native', squatterReport(native.stdout())],
    ['one-shot', squatterReport(oneShot.stdout())],
  ] as const) {
    assert.equal(report.secrets, 0, `${label}: secrets that reached the other user`);
    assert.equal(report.bytes, 0, `${label}: bytes written to the other user's socket (first bytes: ${report.sample})`);
  }
});

test("init() next to another user's live squatter says the file is theirs and cannot be stopped by us", { skip: SECOND_USER_SKIP }, async (t) => {
  const user = secondUser(t);
  const shared = sharedDir(t);
  const squatter = user.node(SQUATTER_SCRIPT, [join(shared, 'lipcm-mine.sock'), 'hold', FORGED_RESULT, HELLO]);
  await squatter.waitFor('READY');
  const mine = LIPModule({ socketDir: shared, logLevel: 'silent' })(function mine() {
    return 1;
  });
  await assert.rejects(mine.init(), (error: unknown) => {
    assert.ok(isLIPError(error));
    assert.equal(error.code, ErrorCode.AlreadyServed);
    assert.match(error.message, new RegExp(`belongs to uid ${user.uid}`));
    assert.match(error.message, /cannot be stopped by you/);
    assert.doesNotMatch(error.message, /lip stop/);
    return true;
  });
  assert.equal(mine.serving, false);
});

// Re-points `link` between two directories as fast as it can until `end` (ms since the epoch): a fresh symlink renamed over it.
const SYMLINK_SWAPPER = `
const fs = require('node:fs');
const [link, a, b, end] = process.argv.slice(1);
const spare = link + '.next';
let swaps = 0;
console.log('READY');
while (Date.now() < Number(end)) {
  fs.rmSync(spare, { force: true });
  fs.symlinkSync(swaps % 2 ? a : b, spare);
  fs.renameSync(spare, link);
  swaps++;
}
console.log('SWAPS ' + swaps);
`;

test("a socketDir given as another user's symlink in /tmp is refused; re-pointing it during calls gets them nothing", {
  skip: SECOND_USER_SKIP,
  timeout: 10 * RACE_MS + 60_000,
}, async (t) => {
  const user = secondUser(t);
  const top = socketDir(t);
  chmodSync(top, 0o711);
  // Our real socket directory, and the other user's, where their squatter answers as 'victim'.
  const ours = join(top, 'ours');
  mkdirSync(ours, { mode: 0o700 });
  const theirs = join(top, 'theirs');
  mkdirSync(theirs, { mode: 0o700 });
  chownSync(theirs, user.uid, user.gid);
  const link = `/tmp/lipatk-lipdir-${process.pid}-${Date.now()}`;
  t.after(() => {
    rmSync(link, { force: true });
  });
  const mine = LIPModule({ logLevel: 'silent', socketDir: ours, name: 'victim' })(function victim() {
    return 'ours';
  });
  await mine.init();
  t.after(() => mine.exit({ timeoutMs: 0 }));
  const squatter = user.node(SQUATTER_SCRIPT, [join(theirs, 'lipcm-victim.sock'), 'hold', FORGED_RESULT, HELLO]);
  await squatter.waitFor('READY');

  // Pointing at our own directory, it is refused all the same: its owner chooses where it leads.
  const made = user.node(`require('node:fs').symlinkSync(process.argv[1], process.argv[2]); console.log('READY');`, [ours, link]);
  await made.waitFor('READY');
  await made.stop();
  const client = new LIPClient({ socketDir: link });
  t.after(() => client.destroy());
  await assert.rejects(client.callFunction('victim', ['SECRET-once']), (error: unknown) => {
    assert.ok(isLIPError(error) && error.code === ErrorCode.Untrusted, String(error));
    assert.match((error as Error).message, new RegExp(`${link} is a symlink that belongs to uid ${user.uid}`));
    return true;
  });
  await assert.rejects(LIPModule({ logLevel: 'silent', socketDir: link, name: 'other' })(() => 1).init(), /is a symlink that belongs to uid/);

  const swapper = user.node(SYMLINK_SWAPPER, [link, ours, theirs, String(Date.now() + RACE_MS + 500)]);
  await swapper.waitFor('READY');
  const outcome = await raceClients(link);
  await swapper.waitFor('SWAPS');
  await squatter.stop();
  t.diagnostic(swapper.stdout().trim().split('\n').at(-1)!);
  assertNothingReached(t, outcome, squatterReport(squatter.stdout()), 1);
});
