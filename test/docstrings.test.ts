/**
 * Docstrings: the JSDoc above a function is found in TypeScript run through
 * tsx and in compiled JavaScript.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { LIPClient } from '../src/index.js';
import { startFixture } from './helpers/fixture-server.js';
import { FIXTURES } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';

const expected: Record<string, string | null> = {
  documentedAbove: 'Adds two numbers.\n\n@param a - the first\n@param b - the second',
  declaredFirst: 'Declared first, wrapped later.',
  bodyBlock: 'Like a Python docstring:\nthe first comment in the body.',
  bodyLines: 'Line comments work too,\njoined into one doc.',
  overridden: 'From the doc option.',
  multiLine: 'Above a call whose options span lines.',
  undocumented: null,
};

async function checkDocs(dir: string) {
  const client = new LIPClient({ socketDir: dir });
  try {
    for (const [name, doc] of Object.entries(expected)) {
      assert.equal(await client.getDocstring(name), doc, `docstring of ${name}`);
    }
    assert.equal((await client.describe('documentedAbove')).doc, expected.documentedAbove);
  } finally {
    client.destroy();
  }
}

test('docstrings are found in TypeScript run through the tsx loader', async (t) => {
  const dir = socketDir(t);
  await startFixture(t, 'docs-module.ts', dir);
  await checkDocs(dir);
});

test('docstrings are found in compiled JavaScript', async (t) => {
  const dir = socketDir(t);
  const child = spawn(process.execPath, [join(FIXTURES, 'docs-module.js')], {
    env: { ...process.env, LIP_SOCKET_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('READY') && resolve());
    child.once('exit', (code) => reject(new Error(`docs-module.js exited with ${code}`)));
  });
  await checkDocs(dir);
});
