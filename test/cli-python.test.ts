/**
 * `lip` and LIPClient against the Python original (the stand-in of
 * test/python/lip_server.py, logging as the original does): its functions are
 * live, of kind python, with their docstring; doc, ping and call work; stats
 * and stop say plainly they are not supported; and telling the two kinds of
 * server apart leaves no error in the original's log.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { LIPClient } from '../src/index.js';
import { startPythonServer } from './helpers/python-server.js';
import { socketDir, tempDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';
import { fixture, lip, serve } from './helpers/lip-cli.js';

/** Starts the Python stand-in with its logs in a fresh directory; returns that directory. */
async function startPython(t: TestContext, dir: string): Promise<string> {
  const logs = tempDir(t, '/tmp/lipl-');
  await startPythonServer(t, dir, ['--log-dir', logs]);
  return logs;
}

/** Every line the original logged at ERROR (or a traceback), over all its log files. */
function loggedErrors(logs: string): string[] {
  return readdirSync(logs).flatMap((file) =>
    readFileSync(join(logs, file), 'utf8')
      .split('\n')
      .filter((line) => / ERROR |Traceback|Error:/.test(line))
      .map((line) => `${file}: ${line}`),
  );
}

test('functions served by the Python original, through lip and LIPClient', async (t) => {
  const dir = socketDir(t);
  const logs = await startPython(t, dir);
  await serve(t, [fixture('cli-math.ts'), '--only', 'add', '--log-level', 'silent'], dir, 1);

  await t.test('lip ls shows them live, of kind python, with their docstring', async () => {
    const json = await lip(['ls', '--json'], dir);
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout) as { name: string; state: string; kind?: string; doc?: string | null }[];
    assert.deepEqual(
      rows.filter((r) => r.name === 'py_add' || r.name === 'add').map(({ name, state, kind, doc }) => ({ name, state, kind, doc: doc?.split('\n')[0] })),
      [
        { name: 'add', state: 'live', kind: 'lipmodule', doc: 'Adds two numbers.' },
        { name: 'py_add', state: 'live', kind: 'python', doc: 'Adds two numbers.' },
      ],
    );
    assert.ok(
      rows.filter((r) => r.name.startsWith('py_')).every((r) => r.state === 'live' && r.kind === 'python'),
      json.stdout,
    );
    const table = await lip(['ls'], dir);
    assert.match(table.stdout, /^py_add\s+py_add\(…\)\s+Adds two numbers\.\s+-\s+-\s+-\s+live \(python\)$/m);
  });

  await t.test('lip doc shows the docstring and who serves it', async () => {
    const doc = await lip(['doc', 'py_greet'], dir);
    assert.equal(doc.code, 0, doc.stderr);
    assert.match(doc.stdout, /^Greets someone\.$/m);
    assert.match(doc.stdout, /Python original/);
    const json = await lip(['doc', 'py_greet', '--json'], dir);
    assert.deepEqual(JSON.parse(json.stdout), { name: 'py_greet', doc: 'Greets someone.', kind: 'python' });
  });

  await t.test('lip ping and lip call work', async () => {
    const ping = await lip(['ping', 'py_add', '-c', '2'], dir);
    assert.equal(ping.code, 0, ping.stderr);
    assert.equal(ping.stdout.match(/^pong from py_add \(the Python original\): [\d.]+ ms$/gm)?.length, 2, ping.stdout);
    const call = await lip(['call', 'py_add', '2', '3'], dir);
    assert.equal(call.code, 0, call.stderr);
    assert.equal(call.stdout.trim(), '5');
  });

  await t.test('lip stats and lip stop say plainly that the original does not support them', async () => {
    for (const command of ['stats', 'stop']) {
      const result = await lip([command, 'py_add'], dir);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(
        result.stderr.trim(),
        `lip: error: 'py_add' is served by the Python original, which does not support ${command} (only calls and docstrings)`,
      );
    }
    const json = await lip(['stats', 'py_add', '--json'], dir);
    assert.equal(JSON.parse(json.stderr).error.code, 'ERR_LIP_UNSUPPORTED');
  });

  await t.test('LIPClient tells the kinds apart and calls both', async () => {
    const client = new LIPClient({ socketDir: dir });
    try {
      assert.equal(await client.serverKind('py_add'), 'python');
      assert.equal(await client.serverKind('add'), 'lipmodule');
      assert.equal(await client.callFunction('py_add', [1, 2]), 3);
      assert.equal(await client.getDocstring('py_echo'), null);
    } finally {
      client.destroy();
    }
  });

  await t.test("none of this left an error in the original's log", async () => {
    assert.deepEqual(loggedErrors(logs), []);
    // The check can see one: the old probe (the native preamble alone, then half-close) leaves a traceback.
    await new Promise<void>((resolve, reject) => {
      const socket = connect(join(dir, 'lipcm-py_nodoc.sock'), () => socket.end(Buffer.from('LIP\x01', 'latin1')));
      socket.on('close', () => resolve());
      socket.on('error', reject);
      socket.resume();
    });
    await until(() => loggedErrors(logs).length > 0);
    assert.match(loggedErrors(logs).join('\n'), /^log_py_nodoc\.log: .* ERROR /m);
  });
});
