/**
 * A cluster of three real nats-servers, routed on loopback ports: replicas and the client are given
 * all three, one server is SIGKILLed while 3,000 calls run, and those connected to it reconnect to
 * the others. An idempotent function's calls all succeed (those lost with the server are sent
 * again); a non-idempotent function's calls are answered or fail clearly (those in flight through the
 * lost server with LIPConnectionError), none run twice: how many failed, and why, is reported.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LIPClient, LIPConnectionError, LIPTimeoutError } from '../src/index.js';
import { startFixture } from './helpers/fixture-server.js';
import { loadWith, runsOf, summarize } from './helpers/nats-load.js';
import { startNatsCluster } from './helpers/nats-server.js';
import { socketDir } from './helpers/temp-dir.js';

const TOTAL = 3000;

for (const fn of ['again', 'once'] as const) {
  const idempotent = fn === 'again';
  test(`a 3-server cluster loses a server during ${TOTAL} calls (${idempotent ? 'idempotent' : 'not idempotent'})`, async (t) => {
    const dir = socketDir(t);
    const servers = await startNatsCluster(t, dir, 3);
    const urls = servers.map((s) => s.url);
    const runsDir = join(dir, 'runs');
    mkdirSync(runsDir);
    // Each replica starts on a different server, and knows the others.
    const replicas = await Promise.all(
      [0, 1, 2].map((i) => startFixture(t, 'nats-counted.ts', dir, { NATS_URL: [...urls.slice(i), ...urls.slice(0, i)].join(','), RUNS_DIR: runsDir })),
    );
    // The client starts on the server that will die.
    const client = new LIPClient({ nats: { servers: urls, noRandomize: true }, socketDir: dir });
    t.after(() => client.destroy());
    await until3(client, fn);

    const { answered, failures } = await loadWith(client, fn, { total: TOTAL, inFlight: 32, timeoutMs: 3000, midway: () => servers[0]!.child.kill('SIGKILL') });
    const runs = runsOf(runsDir, fn);
    const ranTwice = [...runs].filter(([, n]) => n > 1).length;
    t.diagnostic(`answered by pid: ${JSON.stringify([...answered])}; failed: ${summarize(failures)}; calls run more than once: ${ranTwice}`);
    assert.equal(replicas.length, 3);
    if (idempotent) {
      assert.deepEqual([...failures.values()].map(String), []);
    } else {
      assert.equal(ranTwice, 0, 'no call ran twice');
      for (const error of failures.values()) assert.ok(error instanceof LIPTimeoutError || error instanceof LIPConnectionError, String(error));
    }
    assert.equal([...answered.values()].reduce((a, b) => a + b, 0) + failures.size, TOTAL);
  });
}

/** Discovery sees the function once the cluster carries every replica's interest. */
async function until3(client: LIPClient, fn: string): Promise<void> {
  for (let tries = 0; tries < 50; tries++) {
    await client.refreshSockets();
    if ((await client.listNatsFunctions()).includes(fn)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${fn} was never discovered`);
}
