/**
 * `lip ... | head`: when the reader of stdout goes away, lip stops quietly, as
 * grep does (status 141, as a SIGPIPE would give, and nothing on stderr).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { socketDir } from './helpers/temp-dir.js';
import { fixture, LIP, serve } from './helpers/lip-cli.js';

/** Runs `lip <args> | head -<lines>` in bash; resolves with lip's stdout as head passed it, lip's stderr and status. */
function pipeToHead(args: string[], lines: number, dir: string): Promise<{ out: string; err: string; status: number }> {
  const quoted = [process.execPath, LIP, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `${quoted} 2>"$ERR_FILE" | head -${lines}; echo "status \${PIPESTATUS[0]}"; cat "$ERR_FILE" >&2`;
  const child = spawn('bash', ['-c', script], {
    env: { ...process.env, NO_COLOR: '1', LIP_SOCKET_DIR: dir, ERR_FILE: `${dir}/lip.err` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) =>
    child.once('close', () => {
      const match = /status (\d+)\n$/.exec(stdout);
      resolve({ out: stdout.slice(0, match?.index ?? stdout.length), err: stderr, status: Number(match?.[1] ?? -1) });
    }),
  );
}

test('lip exits quietly when the reader of its output stops reading', async (t) => {
  const dir = socketDir(t);
  await serve(t, [fixture('cli-math.ts'), '--only', 'countdown,add', '--log-level', 'silent'], dir, 2);

  await t.test('a stream piped into head -3', async () => {
    const { out, err, status } = await pipeToHead(['call', 'countdown', '1000000', '--stream'], 3, dir);
    assert.equal(out, '1000000\n999999\n999998\n');
    assert.equal(err, '', 'nothing on stderr: no EPIPE stack trace');
    assert.ok(status === 0 || status === 141, `status ${status}`);
  });

  await t.test('stats --watch --json piped into head -1', async () => {
    const { out, err, status } = await pipeToHead(['stats', '--watch', '--json', '--interval', '20'], 1, dir);
    assert.equal(out.split('\n').length, 2, out);
    assert.ok(Array.isArray(JSON.parse(out)));
    assert.equal(err, '');
    assert.ok(status === 0 || status === 141, `status ${status}`);
  });
});
