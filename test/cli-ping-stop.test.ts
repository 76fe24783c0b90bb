/** `lip ping -c N` ends with min/avg/max as ping(8) does; `lip stop --all` stops every function in the directory. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { socketDir } from './helpers/temp-dir.js';
import { fixture, lip, serve } from './helpers/lip-cli.js';

test('lip ping -c 5 prints each round trip, then min/avg/max', async (t) => {
  const dir = socketDir(t);
  await serve(t, [fixture('cli-math.ts'), '--only', 'add', '--log-level', 'silent'], dir, 1);
  const result = await lip(['ping', 'add', '-c', '5'], dir);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  assert.equal(lines.filter((l) => l.startsWith('pong from add')).length, 5);
  assert.equal(lines[5], '--- add ping statistics ---');
  const [, min, avg, max] = /^5 pings, round-trip min\/avg\/max = ([\d.]+)\/([\d.]+)\/([\d.]+) ms$/.exec(lines[6] ?? '') ?? [];
  assert.ok(min && avg && max, result.stdout);
  assert.ok(Number(min) <= Number(avg) && Number(avg) <= Number(max));
  const json = JSON.parse((await lip(['ping', 'add', '-c', '3', '--json'], dir)).stdout) as { ms: number[]; min: number; avg: number; max: number };
  assert.equal(json.ms.length, 3);
  assert.equal(json.min, Math.min(...json.ms));
  assert.equal(json.max, Math.max(...json.ms));
});

test('lip stop --all stops every function served in the directory, across processes', async (t) => {
  const dir = socketDir(t);
  const math = await serve(t, [fixture('cli-math.ts'), '--only', 'add,greet', '--log-level', 'silent'], dir, 2);
  const text = await serve(t, [fixture('cli-text.js'), '--log-level', 'silent'], dir, 1);
  const result = await lip(['stop', '--all'], dir);
  assert.equal(result.code, 0, result.stderr);
  const stopped = result.stdout.trim().split('\n').sort();
  assert.ok(stopped.length >= 3, result.stdout);
  assert.ok(stopped.includes(`stopped add (pid ${math.child.pid})`), result.stdout);
  assert.ok(stopped.includes(`stopped shout (pid ${text.child.pid})`), result.stdout);
  assert.deepEqual(readdirSync(dir), []);
  assert.equal((await math.exited).code, 0);
  assert.equal((await text.exited).code, 0);

  assert.equal((await lip(['stop'], dir)).code, 2, 'a name or --all');
  assert.equal((await lip(['stop', 'add', '--all'], dir)).code, 2, 'not both');
});
