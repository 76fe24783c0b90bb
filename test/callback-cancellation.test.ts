/**
 * Cancellation reaches callbacks and iterables on both sides, the server in a child process:
 * aborting the outer call stops its callback calls and its upload (the generator's `finally` runs),
 * and a connection killed mid-callback (by the caller or with the server) rejects what waits on
 * both sides while the server goes on serving others.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIPAbortError, LIPClient, LIPConnectionError } from '../src/index.js';
import { serveFixture, startFixture } from './helpers/fixture-server.js';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';

test('aborting the outer call', async (t) => {
  const { client } = await serveFixture(t, 'callbacks-server.ts');

  await t.test('stops its callback calls: none run after the abort', async () => {
    const controller = new AbortController();
    let calls = 0;
    const call = client.callFunction('progress', [1_000_000, () => (++calls === 10 ? controller.abort() : undefined)], undefined, {
      signal: controller.signal,
    });
    await assert.rejects(call, LIPAbortError);
    const atAbort = calls;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(calls, atAbort);
    assert.equal(atAbort, 10);
  });

  await t.test("stops its upload: the caller's generator returns (its finally runs), the server is free", async () => {
    const controller = new AbortController();
    let finallyRan = false;
    let pulled = 0;
    async function* endless() {
      try {
        for (;;) {
          pulled++;
          yield Buffer.alloc(16 * 1024);
        }
      } finally {
        finallyRan = true;
      }
    }
    const call = client.callFunction('upload', [endless()], undefined, { signal: controller.signal });
    await until(() => pulled > 50);
    controller.abort();
    await assert.rejects(call, LIPAbortError);
    await until(() => finallyRan);
    const at = pulled;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(pulled, at);
    assert.equal(await client.callFunction('ping2'), 'pong');
  });
});

test('a connection killed mid-callback', async (t) => {
  const { dir, client: observer } = await serveFixture(t, 'callbacks-server.ts');

  await t.test("by the caller: its call rejects, the server's callback call rejects, the server serves others", async () => {
    const caller = new LIPClient({ socketDir: dir });
    const before = (await observer.callFunction<{ hangingStarted: number }>('state')).hangingStarted;
    const call = caller.callFunction('hanging', [() => new Promise(() => {})]);
    await until(async () => (await observer.callFunction<{ hangingStarted: number }>('state')).hangingStarted === before + 1);
    caller.destroy();
    await assert.rejects(call, LIPConnectionError);
    await until(async () =>
      /AbortError: the connection to the caller closed/.test((await observer.callFunction<{ hangingAborted: string }>('state')).hangingAborted),
    );
    assert.equal(await observer.callFunction('ping2'), 'pong');
  });

  await t.test('with the server: the call rejects, and the callback finishing later sends nothing and breaks nothing', async (t2) => {
    const otherDir = socketDir(t2);
    const server = await startFixture(t2, 'callbacks-server.ts', otherDir);
    const caller = new LIPClient({ socketDir: otherDir });
    t2.after(() => caller.destroy());
    let release: (value: string) => void = () => {};
    let started = false;
    const call = caller.callFunction('hanging', [
      () => {
        started = true;
        return new Promise<string>((resolve) => (release = resolve));
      },
    ]);
    await until(() => started);
    server.child.kill('SIGKILL');
    await assert.rejects(call, LIPConnectionError);
    release('too late');
    await new Promise((r) => setTimeout(r, 50));
  });
});
