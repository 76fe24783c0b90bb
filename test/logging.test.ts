/**
 * The log a served function writes: levels (names and Python numbers), call
 * lines with duration and outcome, error details, logArgs, log files and their
 * rotation, and a user-supplied pino logger.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { LIPClient, LIPModule } from '../src/index.js';
import { startFixture } from './helpers/fixture-server.js';
import { socketDir } from './helpers/temp-dir.js';

interface LogLine {
  level: number;
  msg: string;
  fn?: string;
  ms?: number;
  outcome?: string;
  args?: unknown;
  err?: { name?: string; message?: string; code?: unknown; stack?: string } | string;
}

async function runWithLevel(t: TestContext, level: string, env: Record<string, string> = {}) {
  const dir = socketDir(t);
  const server = await startFixture(t, 'logging-server.ts', dir, { LOG_LEVEL: level, ...env });
  const client = new LIPClient({ socketDir: dir });
  await client.callFunction('shout', ['hi']);
  await client.callFunction('explode').catch(() => {});
  await client.callFunction('shout', ['too', 'many']).catch(() => {});
  await client.callFunction('waitCancel', [], undefined, { timeoutMs: 100 }).catch(() => {});
  // The server sees the deadline pass on its own clock: give its log line time to be written.
  await new Promise((resolve) => setTimeout(resolve, 300));
  client.destroy();
  server.child.kill('SIGTERM');
  await server.exited;
  return {
    dir,
    lines: server
      .errors()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LogLine),
  };
}

const PINO = { debug: 20, info: 30, warn: 40, error: 50 };

test('at debug, each call is logged with its duration and outcome, without arguments', async (t) => {
  const { lines } = await runWithLevel(t, 'debug');
  const call = lines.find((l) => l.level === PINO.debug && l.fn === 'shout' && l.outcome === 'ok');
  assert.ok(call, JSON.stringify(lines));
  assert.equal(typeof call.ms, 'number');
  assert.equal(call.args, undefined);
  assert.ok(lines.some((l) => l.level === PINO.info && /serving 'shout'/.test(l.msg)));
  assert.ok(lines.some((l) => l.level === PINO.info && /stopped 'shout'/.test(l.msg)));
  // What the function threw is a warning, with its stack at debug.
  const failure = lines.find((l) => l.level === PINO.warn && l.fn === 'explode');
  assert.match((failure?.err as { stack?: string } | undefined)?.stack ?? '', /kaboom[\s\S]*logging-server/);
});

test('error details are under err in every log line; a call cancelled by its caller is info "cancelled", not a failure', async (t) => {
  const { lines } = await runWithLevel(t, 'info');
  assert.equal(
    lines.some((l) => 'error' in l),
    false,
    JSON.stringify(lines),
  );
  const thrown = lines.find((l) => l.fn === 'explode' && /failed/.test(l.msg));
  assert.deepEqual(thrown?.err, { name: 'Error', message: 'kaboom' });
  const badArgs = lines.find((l) => l.fn === 'shout' && /bad arguments/.test(l.msg));
  assert.equal(badArgs?.level, PINO.warn, JSON.stringify(lines));
  assert.equal((badArgs?.err as { name?: string } | undefined)?.name, 'LIPArgumentError');
  const cancelled = lines.filter((l) => l.fn === 'waitCancel' && l.outcome !== undefined);
  assert.equal(cancelled.length, 1, JSON.stringify(cancelled));
  assert.equal(cancelled[0]!.level, PINO.info);
  assert.equal(cancelled[0]!.msg, "'waitCancel' cancelled");
  assert.equal(cancelled[0]!.outcome, 'cancelled');
  // The client cancels when its deadline passes; the server's own deadline timer may fire first.
  assert.match((cancelled[0]!.err as { message?: string } | undefined)?.message ?? '', /cancelled|deadline/);
});

test('logArgs adds the arguments to call logs', async (t) => {
  const { lines } = await runWithLevel(t, 'debug', { LOG_ARGS: '1' });
  const call = lines.find((l) => l.fn === 'shout' && l.outcome === 'ok');
  assert.deepEqual(call?.args, ['hi']);
});

test('at info there are start and shutdown lines but no call lines', async (t) => {
  const { lines } = await runWithLevel(t, 'info');
  assert.ok(lines.some((l) => /serving 'shout'/.test(l.msg)));
  assert.equal(
    lines.some((l) => l.level === PINO.debug),
    false,
  );
  // A function's error: a warning with its name and message, and no stack above debug.
  const failure = lines.find((l) => l.level === PINO.warn && l.fn === 'explode');
  assert.deepEqual(failure?.err, { name: 'Error', message: 'kaboom' });
});

test('at warning (Python number 30) only warnings and errors', async (t) => {
  const { lines } = await runWithLevel(t, '30');
  assert.ok(lines.length > 0);
  assert.ok(
    lines.every((l) => l.level >= PINO.warn),
    JSON.stringify(lines),
  );
});

test('critical and silent log no call errors at all', async (t) => {
  for (const level of ['critical', 'silent']) {
    const { lines } = await runWithLevel(t, level);
    assert.deepEqual(lines, [], level);
  }
});

test('logFile: true writes log_<name>.log in the working directory', async (t) => {
  const dir = socketDir(t);
  const previous = process.cwd();
  process.chdir(dir);
  t.after(() => process.chdir(previous));
  const filed = LIPModule({ logLevel: 'debug', logFile: true, socketDir: dir })(function filed() {
    return 1;
  });
  await filed.init();
  const client = new LIPClient({ socketDir: dir });
  await client.callFunction('filed');
  client.destroy();
  await filed.exit();
  await new Promise((r) => setTimeout(r, 100));
  const text = readFileSync(join(dir, 'log_filed.log'), 'utf8');
  assert.match(text, /"msg":"call 'filed'"/);
});

test('a log file rotates at 10 MiB and keeps 5 old files', async (t) => {
  const dir = socketDir(t);
  const file = join(dir, 'big.log');
  const server = await startFixture(t, 'logging-server.ts', dir, { LOG_LEVEL: 'debug', LOG_ARGS: '1', LOG_FILE: file });
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  const payload = 'x'.repeat(1024 * 1024);
  for (let i = 0; i < 80; i++) await client.callFunction('shout', [payload]);
  server.child.kill('SIGTERM');
  await server.exited;
  const files = readdirSync(dir)
    .filter((f) => f.startsWith('big.log'))
    .sort();
  assert.ok(existsSync(file));
  assert.deepEqual(files, ['big.log', 'big.log.1', 'big.log.2', 'big.log.3', 'big.log.4', 'big.log.5']);
  for (const f of files.slice(1)) assert.ok(statSync(join(dir, f)).size <= 11 * 1024 * 1024, `${f} near 10 MiB`);
});

test('a user-supplied pino logger receives the lines, tagged with the function name', async (t) => {
  const dir = socketDir(t);
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as LogLine);
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const mine = LIPModule({ logger, socketDir: dir })(function mine() {
    return 'ok';
  });
  await mine.init();
  const client = new LIPClient({ socketDir: dir });
  await client.callFunction('mine');
  client.destroy();
  await mine.exit();
  assert.ok(lines.some((l) => l.fn === 'mine' && l.outcome === 'ok'));
});
