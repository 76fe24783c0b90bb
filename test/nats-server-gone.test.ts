/**
 * A NATS server that goes away before the client or the served function is closed: close() and
 * exit() still end everything, so the process can exit (the v3 client otherwise goes on
 * reconnecting for ever, and a drain fails while the server is away).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnNatsServer } from './helpers/nats-server.js';
import { ROOT } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';
import { watchOutput } from './helpers/child-output.js';

test('with the NATS server gone, client.close() and exit() let the process end', async (t) => {
  const nats = await spawnNatsServer(t);
  const dir = socketDir(t);
  const script = `
    import { LIPClient, LIPModule } from ${JSON.stringify(pathToFileURL(join(ROOT, 'src', 'index.ts')).href)};
    const echo = LIPModule({ logLevel: 'silent', name: 'gone_echo' })(function gone_echo(x) { return x; });
    await echo.init({ nats: ${JSON.stringify(nats.url)}, socket: false });
    const client = new LIPClient({ socketDir: ${JSON.stringify(dir)}, nats: ${JSON.stringify(nats.url)}, prefer: 'nats' });
    console.log('ANSWER ' + (await client.callFunction('gone_echo', [41])));
    process.stdin.once('data', async () => {
      process.stdin.destroy();
      await client.close();
      await echo.exit();
      console.log('CLOSED');
    });
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const output = watchOutput(child, 'NATS client');
  await output.waitFor('ANSWER 41');
  nats.child.kill('SIGKILL');
  await once(nats.child, 'exit');
  child.stdin.write('go\n');
  await output.waitFor('CLOSED');
  // Nothing left to keep it alive: it ends by itself, well before this bound.
  const ended = await Promise.race([once(child, 'exit').then(() => true), new Promise((resolve) => setTimeout(resolve, 15_000, false))]);
  assert.equal(ended, true, 'the process ended after close() and exit()');
});
