/** `lip demo` from the built package: lip up runs the functions; a call, a cached call, an error, a stream, a crash and its restart, and a clean exit. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { LIP, lip } from './helpers/lip-cli.js';
import { alive } from './helpers/process-alive.js';

test('lip demo calls each example function and cleans up', async () => {
  const result = await lip(['demo']);
  assert.equal(result.code, 0, result.stderr);
  const out = result.stdout;
  assert.match(out, /^1\. A call\n {2}\$ lip call add 2 3\n {2}5 /m);
  assert.match(out, /^ {2}102334155 .*first call/m);
  assert.match(out, /^ {2}102334155 .*answered from the cache/m);
  assert.match(out, /lip stats slowFib: 1 hit, 1 miss/);
  assert.match(out, /RangeError: cannot divide 1 by zero .*code E_DIVIDE_BY_ZERO/);
  assert.match(out, /^ {2}3\n {2}2\n {2}1\n {2}"liftoff"$/m);
  const [, upPid, pid, dir] = out.match(/run by lip up \(pid (\d+)\) in a child process \(pid (\d+)\) in (\S+)/) ?? [];
  assert.ok(upPid && pid && dir, out);
  // The crash: lip up restarted the module, and the call made meanwhile was answered by the new process.
  const [, killed, restarted] =
    out.match(/^5\. A crash \(the module's process, pid (\d+)[\s\S]*?^ {2}5 .*answered by the restarted process \(pid (\d+)\)/m) ?? [];
  assert.equal(killed, pid, out);
  assert.ok(restarted && restarted !== pid, out);
  assert.equal(existsSync(dir), false, 'the temp socket dir is removed');
  for (const process of [upPid, pid, restarted]) assert.equal(alive(Number(process)), false, `pid ${process} is stopped`);
});

test('lip demo | head -1: the demo ends at once, and lip up and its module with it', async () => {
  const child = spawn(process.execPath, [LIP, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let first = '';
  for await (const chunk of child.stdout) {
    first += chunk.toString();
    if (first.includes('\n')) break; // closes our end of the pipe, as head does
  }
  const [, upPid, pid] = first.match(/run by lip up \(pid (\d+)\) in a child process \(pid (\d+)\)/) ?? [];
  assert.ok(upPid && pid, first);
  const [code] = await once(child, 'exit');
  assert.equal(code, 141, 'stdout closed: status 141');
  // lip up drains and its module goes with it (bounded wait, no timing asserted).
  for (let i = 0; i < 100 && (alive(Number(upPid)) || alive(Number(pid))); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(alive(Number(upPid)), false, 'lip up is stopped');
  assert.equal(alive(Number(pid)), false, 'its module process is stopped');
});
