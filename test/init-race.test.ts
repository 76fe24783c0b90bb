/**
 * Two servers racing init() for one name over a stale socket file, in two
 * processes: exactly one wins and is reachable at the path; the other gets
 * ERR_LIP_ALREADY_SERVED and holds nothing (no listening socket, and a process
 * that exits by itself).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { link } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ErrorCode, LIPClient } from '../src/index.js';
import { watchOutput, type WatchedOutput } from './helpers/child-output.js';
import { FIXTURES } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';

const ROUNDS = 100;

interface Racer {
  output: WatchedOutput;
  send(line: string): void;
  pid: number;
}

function startRacer(t: TestContext, args: string[] = []): Racer {
  const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'init-racer.ts'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  return { output: watchOutput(child, 'init racer'), send: (line) => child.stdin!.write(`${line}\n`), pid: child.pid! };
}

/** Leaves a stale socket file at `path`: a socket inode nobody listens on (bound, linked, closed). */
async function staleSocket(path: string): Promise<void> {
  const server = createServer();
  const temp = `${path}.t`;
  await new Promise<void>((resolve) => server.listen(temp, resolve));
  await link(temp, path);
  await new Promise<void>((resolve) => server.close(() => resolve())); // unlinks the temporary name only
}

/** The line a racer printed for `round`. */
async function answer(racer: Racer, round: number): Promise<string> {
  const pattern = new RegExp(`^(WON|LOST|EXITED) ${round}\\b.*$`, 'm');
  await racer.output.waitFor((out) => pattern.test(out), 20_000);
  return pattern.exec(racer.output.stdout())![0];
}

test(`two servers racing init() over a stale socket file: exactly one wins, the other holds nothing (${ROUNDS} rounds)`, { timeout: 300_000 }, async (t) => {
  const dir = socketDir(t);
  const path = join(dir, 'lipcm-contested.sock');
  const racers = [startRacer(t), startRacer(t)];
  await Promise.all(racers.map((r) => r.output.waitFor('READY')));
  const client = new LIPClient({ socketDir: dir, timeoutMs: 5000 });
  t.after(() => client.destroy());
  const losses = new Map<string, number>();
  for (let round = 1; round <= ROUNDS; round++) {
    await staleSocket(path);
    for (const racer of racers) racer.send(`race ${round} ${dir}`);
    const lines = await Promise.all(racers.map((r) => answer(r, round)));
    const winners = racers.filter((_, i) => lines[i]!.startsWith('WON'));
    assert.equal(winners.length, 1, `round ${round}: ${lines.join(' | ')}`);
    const lost = lines.find((line) => line.startsWith('LOST'))!;
    const [, , code, leaks] = lost.split(' ');
    assert.equal(code, ErrorCode.AlreadyServed, `round ${round}: ${lost}`);
    assert.equal(leaks, '-', `round ${round}: the loser still holds ${leaks}`);
    const told = lost
      .split(' ')
      .slice(4)
      .join(' ')
      .replace(/\/tmp\S+/g, '<path>');
    losses.set(told, (losses.get(told) ?? 0) + 1);
    // The winner is the one answering at the path (not an orphan whose file was taken away).
    const client = new LIPClient({ socketDir: dir, timeoutMs: 5000 });
    assert.equal(await client.callFunction('contested'), winners[0]!.pid, `round ${round}`);
    client.destroy();
    winners[0]!.send(`exit ${round}`);
    await winners[0]!.output.waitFor(`EXITED ${round}`);
  }
  t.diagnostic(`losers were told: ${JSON.stringify(Object.fromEntries(losses))}`);
});

test('the loser of an init() race exits by itself: it holds no socket, timer or handle', async (t) => {
  const dir = socketDir(t);
  await staleSocket(join(dir, 'lipcm-contested.sock'));
  const racers = [startRacer(t, ['once']), startRacer(t, ['once'])];
  await Promise.all(racers.map((r) => r.output.waitFor('READY')));
  for (const racer of racers) racer.send(`race 1 ${dir}`);
  const lines = await Promise.all(racers.map((r) => answer(r, 1)));
  const loser = racers[lines.findIndex((line) => line.startsWith('LOST'))];
  assert.ok(loser, lines.join(' | '));
  assert.ok(
    lines.some((line) => line.startsWith('WON')),
    lines.join(' | '),
  );
  const exited = await Promise.race([loser.output.closed.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))]);
  assert.equal(exited, true, 'the loser process exited by itself');
});
