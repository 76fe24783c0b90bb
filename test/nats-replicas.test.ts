/**
 * Replicas that die: three replicas in child processes behind a real nats-server, one SIGKILLed
 * while 3,000 calls run. An idempotent function's calls are all answered correctly (the client
 * sends a call again when its replica went away with it); a non-idempotent function's calls are
 * each answered once or fail with LIPTimeoutError/LIPConnectionError, and none runs twice (the
 * replicas write down every run).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { mkdirSync } from 'node:fs';
import { LIPClient, LIPConnectionError, LIPTimeoutError } from '../src/index.js';
import { startFixture } from './helpers/fixture-server.js';
import { loadWith, runsOf, summarize } from './helpers/nats-load.js';
import { startNatsServer } from './helpers/nats-server.js';
import { socketDir } from './helpers/temp-dir.js';

const TOTAL = 3000;

for (const fn of ['again', 'once'] as const) {
  const idempotent = fn === 'again';
  test(`${idempotent ? 'idempotent' : 'not idempotent'}: a replica SIGKILLed during ${TOTAL} calls`, async (t) => {
    const url = await startNatsServer(t);
    const dir = socketDir(t);
    const runsDir = join(dir, 'runs');
    mkdirSync(runsDir);
    const env = { NATS_URL: url, RUNS_DIR: runsDir, DELAY_MS: '2' };
    const replicas = await Promise.all([0, 1, 2].map(() => startFixture(t, 'nats-counted.ts', dir, env)));
    const client = new LIPClient({ nats: url, socketDir: dir });
    t.after(() => client.destroy());
    await client.listFunctions();

    const { answered, failures } = await loadWith(client, fn, {
      total: TOTAL,
      inFlight: 32,
      timeoutMs: 2000,
      midway: () => replicas[0]!.child.kill('SIGKILL'),
    });
    const runs = runsOf(runsDir, fn);
    const ranTwice = [...runs].filter(([, n]) => n > 1).length;
    t.diagnostic(`answered by pid: ${JSON.stringify([...answered])}; failed: ${summarize(failures)}; calls run more than once: ${ranTwice}`);
    assert.equal(answered.size, 3, 'every replica answered calls');
    if (idempotent) {
      assert.deepEqual([...failures.values()].map(String), []);
      assert.equal(
        [...answered.values()].reduce((a, b) => a + b, 0),
        TOTAL,
      );
    } else {
      assert.equal(ranTwice, 0, 'no call ran twice');
      for (const error of failures.values()) assert.ok(error instanceof LIPTimeoutError || error instanceof LIPConnectionError, String(error));
      const answeredCount = [...answered.values()].reduce((a, b) => a + b, 0);
      assert.equal(answeredCount + failures.size, TOTAL);
      // A call that was answered ran exactly once; one that failed ran at most once (on the replica that died).
      for (let i = 0; i < TOTAL; i++) assert.ok((runs.get(i) ?? 0) === (failures.has(i) ? (runs.get(i) ?? 0) : 1), `call ${i} ran ${runs.get(i) ?? 0} times`);
    }
  });
}
